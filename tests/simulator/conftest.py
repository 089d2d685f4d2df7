"""A real simulator for each test that needs one: osokit's test world (uvicorn on 127.0.0.1, a fresh data
dir) with a small cohort."""

from __future__ import annotations

import pytest

from simulator.service import Config
from simulator.testing import World

SMALL_COHORT = {"povo": 40, "popo": 10, "vovo": 10, "binnenbrin": 10, "poswv": 5, "voswv": 5}


@pytest.fixture
def world(tmp_path):
    with World(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT)) as w:
        yield w
