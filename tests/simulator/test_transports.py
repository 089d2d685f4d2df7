"""The transports (HTTP, in process, the test double) and the fault profile wrapped around them."""

from __future__ import annotations

import asyncio
import socket

import pytest

from oso import faults
from oso import transport as t
from oso.exchange import DROPPED, HTTP_ERROR, Answer, Call
from simulator.broker import Caller
from simulator.evidence import _injected
from simulator.faultinject import Action, FaultProfile
from simulator.transports import Faulty, HttpTransport, Loopback, MockTransport, Routed, no_soap

AFMELDING = t.AfmeldingResponse(resultaat="AfmeldingOntvangen")


def overdracht(world) -> t.OverdrachtRequest:
    pupil, doel = world.pupil("povo"), world.school("vo")
    return t.OverdrachtRequest(
        bron_brin=pupil["bron_brin"],
        doel_brin=doel[0],
        doel_rk=doel[1],
        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
        overdrachtsoort="overstapdossier",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_transport_blocking_and_async_against_the_simulator(world):
    http = HttpTransport(timeout=10)
    call = Call.of(f"{world.url}/tc", overdracht(world))

    async def in_a_loop() -> Answer:
        try:
            return await http.exchange_async(call)
        finally:
            await http.aclose()

    blocking, in_loop = http.exchange(call), asyncio.run(in_a_loop())
    for answer in (blocking, in_loop):
        assert answer.status == 200 and answer.headers["content-type"] == "text/xml; charset=utf-8"
        assert answer.elapsed_ms is not None and answer.elapsed_ms > 0
        assert isinstance(answer.result(call), t.OverdrachtResponse)
    assert blocking.result(call).sessie_id != in_loop.result(call).sessie_id


def test_http_transport_to_nothing_is_an_answer_not_an_exception():
    call = Call.of(f"http://127.0.0.1:{free_port()}/tc", t.OverzichtAanleverpuntRequest())
    with HttpTransport(timeout=2) as http:
        answer = http.exchange(call)
    assert answer.status is None and answer.code == faults.TIJDELIJK and "ConnectError" in str(answer.fault)


def test_loopback_checks_the_bytes_against_the_transport_schema(world):
    """TC-MSG-01 relies on it: a hosted LAS's malformed message is refused in process as on the wire."""
    loopback = Loopback(world.sim.tc, Caller())
    braces = t.AfmeldingRequest(sessie_id="{9cebd89c-8953-416b-a2cb-ecee939f1775}", doel_rk="1" * 20, resultaat="x")
    answer = loopback.exchange(Call.of("/tc", braces))
    assert answer.status == 500 and answer.code == faults.SCHEMA_FOUT


def test_loopback_hands_the_typed_answer_back_without_parsing(world):
    call = Call.of("/tc", overdracht(world))
    answer = Loopback(world.sim.tc, Caller()).exchange(call)
    assert answer.status == 200 and isinstance(answer.message, t.OverdrachtResponse)
    assert answer.result(call) is answer.message
    assert answer.message.sessie_id.encode() in answer.body  # the bytes are kept for the evidence log


def test_routed_goes_in_process_for_a_path_and_over_http_for_a_url():
    local, remote = MockTransport(lambda c: Answer.of(AFMELDING)), MockTransport(lambda c: Answer(None))
    routed = Routed(local, remote)
    routed.exchange(Call.of("/tc", t.OverzichtAanleverpuntRequest()))
    routed.exchange(Call.of("http://127.0.0.1:9/tc", t.OverzichtAanleverpuntRequest()))
    assert [c.url for c in local.calls] == ["/tc"] and [c.url for c in remote.calls] == ["http://127.0.0.1:9/tc"]


def rule(text: str) -> FaultProfile:
    return FaultProfile.parse(f"[[rule]]\n{text}\n")


CALL = Call.of("http://127.0.0.1:9/s", t.NotificatieRequest(
    bron_brin="90AA", bron_rk="1" * 20, doel_brin="90AB", doel_rk="2" * 20, koppelsleutel="k", doel="SWV"
))  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "code"),
    [('fault = "DossierNietGevonden"', faults.DOSSIER_NIET_GEVONDEN), ("http_status = 503", faults.TIJDELIJK),
     ("drop = true", faults.TIJDELIJK)],
)  # fmt: skip
def test_in_process_the_profile_answers_with_a_fault_and_never_delivers(outcome, code):
    inner = MockTransport(lambda c: Answer.of(AFMELDING))
    answer = Faulty(inner, lambda: rule(outcome), "in").exchange(CALL)
    assert answer.status == 500 and answer.code == code and inner.calls == []


def test_on_the_wire_a_drop_is_never_delivered_and_an_http_error_is_bare():
    inner = MockTransport(lambda c: Answer.of(AFMELDING))
    dropped = asyncio.run(Faulty(inner, lambda: rule("direction = 'out'\ndrop = true"), "out").exchange_async(CALL))
    assert (dropped.status, dropped.injected, dropped.code) == (None, DROPPED, DROPPED)
    assert dropped.fault is not None and dropped.fault.code == faults.AANLEVERPUNT_ONBEREIKBAAR
    http = asyncio.run(Faulty(inner, lambda: rule("http_status = 502"), "in").exchange_async(CALL))
    assert (http.status, http.injected, http.headers["content-type"]) == (502, HTTP_ERROR, "text/plain; charset=utf-8")
    assert inner.calls == []


def test_on_the_wire_a_duplicate_is_delivered_twice_and_both_answers_kept():
    inner = MockTransport(lambda c: Answer.of(AFMELDING))
    faulty = Faulty(inner, lambda: rule("direction = 'out'\nduplicate = true\ndelay_ms = 1"), "out")
    answer = asyncio.run(faulty.exchange_async(CALL))
    assert len(inner.calls) == 2 and answer.repeat is not None and answer.repeat.result(CALL) == AFMELDING


def test_the_profile_in_force_is_asked_for_each_message():
    profiles = [FaultProfile.none()]
    inner = MockTransport(lambda c: Answer.of(AFMELDING))
    faulty = Faulty(inner, lambda: profiles[-1], "in")
    assert faulty.exchange(CALL).status == 200
    profiles.append(rule('fault = "InterneFout"'))
    assert faulty.exchange(CALL).code == faults.INTERNE_FOUT


@pytest.mark.parametrize(
    ("action", "status", "what"), [(Action(drop=True), None, DROPPED), (Action(http_status=500), 500, HTTP_ERROR)]
)
def test_a_faulty_las_without_a_soap_answer_is_its_own_doing_not_the_profiles(action, status, what):
    """A hosted mutant's bare HTTP error or closed connection (WireAnswer) takes the fault profile's
    path to the wire, but the evidence log must not say the profile did it."""
    own, injected = no_soap(CALL, action, injected=False), no_soap(CALL, action, injected=True)
    assert (own.status, own.wire, own.injected, own.code) == (status, what, None, what)
    assert (injected.status, injected.wire, injected.injected, injected.code) == (status, None, what, what)
    assert own.dropped == injected.dropped == (what == DROPPED)
    assert _injected(own) is None and _injected(injected) == what
