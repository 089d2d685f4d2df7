"""Hostile input gets a well-formed SOAP fault with the right catalogue code (or a 4xx when it is
not SOAP), quickly, without leaking files or tracebacks, and the simulator keeps serving."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from oso import envelope, faults
from simulator.service import Config
from tests.simulator.conftest import SMALL_COHORT, start_world
from tests.simulator.hostile import SECRET, Case, corpus

LEAKS = (SECRET, "Traceback", 'File "', "root:x:0:0")


def send(http: httpx.Client, url: str, case: Case) -> httpx.Response:
    headers = {"content-type": case.content_type} if case.content_type else {}
    content = (
        (chunk for chunk in (case.body[i : i + 65536] for i in range(0, len(case.body), 65536)))
        if case.chunked
        else case.body
    )
    return http.post(url + case.path, content=content, headers=headers)


def check(response: httpx.Response, case: Case, elapsed: float) -> None:
    assert elapsed < 5, f"{case.name}: {elapsed:.1f} s"
    assert response.status_code == case.status, (case.name, response.status_code, response.text[:300])
    for leak in LEAKS:
        assert leak not in response.text, (case.name, leak)
    if case.status == 500:
        fault = envelope.fault_in(response.content)
        assert fault is not None, (case.name, response.text[:300])
        assert fault.code in faults.CATALOGUE
        if case.code:
            assert fault.code == case.code, (case.name, fault)
    else:
        assert response.json()["code"] in faults.CATALOGUE


def run_corpus(world, cases: list[Case]) -> int:
    answered = 0
    with httpx.Client(timeout=30) as http:
        for case in cases:
            started = time.monotonic()
            check(send(http, world.url, case), case, time.monotonic() - started)
            answered += 1
        assert http.get(world.url + "/healthz").status_code == 200
    return answered


@pytest.fixture
def hostile_world(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    world = start_world(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT, body_timeout=1.0))
    school = f"/schools/{world.school('po')[1]}"
    yield world, corpus(str(secret), school)
    world.close()


def test_named_attacks_and_a_sample_of_generated_ones(hostile_world):
    world, cases = hostile_world
    named = [
        c
        for c in cases
        if not c.name.startswith(("truncated-", "overdracht", "sessie", "afmelding", "melden", "overzicht"))
    ]
    sample = (
        named
        + [c for c in cases if c.name.startswith("truncated-")][:15]
        + [c for c in cases if "Request-" in c.name][::9]
    )
    assert len(named) >= 45
    assert run_corpus(world, sample) == len(sample)
    assert world.admin.get("/admin/stats").json()["messages"] > 0  # every rejection is in the evidence log


def test_a_slow_body_is_cut_off(hostile_world):
    world, _ = hostile_world
    host, port = world.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /tc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<s:Env")
        started = time.monotonic()
        answer = b""
        while b"</soap:Envelope>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 5
    assert b"HTTP/1.1 500" in answer and b"<code>BerichtTeTraag</code>" in answer
