from django.db import migrations

from injaaz.migration_ops import DatabaseOnDelete


class Migration(migrations.Migration):
    dependencies = [("submissions", "0001_initial")]

    operations = [DatabaseOnDelete("uploaded_files", "submission_id", "submissions")]
