"""Shared test fixtures: the outside truth (official Edustandaard files, Chromium), generated cohorts.

Outside truth that is not ours to ship may be absent on a fresh clone: the tests that need it skip,
and the run ends with one line saying what did not run and how to enable it. Under ``CI=true``
absence is a failure, so CI always runs everything.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
# The official OSO gegevensset files live beside the project (../shared); never copied into it.
OFFICIAL = Path(os.environ.get("OSOKIT_SHARED", ROOT.parent / "shared")) / "oso-gegevensset-2019.1"
REDUCED = os.environ.get("OSOKIT_REDUCED") == "1"
CI = os.environ.get("CI") == "true"
ABSENT_LINE = "osokit: not run for want of outside truth:"
"""The start of the one line a run ends with when tests were skipped for want of outside truth."""


def _official_missing() -> str | None:
    if (OFFICIAL / "OSO_gegevensset_2019.1.xsd").is_file():
        return None
    return f"the official OSO files in {OFFICIAL} (set OSOKIT_SHARED to the folder that holds {OFFICIAL.name}/)"


def _chromium_missing() -> str | None:
    from reports.browser import INSTALL_HINT, find_chromium

    return None if find_chromium() else f"chromium ({INSTALL_HINT})"


OUTSIDE_TRUTH = {"official_dir": _official_missing, "chromium": _chromium_missing}
"""Fixture -> what it needs that is not ours to ship: None when present, else what is missing and how to enable it."""
_SKIPPED = pytest.StashKey[Counter]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, once, the tests whose outside truth is absent (under CI=true their fixtures fail instead)."""
    if CI:
        return
    missing = {name: why for name, check in OUTSIDE_TRUTH.items() if (why := check()) is not None}
    skipped: Counter[str] = Counter()
    for item in items:
        for name, why in missing.items():
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.skip(reason=f"needs {why}"))
                skipped[why] += 1
    config.stash[_SKIPPED] = skipped


def pytest_unconfigure(config: pytest.Config) -> None:
    """After pytest's own summary: one line naming what did not run and how to enable it."""
    skipped = config.stash.get(_SKIPPED, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if skipped and reporter is not None:
        reasons = "; ".join(f"{n} test(s) need {why}" for why, n in skipped.items())
        reporter.write_line(f"{ABSENT_LINE} {reasons}", yellow=True, bold=True)


def _require(name: str) -> None:
    why = OUTSIDE_TRUTH[name]()
    if why is not None:  # reached under CI=true, where absence is a failure
        pytest.fail(f"needs {why}; CI=true runs every test")


@pytest.fixture(scope="session")
def official_dir() -> Path:
    _require("official_dir")
    return OFFICIAL


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, for the tests that render in a real browser."""
    from reports.browser import find_chromium

    if os.environ.get("OSOKIT_SKIP_BROWSER") == "1":
        pytest.skip("OSOKIT_SKIP_BROWSER=1: the headless Chromium rendering is not checked")
    _require("chromium")
    return find_chromium()


@pytest.fixture(scope="module")
def browser(chromium: str):
    """Playwright driving Debian's chromium (never a browser download), shared by a module's tests."""
    from playwright.sync_api import sync_playwright

    from reports.browser import QUIET_FLAGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=list(QUIET_FLAGS), timeout=60_000)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def official_examples(official_dir: Path) -> list[Path]:
    examples = sorted((official_dir / "examples").glob("*.xml"))
    assert len(examples) == 12
    return examples


@pytest.fixture(scope="session")
def official_schema(official_dir: Path):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(official_dir / "OSO_gegevensset_2019.1.xsd")))


@pytest.fixture(scope="session")
def own_schema():
    from oso.schema import dossier_schema

    return dossier_schema()


def fuzz_budgets(fast: int, deep: int) -> list[object]:
    """Hypothesis example counts for one property: ``fast`` in ``make test``, ``deep`` under the slow marker
    (a tenth of it, at least ``fast``, when OSOKIT_REDUCED=1). Use with ``pytest.mark.parametrize("budget", ...)``."""
    slow = max(fast, deep // 10) if REDUCED else deep
    return [pytest.param(fast, id="fast"), pytest.param(slow, id="deep", marks=pytest.mark.slow)]


def fuzz_settings(budget: int) -> settings:
    """Settings for a property test run with one of the ``fuzz_budgets``: no deadline (CI machines vary)."""
    return settings(
        max_examples=budget, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )
