"""Vendor adapters: manual mode waits for the LAS to act (and gives up); load and HTTP errors are setup errors."""

from __future__ import annotations

import contextlib
import json
import threading
import time

import httpx
import pytest

from conformance.adapter import AdapterError, HttpAdapter, ManualAdapter, NotSupported, load_adapter
from tests.conformance.conftest import control_front, served


@pytest.fixture
def manual(vendor_environment, tmp_path):
    control = f"{vendor_environment.url}/control"
    info = httpx.get(f"{control}/info").json()
    (tmp_path / "vendor.json").write_text(json.dumps(info))
    adapter = ManualAdapter(tmp_path / "vendor.json", vendor_environment.url, timeout=2)
    yield adapter, info, control, vendor_environment.simulator.catalogue.get("povo")
    adapter.close()


def test_manual_mode_prints_the_instruction_and_returns_once_the_las_has_acted(manual, capsys):
    adapter, info, control, pupil = manual
    adapter.timeout = 30
    doel = info["doel"]["vo"]["brin"]

    def person_at_the_las() -> None:
        time.sleep(0.5)
        httpx.post(
            f"{control}/transfers", json={"doel_brin": doel, "bron_brin": pupil.school, "pgns": [pupil.pgn]}, timeout=30
        )

    person = threading.Thread(target=person_at_the_las)
    person.start()
    started = time.monotonic()
    adapter.request(doel, pupil.school, [pupil.pgn])
    person.join()
    assert time.monotonic() - started < 10
    said = capsys.readouterr().err
    assert f"for school {doel}: request the dossier of pupil(s) {pupil.pgn}" in said


def test_manual_mode_gives_up_after_its_timeout_when_nothing_happens(manual):
    adapter, info, _, pupil = manual
    started = time.monotonic()
    with pytest.raises(AdapterError, match="no afmelding"):
        adapter.request(info["doel"]["vo"]["brin"], pupil.school, [pupil.pgn])
    assert 1.5 < time.monotonic() - started < 10


def test_manual_mode_cannot_read_back_imports_so_those_checks_are_skipped(manual):
    adapter, info, _, pupil = manual
    with pytest.raises(NotSupported):
        adapter.imported(info["doel"]["vo"]["brin"], pupil.pgn)


def test_a_control_api_that_fails_is_a_setup_error_not_a_failed_check(vendor_environment):
    adapter = HttpAdapter(f"{vendor_environment.url}/control")
    with pytest.raises(AdapterError, match="HTTP 400"):
        adapter.request("80AB", "90AA", ["not-a-bsn"])
    adapter.close()
    nowhere = HttpAdapter("http://127.0.0.1:9/control", timeout=2)
    with pytest.raises(AdapterError, match="ConnectError"):
        nowhere.info()


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("manual", "needs the vendor info file"),
        ("manual:/no/such/file.json", "cannot read vendor info"),
        ("json:loads", "is not a conformance.adapter.VendorAdapter"),
        ("nope.nope:Adapter", "cannot load Adapter from nope.nope"),
    ],
)
def test_adapter_specs_that_cannot_load_say_why(spec, says):
    with pytest.raises(AdapterError, match=says):
        load_adapter(spec, "reference", "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("path", "remedy"), [("/pupils", "implement POST /pupils"), ("/dossiers", "run in export mode")]
)
def test_a_control_api_without_a_way_to_prepare_leaves_those_checks_untested(vendor_environment, path, remedy):
    """404 is the contract's answer for a call a test environment does not offer: not a silent success."""
    front = control_front(f"{vendor_environment.url}/control", missing={f"POST {path}"})
    with served(front) as url, contextlib.closing(HttpAdapter(url, timeout=10)) as adapter:
        prepare = adapter.prepare_pupil if path == "/pupils" else adapter.prepare
        with pytest.raises(NotSupported) as refused:
            prepare("80AA", "990001520", "ready", [])
    assert refused.value.reason == f"the LAS's control API answers 404 to POST {path}"
    assert refused.value.remedy.startswith(remedy)
