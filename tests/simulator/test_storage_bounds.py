"""Storage a client cannot run out: a refused body keeps a prefix, its sha256 and its size; the evidence
log has a cap past which the oldest exchanges go (never sessions or the reference LAS's records); below
a disk-space floor new sessions are refused while those under way finish. The slow test floods a real
`osokit serve` with 1 MiB junk bodies and measures how much the database grows."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from oso import envelope, faults
from oso.faults import OsoFault
from simulator.service import DB_NAME, Config
from simulator.store import MIB, REFUSED_PREFIX
from simulator.testing import World
from tests.conftest import REDUCED
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.serve import SMALL_COHORT_ARGS, start

XML = {"content-type": "text/xml"}


def junk(size: int, seed: int = 0) -> bytes:
    """Well-formed XML that is not a SOAP envelope: answered GeenSoapEnvelope."""
    filler = hashlib.sha256(str(seed).encode()).hexdigest().encode()
    return b"<junk>" + (filler * (size // len(filler) + 1))[: size - 13] + b"</junk>"


def last_request(world) -> dict:
    found = world.admin.get("/admin/messages", params={"after": 0, "limit": 10_000, "body": 1}).json()["messages"]
    return [m for m in found if m["direction"] == "in"][-1]


def test_a_refused_body_keeps_a_prefix_with_its_sha256_and_size(world):
    body = junk(MIB)
    answer = world.admin.post("/tc", content=body, headers=XML)
    assert envelope.fault_in(answer.content).code == faults.GEEN_SOAP_ENVELOPE
    kept = last_request(world)
    assert kept["size"] == len(body) and kept["sha256"] == hashlib.sha256(body).hexdigest()
    assert kept["body"] == body[:REFUSED_PREFIX].decode()


def test_an_accepted_body_is_kept_whole(world):
    pupil, doel = world.pupil("many-attachments"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    world.document(pupil, doel, granted)
    found = world.admin.get("/admin/messages", params={"limit": 10_000, "body": 1}).json()["messages"]
    answer = next(m for m in found if m["operation"] == "documentResponse" and m["direction"] == "out")
    assert answer["size"] > REFUSED_PREFIX and answer["sha256"] is None
    assert len(answer["body"].encode()) == answer["size"]


@pytest.fixture
def capped(tmp_path):
    w = World(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT, evidence_max_mb=1))
    yield w
    w.close()


def test_past_its_cap_the_evidence_log_drops_its_oldest_exchanges_and_nothing_else(capped):
    w = capped
    pupil, doel = w.pupil("povo"), w.school("vo")
    sessions = []
    for round_ in range(8):  # ~2 MB of refused bodies in all, with whole transfers in between
        granted = w.overdracht(pupil, doel)
        w.document(pupil, doel, granted)
        w.oso.afmelding(sessie_id=granted.sessie_id, doel_rk=doel[1], resultaat=faults.GESLAAGD)
        sessions.append(granted.sessie_id)
        for n in range(16):
            w.admin.post("/tc", content=junk(64 * 1024, seed=round_ * 100 + n), headers=XML)
    store = w.sim.store
    counted = store.db.execute("SELECT sum(length(body)) + sum(coalesce(length(headers), 0)) FROM messages")
    assert counted.fetchone()[0] <= store.evidence_bytes() <= MIB
    kept = w.admin.get("/admin/messages", params={"limit": 10_000}).json()["messages"]
    assert kept[0]["id"] > 1 and kept[-1]["id"] == store.db.execute("SELECT max(id) FROM messages").fetchone()[0]
    per_exchange = Counter(m["exchange"] for m in kept)
    assert all(m["exchange"] in per_exchange for m in kept) and min(per_exchange.values()) == 2  # whole exchanges
    # The evidence of the first transfers is gone; the transfers themselves are not.
    assert not w.admin.get(f"/admin/sessions/{sessions[0]}").json()["messages"]
    assert [w.admin.get(f"/admin/sessions/{s}").json()["state"] for s in sessions] == ["afgemeld"] * 8
    assert store.count("las_requests") == 8


def test_below_the_disk_floor_new_sessions_are_refused_and_those_under_way_finish(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    world.sim.store.disk_floor_bytes = 1 << 60  # more than any disk has free
    with pytest.raises(OsoFault) as refused:
        world.overdracht(pupil, doel)
    assert refused.value.code == faults.TIJDELIJK and "below its floor" in refused.value.message
    assert world.document(pupil, doel, granted).resultaat == faults.GESLAAGD
    world.oso.afmelding(sessie_id=granted.sessie_id, doel_rk=doel[1], resultaat=faults.GESLAAGD)
    assert world.admin.get("/healthz").json()["sessions"] == 1


def database_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob(f"{DB_NAME}*"))


def flood(url: str, bodies: int, size: int = MIB, threads: int = 4) -> Counter[str]:
    """POST ``bodies`` junk bodies of ``size`` bytes from ``threads`` clients; the answers by fault code."""
    answers: Counter[str] = Counter()
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(timeout=30) as http:
            for n in range(k, bodies, threads):
                answer = http.post(f"{url}/tc", content=junk(size, seed=n), headers=XML)
                code = getattr(envelope.fault_in(answer.content), "code", f"HTTP {answer.status_code}")
                with lock:
                    answers[code] += 1

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(600)
    return answers


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("cap_mb", [1024, 4])
def test_a_flood_of_1_mib_junk_bodies_grows_the_database_by_little(tmp_path, cap_mb):
    bodies = 200 if REDUCED else 1000
    data = tmp_path / "data"
    served = start(data, *SMALL_COHORT_ARGS, "--evidence-max-mb", str(cap_mb))
    try:
        before = database_bytes(data)
        answers = flood(served.url, bodies)
        grown = database_bytes(data) - before
    finally:
        served.stop()
    assert answers == {faults.GEEN_SOAP_ENVELOPE: bodies}
    bound = min(bodies * (REFUSED_PREFIX + 4096), cap_mb * MIB) + 8 * MIB  # the prefixes (or the cap), a WAL
    print(
        f"\n{bodies} junk bodies of 1 MiB ({bodies} MiB sent), --evidence-max-mb {cap_mb}: "
        f"database grew {grown / MIB:.1f} MiB (bound {bound / MIB:.1f} MiB)"
    )
    assert grown <= bound
    assert os.path.getsize(data / DB_NAME) <= before + bound
