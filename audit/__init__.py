"""The audit log: who did what, to which record, from where."""
