"""Running ``osokit`` as a user would: a fresh process, its exit code, its output, its files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.mutants import vendor_under_test
from simulator.server import Running, start_in_thread
from simulator.service import Config

OSOKIT = [sys.executable, "-m", "osokit.cli"]


def osokit(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*OSOKIT, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )


@pytest.fixture
def vendor_environment(tmp_path: Path, request: pytest.FixtureRequest) -> Running:
    """A stand-in for a vendor's test environment: a second simulator hosting a LAS behind its control API.

    Parametrise indirectly with the LAS: ``reference`` (default) or ``mutant:<name>``.
    """
    las = getattr(request, "param", "reference")
    running = start_in_thread(
        Config(
            data_dir=tmp_path / "vendor",
            vut=vendor_under_test(las),
            cohort={"povo": 5, "popo": 5, "vovo": 5, "binnenbrin": 5},
        )
    )
    yield running
    running.stop()
