"""Vendor adapters the tests drive the suite with (``--adapter tests.conformance.adapters:Name``)."""

from __future__ import annotations

from datetime import datetime

from conformance.adapter import HttpAdapter, NotSupported


class WithoutClock(HttpAdapter):
    """A vendor's control API without PUT /clock, which the contract allows: its LAS keeps its own time."""

    def set_clock(self, now: datetime) -> None:
        raise NotSupported("this LAS's control API has no PUT /clock")
