"""Hostile input gets a well-formed SOAP fault with the right catalogue code (or a 4xx when it is
not SOAP), quickly, without leaking files or tracebacks, and the simulator keeps serving.

``make test`` sends every named attack and a sample of each generated family to an in-process
simulator; the slow test sends the whole corpus to a real `osokit serve` process, with slow bodies
held open meanwhile, and measures the server's memory from outside."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from oso import envelope, faults
from oso.namespaces import SOAP11
from oso.parsing import parse
from simulator.service import Config
from simulator.testing import World
from tests.conftest import REDUCED
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.durability import Workload
from tests.simulator.hostile import SECRET, Case, corpus
from tests.simulator.serve import SMALL_COHORT_ARGS, start

LEAKS = (SECRET, "Traceback", 'File "', "root:x:0:0")
CASE_SECONDS = 5  # the most any one case may take to be answered
SERVER_BODY_TIMEOUT = 10  # osokit serve's default time limit for a request body (Config.body_timeout)


@dataclass
class Tally:
    tried: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # fault code, "HTTP 4xx" or "ok"
    slowest: float = 0.0

    @property
    def faults(self) -> int:
        return sum(n for kind, n in self.answers.items() if kind in faults.CATALOGUE)


def send(http: httpx.Client, url: str, case: Case) -> httpx.Response:
    headers = {"content-type": case.content_type} if case.content_type else {}
    content = (
        (chunk for chunk in (case.body[i : i + 65536] for i in range(0, len(case.body), 65536)))
        if case.chunked
        else case.body
    )
    return http.post(url + case.path, content=content, headers=headers)


def check(response: httpx.Response, case: Case, elapsed: float) -> str:
    """Assert the answer is the one the case expects; return what kind of answer it was."""
    assert elapsed < CASE_SECONDS, f"{case.name}: {elapsed:.1f} s"
    assert response.status_code == case.status, (case.name, response.status_code, response.text[:300])
    for leak in LEAKS:
        assert leak not in response.text, (case.name, leak)
    if case.status == 200:
        operation = envelope.body_element(parse(response.content))
        assert operation.tag.endswith("Response"), (case.name, response.text[:300])
        return "ok"
    if case.status != 500:
        code = response.json()["code"]
        assert code == case.code, (case.name, response.text)
        return f"HTTP {case.status}"
    assert response.headers["content-type"].startswith("text/xml"), case.name
    fault = envelope.fault_in(response.content)
    assert fault is not None, (case.name, response.text[:300])
    detail = parse(response.content).find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/detail")[0]
    assert envelope.transport_schema().validate(detail), (case.name, response.text[:300])  # a well-formed fout
    assert fault.code in faults.CATALOGUE, (case.name, fault)
    if case.code:
        assert fault.code == case.code, (case.name, fault)
    return fault.code


def run_corpus(url: str, cases: list[Case], tally: Tally | None = None) -> Tally:
    tally = tally or Tally()
    with httpx.Client(timeout=30) as http:
        for case in cases:
            started = time.monotonic()
            response = send(http, url, case)
            elapsed = time.monotonic() - started
            tally.answers[check(response, case, elapsed)] += 1
            tally.tried += 1
            tally.slowest = max(tally.slowest, elapsed)
        assert http.get(url + "/healthz").status_code == 200
    return tally


def sample(cases: list[Case], every: int) -> list[Case]:
    """Every baseline and named case, and every ``every``-th case of each generated family."""
    keep = [c for c in cases if c.family in ("baseline", "named")]
    for family in ("variant", "truncated", "mutated"):
        keep += [c for c in cases if c.family == family][::every]
    return keep


@pytest.fixture
def hostile_world(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    world = World(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT, body_timeout=1.0))
    school = f"/schools/{world.school('po')[1]}"
    yield world, corpus(str(secret), school)
    world.close()


def test_the_corpus_covers_every_kind_of_attack(hostile_world):
    _, cases = hostile_world
    assert len(cases) >= 200 and len({c.name for c in cases}) == len(cases)
    names = " ".join(c.name for c in cases)
    for kind in (
        "xxe-local-file",
        "xxe-network",
        "billion-laughs",
        "quadratic-blowup",
        "external-dtd",
        "huge-body",
        "deep-nesting",
        "long-attribute",
        "invalid-utf8",
        "no-envelope",
        "soap12",
        "two-bodies",
        "unknown-operation",
        "wrong-namespace",
        "truncated",
        "json",
        "text-plain",
        "empty-body",
        "invalid-dossier",
        "pgn-in-clear",
        "invalid-bsn",
    ):
        assert kind in names, kind
    expected = Counter(c.code for c in cases if c.status == 500)
    assert expected[None] <= 2  # almost every case names the exact code it must get


def test_named_attacks_and_a_sample_of_generated_ones(hostile_world):
    world, cases = hostile_world
    chosen = sample(cases, every=9)
    tally = run_corpus(world.url, chosen)
    assert tally.tried == len(chosen) and tally.answers[faults.INTERNE_FOUT] == 0
    assert world.admin.get("/admin/stats").json()["messages"] > 0  # every rejection is in the evidence log


def test_a_slow_body_is_cut_off(hostile_world):
    world, _ = hostile_world
    answer, elapsed = slow_body(world.url, patience=5)
    assert elapsed < 5
    assert b"HTTP/1.1 500" in answer and b"<code>BerichtTeTraag</code>" in answer


def slow_body(url: str, patience: float, drip: float = 0.0) -> tuple[bytes, float]:
    """Announce 1000 bytes, send a few (then one byte every ``drip`` s, if given), and wait for the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=patience) as sock:
        sock.sendall(b"POST /tc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<s:Env")
        started = time.monotonic()
        answer = b""
        sock.settimeout(drip or patience)
        while b"</soap:Envelope>" not in answer and time.monotonic() - started < patience:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                sock.sendall(b" ")
                continue
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_whole_corpus_against_a_real_server(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    started = time.monotonic()
    served = start(tmp_path / "data", *SMALL_COHORT_ARGS)
    try:
        with httpx.Client(base_url=served.url, timeout=10) as admin:
            pupil = admin.get("/admin/pupils/povo").json()
            schools = admin.get("/admin/register").json()["schools"]
        vo, po = (next(s for s in schools if s["sector"] == sector) for sector in ("vo", "po"))
        doel = (vo["brin"], vo["endpoints"][0]["routeringskenmerk"])
        school = f"/schools/{po['endpoints'][0]['routeringskenmerk']}"
        cases = corpus(str(secret), school)
        chosen = sample(cases, every=4) if REDUCED else cases
        with httpx.Client(timeout=10) as http:
            Workload(served.url, pupil, doel).transfer(http)  # warm up every code path once
        rss_before, _ = served.memory_mib()

        # Slow bodies held open while the corpus runs: each must be cut off, and none may stall the rest.
        slow: list[tuple[bytes, float]] = []
        holders = [
            threading.Thread(target=lambda d=d: slow.append(slow_body(served.url, 30, drip=d)))
            for d in (0, 0, 0, 0.5, 0.5)
        ]
        for holder in holders:
            holder.start()
        tally = run_corpus(served.url, chosen)
        rss_once, _ = served.memory_mib()
        if not REDUCED:  # the same corpus again: memory must not keep growing with the traffic
            run_corpus(served.url, chosen, tally)
        rss_twice, peak = served.memory_mib()
        for holder in holders:
            holder.join(SERVER_BODY_TIMEOUT + 10)

        # and the simulator still does its job
        after = Workload(served.url, pupil, doel)
        with httpx.Client(timeout=10) as http:
            after.transfer(http)
        with httpx.Client(base_url=served.url, timeout=10) as admin:
            internal = admin.get("/admin/messages", params={"fault": faults.INTERNE_FOUT}).json()["messages"]
    finally:
        served.stop()
    elapsed = time.monotonic() - started
    print(
        f"\nhostile corpus: {tally.tried} cases tried ({len(chosen)} distinct), {tally.faults} SOAP faults, "
        f"{tally.answers['HTTP 415']} HTTP 415, {tally.answers['ok']} valid answers; slowest {tally.slowest:.2f} s; "
        f"{len(slow)} slow bodies answered; server RSS {rss_before:.0f} MiB before, {rss_once:.0f} after one pass, "
        f"{rss_twice:.0f} at the end, peak {peak:.0f} MiB (+{peak - rss_before:.0f}); {elapsed:.1f} s"
    )
    assert tally.tried >= len(chosen) and len(chosen) >= (150 if REDUCED else 400)
    assert tally.answers[faults.INTERNE_FOUT] == 0 and internal == []
    assert len(slow) == len(holders)
    for answer, took in slow:
        assert b"<code>BerichtTeTraag</code>" in answer and took < SERVER_BODY_TIMEOUT + 5, (answer[:200], took)
    assert list(after.acknowledged.values()) == ["afgemeld"]
    assert peak - rss_before < 150, "hostile input must not cost the server more than 150 MiB"
    assert rss_twice - rss_once < 25, "a second pass of the same corpus must not keep the memory of the first"
    for leak in LEAKS:
        assert leak not in served.output(), leak
