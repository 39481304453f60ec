"""Report jobs: the ``jobs`` table, Excel and PDF generation, and the worker tasks."""
