"""Shared test fixtures: where the official Edustandaard files are, and generated cohorts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
# The official OSO gegevensset files live beside the project (../shared); never copied into it.
OFFICIAL = Path(os.environ.get("OSOKIT_SHARED", ROOT.parent / "shared")) / "oso-gegevensset-2019.1"
REDUCED = os.environ.get("OSOKIT_REDUCED") == "1"


@pytest.fixture(scope="session")
def official_dir() -> Path:
    if not (OFFICIAL / "OSO_gegevensset_2019.1.xsd").is_file():
        pytest.fail(f"official OSO files not found at {OFFICIAL} (set OSOKIT_SHARED to the shared folder)")
    return OFFICIAL


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
