"""Progress for long commands: a bar on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import time
from typing import Any, TextIO

from django.core.management.base import OutputWrapper


class Progress:
    def __init__(self, stream: TextIO | Any, label: str, *, interval: float = 5.0, enabled: bool = True) -> None:
        self.stream = stream
        self.label = label
        self.interval = interval
        self.enabled = enabled
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.started = time.monotonic()
        self.last = 0.0
        self.finished = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or self.finished:
            return
        now = time.monotonic()
        final = done >= total
        if not final and now - self.last < (0.2 if self.tty else self.interval):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        share = done / total if total else 1.0
        if self.tty:
            width = 30
            bar = "#" * int(share * width)
            line = f"\r{self.label} [{bar:<{width}}] {done}/{total} files {share:6.1%} {rate:,.0f}/s"
            self._write(line + ("\n" if final else ""))
        else:
            self._write(f"{self.label}: {done}/{total} files ({share:.0%}), {rate:,.0f} files/s\n")
        self.finished = final

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        if hasattr(self.stream, "flush"):
            self.stream.flush()
