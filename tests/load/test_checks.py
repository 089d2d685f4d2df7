"""The cheap conformance checks a load run makes on every answer."""

from __future__ import annotations

import pytest

from fixtures.generator import Request, Size, Traits, build
from load import checks
from oso import codec, envelope, faults
from oso import transport as t
from oso.faults import OsoFault
from oso.profiles import Profile
from oso.xmlmodel import XmlFragment

GRANTED = t.OverdrachtResponse(
    sessie_id="9cebd89c-8953-416b-a2cb-ecee939f1775",
    aanleverpunt=(t.Aanleverpunt(brin="90AA", routeringskenmerk="000000000190AA000001", url="http://127.0.0.1:1/x"),),
)


def dossier_xml() -> str:
    d, _ = build(Request(profile=Profile.POVO, seed=0, size=Size.OPT_OUT, traits=Traits()), 1)
    return codec.to_text(d, "dossier")


def test_a_valid_answer_is_returned_typed():
    assert checks.answer(200, envelope.message(GRANTED), t.OverdrachtResponse) == GRANTED


def test_a_catalogue_fault_with_http_500_is_a_legitimate_outcome():
    fault = checks.answer(500, envelope.fault(OsoFault(faults.DOSSIER_NIET_GEVONDEN)), t.DocumentResponse)
    assert isinstance(fault, OsoFault) and fault.code == faults.DOSSIER_NIET_GEVONDEN


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (200, envelope.fault(OsoFault(faults.DOSSIER_NIET_GEVONDEN)), "DossierNietGevonden"),
        (
            500,
            envelope.fault(OsoFault(faults.DOSSIER_NIET_GEVONDEN)).replace(b"DossierNietGevonden", b"Oeps"),
            "not in the fault catalogue",
        ),
        (200, envelope.message(t.AfmeldingResponse(resultaat="AfmeldingVerwerkt")), "expected <overdrachtResponse>"),
        (200, b"<html>hello</html>", "Body|Envelope|envelope"),
        (200, envelope.message(GRANTED).replace(b"9cebd89c", b"not-a-uuid"), "sessieId"),
    ],
)
def test_answers_that_break_the_protocol_are_conformance_errors(status, body, says):
    with pytest.raises(checks.ConformanceError, match=says):
        checks.answer(status, body, t.OverdrachtResponse)


def test_an_http_error_without_soap_is_a_transport_error_not_a_protocol_break():
    with pytest.raises(checks.TransportError, match="HTTP 503"):
        checks.answer(503, b"Service Unavailable", t.OverdrachtResponse)


def test_dossiers_are_checked_for_namespace_and_sampled_in_full():
    xml = dossier_xml()
    checks.dossier(xml, full=True)
    with pytest.raises(checks.ConformanceError, match="namespace"):
        checks.dossier(xml.replace("oso_gegevensset/2019/dossier", "oso_gegevensset/2018/dossier"), full=False)
    broken = xml.replace("<geboortedatum>", "<geboortedatum>x", 1)
    checks.dossier(broken, full=False)  # not sampled: only the namespace is looked at
    with pytest.raises(checks.ConformanceError, match="invalid dossier"):
        checks.dossier(broken, full=True)
    assert isinstance(XmlFragment(xml), str)
