"""Shared test fixtures: where the official Edustandaard files are, and generated cohorts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
