"""A pytest plugin that tells a conformance run's progress: one JSON line per finished check.

Loaded through ``PYTEST_PLUGINS=simulator.runprogress`` by :mod:`simulator.runs` (the browser's
runs); it writes to the file ``$OSOKIT_PROGRESS`` names and does nothing when that is unset. It
reads only pytest's own hooks, so it needs nothing of the suite itself.
"""

from __future__ import annotations

import json
import os

import pytest


def _write(event: dict[str, object]) -> None:
    path = os.environ.get("OSOKIT_PROGRESS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(event) + "\n")


def pytest_collection_finish(session: pytest.Session) -> None:
    _write({"total": len(session.items)})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A check is done after its call, or at a setup that did not pass (skipped or errored there)."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _write({"outcome": report.outcome, "check": report.nodeid})
