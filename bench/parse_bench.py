#!/usr/bin/env python
"""What the importer's worker spends on one legacy file, step by step (no database).

    .venv/bin/python bench/parse_bench.py [-n 6000] [--corpus DIR] [--repeat 8]

Over the first ``-n`` submission and job files of a corpus (generated with
``tests.legacy_corpus`` unless ``--corpus`` points at one, e.g. the 100k tree
``bench/import_bench.py --corpus`` keeps), single-threaded, the best of ``--repeat`` passes,
microseconds per file: reading, SHA-256, JSON, normalising with and without ``content`` (the
importer's ``content=False``), the file references, and the worker's whole ``parse_submission``
and ``parse_job`` (read, hash, parse, normalise, ``COPY`` rows).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DJANGO_SETTINGS_MODULE"] = "injaaz.settings"


def best_per_file(step: Callable[[], object], files: int, repeat: int) -> float:
    """Microseconds per file, best of ``repeat`` passes (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - started)
    return best / files * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=6000, help="files of each kind to measure (default 6000)")
    parser.add_argument("--corpus", type=Path, help="an existing legacy tree (default: generate one)")
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()

    import django

    django.setup()
    from submissions.importer.refs import file_refs
    from submissions.importer.worker import WorkerConfig, _read, parse_job, parse_submission
    from submissions.legacy.files import parse_json_bytes
    from submissions.legacy.normalize import normalize_submission
    from tests.legacy_corpus import make_corpus

    corpus = args.corpus or Path(tempfile.mkdtemp(prefix="injaaz-parse-bench-"))
    if not (corpus / "submissions").is_dir():
        make_corpus(corpus, args.n)
    subs = ["submissions/" + name for name in sorted(os.listdir(corpus / "submissions"))[: args.n]]
    jobs = ["jobs/" + name for name in sorted(os.listdir(corpus / "jobs"))[: args.n]]
    config = WorkerConfig(root=str(corpus), size_cap=5 * 1024 * 1024, copy_format=True)
    uploads = corpus / "uploads"
    size_cap = config.size_cap

    raws = [_read(corpus, path, size_cap)[0] for path in subs]
    documents: list[tuple[str, dict[str, Any]]] = [
        (path.rsplit("/", 1)[-1].removesuffix(".json"), parse_json_bytes(raw))
        for path, raw in zip(subs, raws, strict=True)
    ]
    light = [normalize_submission(document, stem=stem, content=False) for stem, document in documents]
    gc.freeze()  # the inputs above stay alive: keep the collector from walking them in every pass

    n, repeat = len(subs), args.repeat
    figures = {
        "read (open, fstat, read, close)": best_per_file(lambda: [_read(corpus, p, size_cap) for p in subs], n, repeat),
        "SHA-256 of the bytes": best_per_file(lambda: [hashlib.sha256(raw).hexdigest() for raw in raws], n, repeat),
        "JSON (parse_json_bytes)": best_per_file(lambda: [parse_json_bytes(raw) for raw in raws], n, repeat),
        "normalise, content=True (reports)": best_per_file(
            lambda: [normalize_submission(d, stem=s) for s, d in documents], n, repeat
        ),
        "normalise, content=False (importer)": best_per_file(
            lambda: [normalize_submission(d, stem=s, content=False) for s, d in documents], n, repeat
        ),
        "file references (file_refs)": best_per_file(
            lambda: [file_refs(record, uploads_dir=uploads) for record in light], n, repeat
        ),
        "whole parse_submission (COPY rows)": best_per_file(
            lambda: [parse_submission(corpus, p, None, config) for p in subs], n, repeat
        ),
    }
    job_figure = best_per_file(lambda: [parse_job(corpus, p, None, config) for p in jobs], len(jobs), repeat)

    size = sum(len(raw) for raw in raws) / n
    print(f"corpus: {corpus}: {n} submission files ({size / 1e3:.1f} KB on average), {len(jobs)} job files")
    print(f"single-threaded, best of {repeat} passes, microseconds per file:")
    for label, figure in figures.items():
        print(f"  {label:<38} {figure:6.1f}")
    print(f"  {'whole parse_job (COPY row)':<38} {job_figure:6.1f}")
    if not args.corpus:
        shutil.rmtree(corpus, ignore_errors=True)


if __name__ == "__main__":
    main()
