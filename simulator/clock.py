"""The simulator's clock: real time shifted by an offset, or frozen, set through the admin API.

Tests move it to "after the summer" or past a session's idle limit in seconds instead of months.
The clock is a value the broker and the reference LAS read; the store persists its setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None

    def now(self) -> datetime:
        return self.frozen_at if self.frozen_at is not None else utcnow() + self.offset

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Make ``now()`` read ``moment`` from here on (and stay there when frozen)."""
        if moment.tzinfo is None:
            raise ValueError("give the moment with a timezone, e.g. 2026-09-01T08:00:00+02:00")
        self.frozen_at = moment if frozen else None
        self.offset = timedelta(0) if frozen else moment - utcnow()

    def advance(self, delta: timedelta) -> None:
        if self.frozen_at is not None:
            self.frozen_at += delta
        else:
            self.offset += delta

    def as_dict(self) -> dict[str, object]:
        return {
            "now": self.now().isoformat(),
            "frozen": self.frozen_at is not None,
            "offset_seconds": self.offset.total_seconds(),
        }
