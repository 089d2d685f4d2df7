"""SOAP 1.1 as docs/transport.md describes it: envelopes, faults, reading a request, calling a service.

Written from the documents only (docs/transport.md, the WSDLs and transport.xsd under oso/schemas),
as a vendor new to OSO would: nothing here comes from osokit's own code.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from lxml import etree
from lxml.builder import ElementMaker

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
OSO = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"
DOSSIER = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"

SCHEMAS = Path(__file__).resolve().parents[2] / "oso" / "schemas"
TRANSPORT = etree.XMLSchema(etree.parse(str(SCHEMAS / "overstapservice-20200910" / "transport.xsd")))
AANLEVERPUNT_OPERATIONS = ("documentRequest", "notificatieRequest", "terugkoppelingRequest")
TC_OPERATIONS = (
    "overdrachtRequest",
    "sessiecontroleRequest",
    "afmeldingRequest",
    "meldenNotificatieRequest",
    "meldenTerugkoppelingRequest",
    "overzichtAanleverpuntRequest",
)

M = ElementMaker(namespace=OSO, nsmap={"oso": OSO})  # the OSO messages
_ENV = ElementMaker(namespace=SOAP, nsmap={"soap": SOAP})
# No DTDs, no entities, nothing from the network: what a request says is all we read.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)


class Fault(Exception):
    """A refusal: a SOAP 1.1 Fault with HTTP 500 and the code in detail/fout/code."""

    def __init__(self, code: str, melding: str, party: str = "Client") -> None:
        super().__init__(f"{code}: {melding}")
        self.code, self.melding, self.party = code, melding, party


class Unreachable(Exception):
    """The other side gave no SOAP answer: no connection, a time-out, an HTTP error page."""


def envelope(body: etree._Element) -> bytes:
    return etree.tostring(_ENV.Envelope(_ENV.Body(body)), xml_declaration=True, encoding="utf-8")


def fault_envelope(fault: Fault) -> bytes:
    body = etree.Element(f"{{{SOAP}}}Fault")
    etree.SubElement(body, "faultcode").text = f"soap:{fault.party}"
    etree.SubElement(body, "faultstring").text = f"{fault.code}: {fault.melding}"
    etree.SubElement(body, "detail").append(M.fout(M.code(fault.code), M.melding(fault.melding)))
    return envelope(body)


def parse(data: bytes | str) -> etree._Element:
    """One XML document without a DOCTYPE, or the fault that says what is wrong with it."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise Fault("LeegBericht", "the request has no body")
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as e:
        raise Fault("XmlNietWelgevormd", f"not well-formed XML: {e}") from None
    if root.getroottree().docinfo.doctype:
        raise Fault("DtdNietToegestaan", "DOCTYPE declarations are not accepted")
    return root


def read_request(data: bytes, operations: tuple[str, ...]) -> etree._Element:
    """The operation element of a SOAP 1.1 request to one of ``operations``, valid against transport.xsd."""
    root = parse(data)
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise Fault("SoapVersieNietOndersteund", "this is a SOAP 1.1 service")
    if root.tag != f"{{{SOAP}}}Envelope":
        raise Fault("GeenSoapEnvelope", "the document is not a SOAP 1.1 envelope")
    bodies = root.findall(f"{{{SOAP}}}Body")
    children = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
    if len(children) != 1:
        raise Fault("EnvelopeOnjuist", "the envelope needs exactly one Body with one operation in it")
    op = children[0]
    name = etree.QName(op)
    if name.localname not in operations:
        raise Fault("OnbekendeOperatie", f"{name.localname} is not an operation of this service")
    if name.namespace != OSO:
        raise Fault("OnjuisteNamespace", f"{name.localname} belongs to namespace {OSO}")
    if not TRANSPORT.validate(op):
        error = TRANSPORT.error_log.last_error
        raise Fault("SchemaFout", f"line {error.line}: {error.message}" if error else "not valid")
    return op


def text(op: etree._Element, path: str) -> str | None:
    """The text of the first element at ``path`` (local names joined by '/'), or None."""
    found = op.find("/".join(f"{{{OSO}}}{part}" for part in path.split("/")))
    return None if found is None else (found.text or "")


def sleutel(op: etree._Element) -> etree._Element:
    """The zoeksleutelPgnfrag or koppelsleutel element of a request (sleutelGroup)."""
    found = op.find(f"{{{OSO}}}zoeksleutelPgnfrag")
    return found if found is not None else op.find(f"{{{OSO}}}koppelsleutel")


async def call(client: httpx.AsyncClient, url: str, body: etree._Element, timeout: float) -> etree._Element:
    """Send one operation; its answer element, or Fault (the other side refused), or Unreachable."""
    action = etree.QName(body).localname.removesuffix("Request")
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    try:
        response = await client.post(url, content=envelope(body), headers=headers, timeout=timeout)
    except httpx.HTTPError as e:
        raise Unreachable(f"{url}: {type(e).__name__}: {e}") from None
    try:
        root = parse(response.content)
    except Fault:
        raise Unreachable(f"{url}: HTTP {response.status_code} without a SOAP answer") from None
    answer = root.find(f"{{{SOAP}}}Body/*")
    if answer is not None and answer.tag == f"{{{SOAP}}}Fault":
        code = answer.findtext(f"detail/{{{OSO}}}fout/{{{OSO}}}code")
        if response.status_code != 500 or not code:
            raise Unreachable(f"{url}: HTTP {response.status_code} fault without a fault code")
        raise Fault(code, answer.findtext(f"detail/{{{OSO}}}fout/{{{OSO}}}melding") or "")
    if response.status_code != 200 or answer is None:
        raise Unreachable(f"{url}: HTTP {response.status_code} without an answer")
    return answer
