"""A progress line for long work on stderr: a bar redrawn on a terminal, a line every few seconds elsewhere.

Hand-written rather than tqdm or rich: both draw a bar with carriage returns, which a pipe or a CI
log receives as one ever-growing line (tqdm) or only as the final state (rich); a log needs whole
lines at a steady pace, and that is all the non-terminal branch does.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

TERMINAL_EVERY = 0.1
"""Seconds between redraws of the bar on a terminal."""
LOG_EVERY = 5.0
"""Seconds between lines when stderr is a pipe or a file."""


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label = max(total, 1), label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = TERMINAL_EVERY if self.tty else LOG_EVERY
        self.start = self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + self.line(done, now) + ("\n" if done >= self.total else ""))
        else:
            self.stream.write(self.line(done, now) + "\n")
        self.stream.flush()

    def line(self, done: int, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate else 0.0
        filled = 30 * done // self.total
        bar = "#" * filled + "." * (30 - filled)
        return (
            f"{self.label} [{bar}] {100 * done // self.total:3d}% {done:,}/{self.total:,}"
            f"  {rate:,.0f}/s  ETA {int(eta) // 60}m{int(eta) % 60:02d}s"
        )
