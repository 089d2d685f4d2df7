"""One exchange as values: how a call is encoded and how every caller reads what came back."""

from __future__ import annotations

import pytest

from oso import envelope, faults
from oso import transport as t
from oso.exchange import DROPPED, Answer, Call, soap_headers
from oso.faults import OsoFault

OVERDRACHT = t.OverdrachtRequest(
    bron_brin="90AA",
    doel_brin="90AB",
    doel_rk="00000001" + "90AB" + "00" + "000001",
    zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(pgnfrag="1234"),
    overdrachtsoort="overstapdossier",
)
NOTIFICATIE = t.NotificatieRequest(
    bron_brin="90AA", bron_rk="1" * 20, doel_brin="90AB", doel_rk="2" * 20, koppelsleutel="k", doel="SWV"
)


def test_a_call_is_the_envelope_with_content_type_and_soapaction():
    call = Call.of("http://127.0.0.1:9/tc", OVERDRACHT)
    assert call.body == envelope.message(OVERDRACHT)
    assert dict(call.headers) == {"content-type": "text/xml; charset=utf-8", "soapaction": '"overdracht"'}
    assert (call.operation, call.school, call.to_tc) == ("overdrachtRequest", "90AB", True)
    assert soap_headers("documentRequest")["soapaction"] == '"document"'


def test_an_aanleverpunt_call_names_the_routeringskenmerk_it_goes_to():
    call = Call.of("http://127.0.0.1:9/x", NOTIFICATIE, school="3" * 20)
    assert (call.school, call.to_tc) == ("3" * 20, False)


def test_a_typed_answer_is_read_from_its_bytes_or_taken_as_it_is():
    call = Call.of("/tc", OVERDRACHT)
    granted = t.OverdrachtResponse(
        sessie_id="9cebd89c-8953-416b-a2cb-ecee939f1775",
        aanleverpunt=(t.Aanleverpunt(brin="90AA", routeringskenmerk="1" * 20, url="http://127.0.0.1:9/s"),),
    )
    assert Answer(200, envelope.message(granted)).result(call) == granted
    in_process = Answer.of(granted)
    assert in_process.result(call) is granted  # never parsed again
    assert in_process.body == envelope.message(granted)  # but its bytes are there for the evidence log


def test_a_fault_answer_raises_the_fault_the_peer_sent():
    fault = OsoFault(faults.SESSIE_ONBEKEND, "no session x")
    call = Call.of("/tc", OVERDRACHT)
    with pytest.raises(OsoFault) as raised:
        Answer(500, envelope.fault(fault)).result(call)
    assert (raised.value.code, raised.value.message) == (faults.SESSIE_ONBEKEND, "no session x")
    assert Answer(500, envelope.fault(fault)).code == faults.SESSIE_ONBEKEND
    with pytest.raises(OsoFault) as raised:
        Answer.refusing(fault).result(call)
    assert raised.value is fault


@pytest.mark.parametrize(
    ("request_", "code"),
    [(OVERDRACHT, faults.TIJDELIJK), (NOTIFICATIE, faults.AANLEVERPUNT_ONBEREIKBAAR)],
    ids=["traffic-center", "aanleverpunt"],
)
def test_no_answer_or_a_bare_http_error_means_unreachable(request_, code):
    call = Call.of("http://127.0.0.1:9/x", request_)
    for answer in (Answer.unreachable(call, "ConnectError: refused"), Answer(503, b"busy")):
        with pytest.raises(OsoFault) as raised:
            answer.result(call)
        assert raised.value.code == code and "http://127.0.0.1:9/x" in str(raised.value)


def test_what_the_evidence_log_notes_for_an_answer():
    call = Call.of("/tc", OVERDRACHT)
    assert Answer.of(t.AfmeldingResponse(resultaat="AfmeldingOntvangen")).code is None
    assert Answer(503, b"busy").code is None  # an HTTP error without a SOAP fault has no code
    assert Answer.unreachable(call, "lost", injected=DROPPED).code == DROPPED
    assert Answer.unreachable(call, "refused").code == faults.TIJDELIJK
