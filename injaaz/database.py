"""PostgreSQL connection pools and ``fork()``.

Each process keeps a pool of connections (``OPTIONS["pool"]`` in settings). A process forked
from one that has used the database (gunicorn with ``--preload``, ``multiprocessing``'s fork
context) inherits the parent's pool: its connections are the parent's sockets, and the pool's
worker threads did not survive the fork. The child must never use or close them (closing would
end the parent's sessions), so it forgets them and opens a pool of its own on its first query.
"""

from __future__ import annotations

import os
from typing import Any

# Inherited pools and connections, kept referenced so that the child never garbage-collects
# (and so closes) what belongs to its parent.
_inherited: list[Any] = []


def forget_inherited_pools() -> None:
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    pools: dict[str, Any] = DatabaseWrapper._connection_pools  # type: ignore[attr-defined]
    _inherited.extend(pools.values())
    pools.clear()
    for wrapper in connections.all(initialized_only=True):
        if wrapper.vendor == "postgresql" and wrapper.connection is not None:
            _inherited.append(wrapper.connection)
            wrapper.connection = None


_registered = False


def register_fork_handler() -> None:
    global _registered
    if not _registered:
        os.register_at_fork(after_in_child=forget_inherited_pools)
        _registered = True
