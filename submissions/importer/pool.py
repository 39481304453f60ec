"""Worker processes for the importer: ordered results, a bounded number of chunks in flight.

``ChunkPool.imap`` keeps at most ``workers + 1`` chunks in flight (``multiprocessing.Pool.imap``
would read its whole input ahead and queue every result, so memory would grow with the tree) and
yields results in input order (the order the ledger and the resumable scan rely on). Workers are
*spawned*, not forked: they share no database connection with the importer. A worker that dies
(killed, out of memory) stops the run with ``WorkerDiedError`` rather than leaving it waiting for a
result that will never come (``multiprocessing.Pool`` would replace the worker and wait forever);
what was committed stays, and the next run resumes. With ``workers=0`` chunks are parsed
in-process (tests, tiny trees).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from submissions.importer.outcomes import FileKind
from submissions.importer.worker import ChunkResult, Known, WorkerConfig, init_worker, process_chunk

Chunk = list[tuple[str, Known | None]]  # (path, what the ledger holds of the file, or None)


class WorkerDiedError(RuntimeError):
    """A worker process ended abruptly; the batches it had not committed are redone by the next run."""


def _started() -> None:
    """Submitted at start, so that the workers spawn (and import) while the importer scans."""


class ChunkPool:
    def __init__(self, config: WorkerConfig, workers: int) -> None:
        self.config = config
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None
        if self.workers:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=init_worker, initargs=(config,)
            )
            for _ in range(self.workers):  # one each: the pool spawns a process per task it finds no idle one for
                self._pool.submit(_started)

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close(cancel=error is not None)

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            # On an error, chunks not started are dropped; the ones in flight end (each commits whole,
            # or not at all) before the workers exit.
            pool.shutdown(wait=True, cancel_futures=cancel)

    def imap(
        self,
        kind: FileKind,
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
        window: deque[tuple[Chunk, Future[ChunkResult]]] = deque()
        limit = self.workers + 1  # each worker busy, one result waiting: enough to keep them fed
        for chunk in chunks:
            window.append((chunk, _submit(self._pool, function, kind, chunk, *args)))
            if len(window) >= limit:
                done, pending = window.popleft()
                yield done, _result(pending)
        while window:
            done, pending = window.popleft()
            yield done, _result(pending)


_DIED = "a worker process ended abruptly (killed, or out of memory)"


def _submit(
    pool: ProcessPoolExecutor, function: Callable[..., ChunkResult], kind: FileKind, chunk: Chunk, *args: Any
) -> Future[ChunkResult]:
    try:
        return pool.submit(function, kind, chunk, None, *args)
    except BrokenProcessPool as error:  # a worker died between two chunks
        raise WorkerDiedError(_DIED) from error


def _result(pending: Future[ChunkResult]) -> ChunkResult:
    try:
        return pending.result()
    except BrokenProcessPool as error:  # a worker died with chunks in flight
        raise WorkerDiedError(_DIED) from error
