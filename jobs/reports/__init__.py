"""Report generation: a submission (as a ``NormalizedSubmission``) and its stored files to bytes.

- ``files``: opens the photos and signatures a document refers to, from Injaaz's own storage
  (and the legacy ``generated/uploads`` folder), never over HTTP.
- ``images``: decodes and downscales them once, for both reports.
- ``content``: what a report says for each module (sections, labels, items, signatures).
- ``excel`` and ``pdf``: the two renderings.
"""
