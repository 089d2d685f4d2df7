"""Interleaved timing of contenders on the same work, reported as medians."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int = 7) -> dict[str, float]:
    """Median seconds per call of each contender, run A, B, A, B, ... so noise hits both alike."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        fn()  # warm caches (schemas, compiled XPath, field tables)
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<52} {value:>16}  {note}")
