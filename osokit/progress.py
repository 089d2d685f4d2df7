"""A progress line for long work on stderr: a bar on a terminal, a line per 10% elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label = max(total, 1), label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = self.last = time.monotonic()
        self.next_decile = 1

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if self.tty:
            if now - self.last < 0.1 and done < self.total:
                return
            self.last = now
            self.stream.write("\r" + self.line(done, now))
            if done >= self.total:
                self.stream.write("\n")
        elif done * 10 >= self.next_decile * self.total:
            self.next_decile = done * 10 // self.total + 1
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
