from django.db import migrations

from injaaz.migration_ops import DatabaseOnDelete


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [DatabaseOnDelete("jobs", "submission_id", "submissions")]
