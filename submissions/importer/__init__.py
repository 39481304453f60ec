"""Moving the legacy ``generated/`` tree into the database, and back.

``pipeline.run_import`` is the importer (scan sorted → parse in worker processes → batches
→ COPY into staging → ``INSERT … ON CONFLICT`` → ledger, one transaction per batch);
``verify``, ``export``, ``archive`` and ``cleanup`` serve the other migration commands. All of
them read legacy files through the one legacy parser, ``submissions.legacy``.
"""
