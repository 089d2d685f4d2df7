"""osokit as a user installs it: a wheel built from the checkout, in a fresh virtualenv, used from a
folder outside the checkout. Schemas, WSDLs, fault profiles, scenarios, JSON schemas, control-api.yaml
and the conformance scenarios must all come with the package.

Slow (a wheel and a virtualenv, offline from tests/osokit/wheelhouse.py); OSOKIT_REDUCED=1 runs one
role and transfer kind of the conformance suite instead of all of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDUCED, ROOT
from tests.osokit.wheelhouse import offline, source_tree

pytestmark = pytest.mark.slow
SUBSET = ["--role", "doel", "--transfer", "popo"] if REDUCED else []


@dataclass(frozen=True)
class Venv:
    """A virtualenv with osokit installed from its wheel, and a work folder outside the checkout."""

    bin: Path
    env: dict[str, str]
    work: Path

    def run(self, program: str, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """``program`` from the venv (osokit, python, ...), run in the work folder."""
        return run([str(self.bin / program), *argv], self.env, cwd=self.work, timeout=timeout)


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 900):  # noqa: ANN201
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Venv:
    tmp = tmp_path_factory.mktemp("install")
    env = offline({k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}, tmp)
    dist, source = tmp / "dist", source_tree(tmp / "src")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(dist), str(source)], env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    warnings = [line for line in (built.stdout + built.stderr).splitlines() if "Warning" in line]
    assert warnings == [], warnings  # e.g. setuptools' "project.license as a TOML table is deprecated"

    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True, timeout=300)
    bin_dir = tmp / "venv" / "bin"
    pip = run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(next(dist.glob("osokit-*.whl")))], env)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    (tmp / "elsewhere").mkdir()
    return Venv(bin_dir, env | {"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}, tmp / "elsewhere")


def test_the_package_is_the_installed_one_not_the_checkout(installed):
    where = installed.run("python", "-c", "import osokit, oso; print(osokit.__file__); print(oso.__file__)")
    paths = [Path(p) for p in where.stdout.split()]
    assert len(paths) == 2 and all(p.is_relative_to(installed.bin.parent) for p in paths), where.stdout + where.stderr
    assert not any(p.is_relative_to(ROOT) for p in paths)


def test_version_and_help(installed):
    from importlib.metadata import version

    done = installed.run("osokit", "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"osokit {version('osokit')}"
    done = installed.run("osokit")
    assert done.returncode == 0 and done.stdout.startswith("usage: osokit")


def test_fixtures_generate_and_validate(installed):
    done = installed.run("osokit", *"fixtures generate --profile povo --count 5 --size full --out g".split())
    assert done.returncode == 0, done.stderr
    done = installed.run("osokit", "fixtures", "validate", "g")  # osokit's own XSD set, from the package
    assert done.returncode == 0 and "5 valid, 0 invalid" in done.stderr, done.stderr
    assert installed.run("osokit", "fixtures", "cases").returncode == 0


def test_serve_answers_healthz_with_a_shipped_fault_profile_then_stops(installed):
    argv = [str(installed.bin / "osokit"), "serve", "--port", "0", "--data-dir", "sim", "--faults", "flaky-bron"]
    env = installed.env | {"PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        argv, cwd=installed.work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            first = proc.stdout.readline()
            assert "listening on " in first, first
            url = first.split("listening on ")[1].strip()
            deadline, health = time.monotonic() + 30, None
            while health is None and time.monotonic() < deadline:
                try:
                    health = httpx.get(f"{url}/healthz", timeout=2)
                except httpx.TransportError:
                    time.sleep(0.1)
            assert health is not None and health.status_code == 200
            wsdl = httpx.get(f"{url}/tc?wsdl", timeout=10)  # the shipped WSDL
            assert wsdl.status_code == 200 and b"definitions" in wsdl.content
            info = httpx.get(f"{url}/admin/info", timeout=10).json()
            assert "flaky-bron" in json.dumps(info)  # the shipped fault profile, found by name
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    assert proc.returncode in (0, 130), err


def test_conformance_run_against_the_reference(installed):
    done = installed.run("osokit", "conformance", "run", "--target", "reference", *SUBSET, "--out", "conf")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: PASS" in done.stdout
    for name in ("results.json", "junit.xml", "report.html"):
        assert oct((installed.work / "conf" / name).stat().st_mode & 0o777) == oct(0o644), name
    done = installed.run("osokit", "report", "validate", "conf/results.json")  # the JSON schema, from the package
    assert done.returncode == 0, done.stdout + done.stderr
    assert installed.run("osokit", "conformance", "rules").returncode == 0


def test_pytest_collects_the_conformance_scenarios_from_the_installed_package(installed):
    subset = ["--oso-role", "doel", "--oso-transfer", "popo"] if REDUCED else []
    argv = ["-m", "pytest", "--pyargs", "conformance.scenarios", "--oso-target", "reference", *subset, "-q"]
    done = installed.run("python", *argv, "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_contract_files_ship(installed):
    shipped = [
        ("conformance", "control-api.yaml"),
        ("reports", "schemas/results-v1.schema.json"),
        ("oso", "schemas/overstapservice-20200910/tc.wsdl"),
        ("simulator", "scenarios/default.toml"),
    ]
    code = f"from importlib.resources import files; print(all(files(p).joinpath(f).is_file() for p, f in {shipped}))"
    done = installed.run("python", "-c", code)
    assert done.stdout.strip() == "True", done.stderr


@pytest.mark.skipif(REDUCED, reason="OSOKIT_REDUCED=1: the load run is checked in tests/load")
def test_load_run_with_its_own_simulator(installed):
    done = installed.run("osokit", *"load run --start-simulator --cohort 50 --users 2 --duration 4s --out load".split())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "full transfer" in done.stdout
