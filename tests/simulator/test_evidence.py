"""The evidence log's one writer: every exchange recorded the same way, with the headers of both messages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from oso import faults
from oso import transport as t
from oso.exchange import Answer, Call
from oso.faults import OsoFault
from simulator.clock import Clock
from simulator.evidence import INTERNAL, OUT, Recorded
from simulator.faultinject import FaultProfile
from simulator.store import Store
from simulator.transports import Faulty, MockTransport

SESSIE = "9cebd89c-8953-416b-a2cb-ecee939f1775"
AFMELDING = t.AfmeldingRequest(sessie_id=SESSIE, doel_rk="1" * 20, resultaat="OverdrachtGeslaagd")
NOTIFICATIE = t.NotificatieRequest(
    bron_brin="90AA", bron_rk="1" * 20, doel_brin="90AB", doel_rk="2" * 20, koppelsleutel="k", doel="SWV"
)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "evidence.db")
    yield s
    s.close()


def test_an_in_process_call_is_a_pair_with_headers_status_and_timing(store):
    inner = MockTransport(lambda c: Answer.of(t.AfmeldingResponse(resultaat="AfmeldingOntvangen")))
    recorded = Recorded(inner, store, Clock(), INTERNAL, endpoint="/tc", peer="vut-las", vendor="vut")
    recorded.exchange(Call.of("/tc", AFMELDING))
    request, answer = store.messages(with_body=True)
    assert (request["direction"], answer["direction"]) == ("internal", "internal")
    assert (request["operation"], answer["operation"]) == ("afmeldingRequest", "afmeldingResponse")
    assert {request["endpoint"], request["peer"], request["vendor"]} == {"/tc", "vut-las", "vut"}
    assert request["headers"] == {"content-type": "text/xml; charset=utf-8", "soapaction": '"afmelding"'}
    assert answer["headers"] == {"content-type": "text/xml; charset=utf-8"}
    assert answer["http_status"] == 200 and answer["fault"] is None and answer["duration_ms"] >= 0
    assert request["sessie_id"] == answer["sessie_id"] == SESSIE and "AfmeldingOntvangen" in answer["body"]


def test_a_refusal_carries_its_code(store):
    refused = MockTransport(lambda c: Answer.refusing(OsoFault(faults.SESSIE_ONBEKEND)))
    Recorded(refused, store, Clock(), INTERNAL).exchange(Call.of("/tc", AFMELDING))
    _, answer = store.messages()
    assert (answer["http_status"], answer["fault"]) == (500, faults.SESSIE_ONBEKEND)


def send(store: Store, profile: str) -> list[dict[str, object]]:
    inner = MockTransport(lambda c: Answer(200, b"<x/>", {"content-type": "text/xml"}, elapsed_ms=3.5))
    faulty = Faulty(inner, lambda: FaultProfile.parse(f"[[rule]]\ndirection = 'out'\n{profile}\n"), "out")
    recorded = Recorded(faulty, store, Clock(), OUT)

    async def go() -> None:
        await recorded.exchange_async(Call.of("http://127.0.0.1:9/s", NOTIFICATIE, school="2" * 20))
        await store.flush()

    asyncio.run(go())
    return store.messages()


def test_a_message_dropped_on_its_way_out_is_a_lone_request(store):
    (lost,) = send(store, "drop = true")
    assert (lost["direction"], lost["fault"], lost["peer"]) == ("out", "dropped", "http://127.0.0.1:9/s")
    assert lost["headers"]["soapaction"] == '"notificatie"'


def test_a_duplicate_is_two_exchanges(store):
    rows = send(store, "duplicate = true")
    assert [(r["direction"], r["operation"]) for r in rows] == [
        ("out", "notificatieRequest"),
        ("in", "notificatieResponse"),
    ] * 2
    assert len({r["exchange"] for r in rows}) == 2 and rows[1]["duration_ms"] == 3.5


def test_headers_of_every_path_are_in_the_log(world):
    """Received (the suite's client), in process (the bron's sessiecontrole), sent (the doel's documentRequest)."""
    pupil, doel = world.pupil("povo"), world.school("vo")
    mark = world.admin.get("/admin/info").json()["messages"]
    world.overdracht(pupil, doel)
    world.admin.post(
        "/admin/las/transfers", json={"doel_brin": doel[0], "bron_brin": pupil["bron_brin"], "pgn": pupil["pgn"]}
    )
    rows = world.admin.get("/admin/messages", params={"after": mark, "limit": 1000}).json()["messages"]
    requests = {(r["direction"], r["operation"]): r["headers"] for r in rows if r["id"] == r["exchange"]}
    received = requests[("in", "overdrachtRequest")]
    assert received["soapaction"] == '"overdracht"' and received["content-type"].startswith("text/xml")
    assert requests[("internal", "sessiecontroleRequest")]["soapaction"] == '"sessiecontrole"'
    assert requests[("out", "documentRequest")]["soapaction"] == '"document"'
    answers = [r for r in rows if r["id"] != r["exchange"] and r["direction"] in ("in", "out")]
    assert answers and all(r["headers"]["content-type"].startswith("text/xml") for r in answers), answers
