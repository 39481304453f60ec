"""Submissions: the site-visit reports, their files, the inspector forms and the legacy store."""
