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
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDUCED, ROOT
from tests.osokit.wheelhouse import offline, source_tree

pytestmark = pytest.mark.slow
SUBSET = ["--role", "doel", "--transfer", "popo"] if REDUCED else []


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, an environment for it, a work folder outside the checkout)."""
    tmp = tmp_path_factory.mktemp("install")
    env = offline({k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}, tmp)
    source = source_tree(tmp / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "--wheel-dir", str(tmp / "dist"), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    warnings = [line for line in (built.stdout + built.stderr).splitlines() if "Warning" in line]
    assert warnings == [], warnings  # e.g. setuptools' "project.license as a TOML table is deprecated"
    wheel = next((tmp / "dist").glob("osokit-*.whl"))

    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True, timeout=300)
    bin_dir = tmp / "venv" / "bin"
    pip = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_dir, env | {"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}, work


def osokit(installed, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    bin_dir, env, work = installed
    return subprocess.run(
        [str(bin_dir / "osokit"), *argv], cwd=work, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_package_is_the_installed_one_not_the_checkout(installed):
    bin_dir, env, work = installed
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import osokit, oso; print(osokit.__file__); print(oso.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(bin_dir.parent) for p in where), where
    assert not any(Path(p).is_relative_to(ROOT) for p in where)


def test_version_and_help(installed):
    from importlib.metadata import version

    done = osokit(installed, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"osokit {version('osokit')}"
    done = osokit(installed)
    assert done.returncode == 0 and done.stdout.startswith("usage: osokit")


def test_fixtures_generate_and_validate(installed):
    done = osokit(installed, *"fixtures generate --profile povo --count 5 --size full --out g".split())
    assert done.returncode == 0, done.stderr
    done = osokit(installed, "fixtures", "validate", "g")  # osokit's own XSD set, from the package
    assert done.returncode == 0 and "5 valid, 0 invalid" in done.stderr, done.stderr
    assert osokit(installed, "fixtures", "cases").returncode == 0


def test_serve_answers_healthz_with_a_shipped_fault_profile_then_stops(installed):
    bin_dir, env, work = installed
    argv = [str(bin_dir / "osokit"), "serve", "--port", "0", "--data-dir", "sim", "--faults", "flaky-bron"]
    with subprocess.Popen(
        argv, cwd=work, env=env | {"PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
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
    done = osokit(installed, "conformance", "run", "--target", "reference", *SUBSET, "--out", "conf")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: PASS" in done.stdout
    work = installed[2]
    for name in ("results.json", "junit.xml", "report.html"):
        assert oct((work / "conf" / name).stat().st_mode & 0o777) == oct(0o644), name
    done = osokit(installed, "report", "validate", "conf/results.json")  # the JSON schema, from the package
    assert done.returncode == 0, done.stdout + done.stderr
    assert osokit(installed, "conformance", "rules").returncode == 0


def test_pytest_collects_the_conformance_scenarios_from_the_installed_package(installed):
    bin_dir, env, work = installed
    subset = ["--oso-role", "doel", "--oso-transfer", "popo"] if REDUCED else []
    done = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pytest",
            "--pyargs",
            "conformance.scenarios",
            "--oso-target",
            "reference",
            *subset,
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_contract_files_ship(installed):
    bin_dir, env, work = installed
    code = (
        "from importlib.resources import files; "
        "print(all(files(p).joinpath(f).is_file() for p, f in ["
        "('conformance', 'control-api.yaml'), ('reports', 'schemas/results-v1.schema.json'), "
        "('oso', 'schemas/overstapservice-20200910/tc.wsdl'), ('simulator', 'scenarios/default.toml')]))"
    )
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "True", done.stderr


@pytest.mark.skipif(REDUCED, reason="OSOKIT_REDUCED=1: the load run is checked in tests/load")
def test_load_run_with_its_own_simulator(installed):
    done = osokit(
        installed,
        "load",
        "run",
        "--start-simulator",
        "--cohort",
        "50",
        "--users",
        "2",
        "--duration",
        "4s",
        "--out",
        "load",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "full transfer" in done.stdout
