"""Worker processes for the importer: ordered results, a bounded number of chunks in flight.

``multiprocessing.Pool.imap`` reads its whole input ahead and queues every result, so memory
would grow with the tree; ``ChunkPool.imap`` keeps at most ``workers + 1`` chunks in flight
and yields results in input order (the order the ledger and the resumable scan rely on).
Workers are *spawned*, not forked: they share no database connection with the importer.
With ``workers=0`` chunks are parsed in-process (tests, tiny trees).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from submissions.importer.worker import ChunkResult, WorkerConfig, init_worker, process_chunk

Chunk = list[tuple[str, str | None]]


class ChunkPool:
    def __init__(self, config: WorkerConfig, workers: int) -> None:
        self.config = config
        self.workers = max(0, workers)
        self._pool: Any = None
        if self.workers:
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(self.workers, initializer=init_worker, initargs=(config,))

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close(terminate=error is not None)

    def close(self, *, terminate: bool = False) -> None:
        if self._pool is not None:
            if terminate:
                self._pool.terminate()
            else:
                self._pool.close()
            self._pool.join()
            self._pool = None

    def imap(
        self,
        kind: str,
        chunks: Iterable[Chunk],
        *,
        function: Callable[..., ChunkResult] = process_chunk,
        args: tuple[Any, ...] = (),
    ) -> Iterator[tuple[Chunk, ChunkResult]]:
        """``function(kind, chunk, config, *args)`` (a module-level function of ``worker``) over
        ``chunks``, in order (in a worker process, ``config`` is ``None``: the worker's own)."""
        if self._pool is None:
            for chunk in chunks:
                yield chunk, function(kind, chunk, self.config, *args)
            return
        window: deque[tuple[Chunk, Any]] = deque()
        limit = self.workers + 1  # each worker busy, one result waiting: enough to keep them fed
        for chunk in chunks:
            window.append((chunk, self._pool.apply_async(function, (kind, chunk, None, *args))))
            if len(window) >= limit:
                done, pending = window.popleft()
                yield done, pending.get()
        while window:
            done, pending = window.popleft()
            yield done, pending.get()
