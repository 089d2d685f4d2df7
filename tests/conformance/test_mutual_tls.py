"""Mutual TLS with a LAS at a URL, as a vendor sets it up: `osokit pki init --vendor ID` gives the LAS its
files, `osokit serve --vut ... --tls` stands in for the vendor's test environment (a real process), and
`osokit conformance run --target https://... --tls on --pki-dir DIR` certifies it, BRON-CERT-01 included."""

from __future__ import annotations

import shutil

import pytest

from reports.results import Results
from simulator.client import tls_context
from tests.conformance.conftest import control_front, osokit, served
from tests.simulator.serve import start

CERT = "BRON-CERT-01"
VENDOR = "vut"  # the vendor id the LAS that `osokit serve --vut` hosts gives in GET /info


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The vendor's test PKI, made as the docs tell a vendor to make it."""
    directory = tmp_path_factory.mktemp("pki") / "pki"
    done = osokit("pki", "init", "--dir", str(directory), "--vendor", VENDOR)
    assert done.returncode == 0, done.stderr
    return directory


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """The admin token of the served stand-in: under --tls its hosted control API asks for it."""
    path = tmp_path_factory.mktemp("token") / "admin-token"
    path.write_text("a-token-of-this-test-run-only\n")
    return path


@pytest.fixture(scope="module")
def environment(pki, token, tmp_path_factory):
    """`osokit serve --vut LAS --tls`: a vendor's test environment with its aanleverpunten over https, one
    per LAS for the module (each run starts with a reset)."""

    def serve(las):
        if las not in started:
            data = tmp_path_factory.mktemp("vendor") / "data"
            started[las] = start(
                data,
                *("--vut", las, "--tls", "--pki-dir", str(pki), "--admin-token-file", str(token)),
                verify=tls_context(pki / "ca.pem"),
            )
        return started[las].url

    started: dict = {}
    yield serve
    for env in started.values():
        env.stop()


def certify(target, pki, out, *more, token=None):
    return osokit(
        *("conformance", "run", "--target", target, "--tls", "on", "--pki-dir", str(pki), "--out", str(out)),
        *(("--control-token-file", str(token)) if token else ()),
        *more,
    )


def test_pki_init_for_a_vendor_names_the_files_its_las_needs(pki):
    done = osokit("pki", "init", "--dir", str(pki), "--vendor", VENDOR)  # again: the files are kept
    line = next(x for x in done.stdout.splitlines() if x.startswith(f"vendor {VENDOR}: "))
    for name in ("ca.pem", f"vendors/{VENDOR}.pem", f"vendors/{VENDOR}.key", "server.pem", "server.key"):
        assert str(pki / name) in line and (pki / name).is_file()
    assert f"--tls on --pki-dir {pki}" in line


def test_the_reference_las_at_an_https_url_passes_with_every_must_check_run(environment, pki, token, tmp_path):
    """BRON-CERT-01 runs against the vendor's own aanleverpunt: the suite verifies its server certificate
    against the test CA and presents the counterpart vendor's certificate, none, one of another CA and
    one of a vendor no school mandated; the LAS's own calls to the TC and schools carry its certificate."""
    done = certify(f"{environment('reference')}/control", pki, tmp_path, token=token)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert results.summary.verdict == "pass" and results.run.simulator["tls"] is True
    assert results.untested == () and {c.outcome for c in results.checks} == {"passed"}
    assert [c.outcome for c in results.checks if c.rule == CERT] == ["passed"]
    assert "verdict: PASS" in done.stdout


def test_with_its_clock_refused_it_still_runs_every_must_check(environment, pki, token, tmp_path):
    """A control API whose /clock answers 404 (the contract allows it), in front of the https LAS."""
    upstream = f"{environment('reference')}/control"
    front = control_front(upstream, missing={"PUT /clock", "GET /clock"}, verify=tls_context(pki / "ca.pem"))
    with served(front) as url:
        done = certify(url, pki, tmp_path, token=token)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert results.summary.verdict == "pass" and results.untested == ()
    assert [c.outcome for c in results.checks if c.rule == CERT] == ["passed"]


def test_a_bron_that_ignores_the_certificate_fails_as_a_url_target(environment, pki, token, tmp_path):
    target = f"{environment('mutant:bron-ignores-certificate')}/control"
    done = certify(
        target,
        pki,
        tmp_path,
        "--role",
        "bron",
        "--only",
        "test_bron.py::test_the_doel_certificate_must_match",
        token=token,
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    (check,) = Results.load(tmp_path / "results.json").checks
    assert check.rule == CERT and check.outcome == "failed"
    assert "expected no dossier for a doel presenting no certificate" in done.stdout


def test_tls_on_with_a_url_target_needs_the_vendors_pki(environment, pki, token, tmp_path):
    """Set-up errors, one line and exit 2 before the first check: no --pki-dir; one without the certificate
    of the vendor GET /info names (same CA, so the control API itself is trusted)."""
    target = f"{environment('reference')}/control"
    done = osokit("conformance", "run", "--target", target, "--tls", "on", "--out", str(tmp_path / "a"))
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "--tls on with a URL target needs --pki-dir DIR" in done.stderr
    other = tmp_path / "other-pki"
    shutil.copytree(pki, other)
    for suffix in ("pem", "key"):
        (other / "vendors" / f"{VENDOR}.{suffix}").unlink()
    done = certify(target, other, tmp_path / "b", token=token)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert f"has no certificate for vendor '{VENDOR}'" in done.stderr
    assert f"osokit pki init --dir {other} --vendor {VENDOR}" in done.stderr
    done = certify(target, pki, tmp_path / "c")  # the stand-in's control API asks for its admin token
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "HTTP 401" in done.stderr and "--control-token-file FILE" in done.stderr
    assert not any((tmp_path / d).exists() for d in "abc")
