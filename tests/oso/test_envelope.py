import pytest
from lxml import etree

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault
from oso.namespaces import SERVICE, SOAP11, SOAP12

REQ = t.OverdrachtRequest(
    bron_brin="90AA",
    doel_brin="90AZ",
    doel_rk="000000000190AZ000001",
    zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel="abc="),
    overdrachtsoort="overstapdossier",
)


def wrap(body: str, envelope_ns: str = SOAP11, header: str = "<s:Header/>") -> bytes:
    return f'<s:Envelope xmlns:s="{envelope_ns}">{header}<s:Body>{body}</s:Body></s:Envelope>'.encode()


def code_of(data: bytes) -> OsoFault:
    with pytest.raises(OsoFault) as info:
        envelope.read_request(data)
    return info.value


def test_a_request_round_trips():
    name, element = envelope.read_request(envelope.message(REQ))
    assert name == "overdrachtRequest" and envelope.decode(element) == REQ


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", faults.LEEG_BERICHT),
        (b"<s:Envelope", faults.XML_NIET_WELGEVORMD),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', faults.DTD_NIET_TOEGESTAAN),
        (b"<overdrachtRequest/>", faults.GEEN_SOAP_ENVELOPE),
        (wrap("<x/>", SOAP12), faults.SOAP_VERSIE),
        (wrap("", header=""), faults.ENVELOPE_ONJUIST),
        (wrap("<a/><b/>"), faults.ENVELOPE_ONJUIST),
        (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body/><s:Body/></s:Envelope>'.encode(), faults.ENVELOPE_ONJUIST),
        (wrap(f'<nietBestaandRequest xmlns="{SERVICE}"/>'), faults.ONBEKENDE_OPERATIE),
        (wrap('<overdrachtRequest xmlns="urn:other"/>'), faults.ONJUISTE_NAMESPACE),
        (wrap("<overdrachtRequest/>"), faults.ONJUISTE_NAMESPACE),
        (wrap(f'<overdrachtRequest xmlns="{SERVICE}"><bronBrin>xx</bronBrin></overdrachtRequest>'), faults.SCHEMA_FOUT),
    ],
)
def test_bad_requests_get_their_catalogue_code(data, code):
    assert code_of(data).code == code


def test_size_limit():
    with pytest.raises(OsoFault) as info:
        envelope.read_request(envelope.message(REQ), max_bytes=100)
    assert info.value.code == faults.BERICHT_TE_GROOT


def test_schema_fault_says_where():
    bad = envelope.message(REQ).replace(b"<bronBrin>90AA</bronBrin>", b"<bronBrin>9</bronBrin>")
    fault = code_of(bad)
    assert fault.code == faults.SCHEMA_FOUT and "bronBrin" in fault.message and fault.where.startswith("line")
    assert "{http" not in fault.message


def test_fault_is_well_formed_soap11_with_detail():
    fault = OsoFault(faults.SESSIE_AFWIJKEND, "zoeksleutel <differs> & more", where="sessieId")
    root = etree.fromstring(envelope.fault(fault))
    f = root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    assert f.findtext("faultcode") == "soap:Client"
    assert f.findtext("faultstring") == "SessieAfwijkend: zoeksleutel <differs> & more"
    assert f.findtext(f"detail/{{{SERVICE}}}fout/{{{SERVICE}}}code") == "SessieAfwijkend"
    assert f.findtext(f"detail/{{{SERVICE}}}fout/{{{SERVICE}}}locatie") == "sessieId"
    assert envelope.transport_schema().validate(f.find(f"detail/{{{SERVICE}}}fout"))


def test_server_faults_say_server():
    root = etree.fromstring(envelope.fault(OsoFault(faults.INTERNE_FOUT)))
    assert root.find(f".//{{{SOAP11}}}Fault").findtext("faultcode") == "soap:Server"


def test_reading_a_peer_fault_and_a_wrong_answer():
    with pytest.raises(OsoFault) as info:
        envelope.read_response(envelope.fault(OsoFault(faults.DOSSIER_NIET_GEREED)), t.DocumentResponse)
    assert info.value.code == faults.DOSSIER_NIET_GEREED
    with pytest.raises(OsoFault) as info:
        envelope.read_response(envelope.message(t.AfmeldingResponse(resultaat="x")), t.DocumentResponse)
    assert info.value.code == faults.SCHEMA_FOUT and "expected <documentResponse>" in info.value.message
    foreign = wrap("<s:Fault><faultcode>s:Server</faultcode><faultstring>boom</faultstring></s:Fault>")
    assert envelope.fault_in(foreign).code == faults.INTERNE_FOUT
    assert envelope.fault_in(envelope.message(REQ)) is None
