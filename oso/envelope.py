"""SOAP 1.1 envelopes: reading a request safely, writing responses and faults, reading a peer's answer.

Every rejection is an :class:`~oso.faults.OsoFault` with a catalogue code and a message that says
what and where; :func:`fault` turns it into a well-formed SOAP 1.1 Fault. Parsing goes through the
hardened parser (no DTDs, no entities, no network, bounded size and depth).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from oso import codec, faults
from oso.faults import OsoFault, Party
from oso.namespaces import SERVICE, SOAP11, SOAP12
from oso.parsing import XmlError, parse
from oso.schema import SCHEMA_ROOT, load
from oso.transport import ELEMENT_OF, OPERATIONS, SCHEMA_DIR, element_name

MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a dossier with attachments is ~200 KB; requests are far smaller
TRANSPORT_XSD = SCHEMA_ROOT / SCHEMA_DIR / "transport.xsd"
_ENVELOPE, _HEADER, _BODY, _FAULT = (f"{{{SOAP11}}}{n}" for n in ("Envelope", "Header", "Body", "Fault"))
_XML_CODES = {
    "empty": faults.LEEG_BERICHT,
    "too-large": faults.BERICHT_TE_GROOT,
    "dtd-forbidden": faults.DTD_NIET_TOEGESTAAN,
    "not-well-formed": faults.XML_NIET_WELGEVORMD,
}


@cache
def transport_schema(path: Path = TRANSPORT_XSD) -> etree.XMLSchema:
    return load(path)


def read_request(
    data: bytes, *, max_bytes: int = MAX_REQUEST_BYTES, schema: etree.XMLSchema | None = None
) -> tuple[str, etree._Element]:
    """The operation name and its body element, checked against the transport schema."""
    try:
        root = parse(data, max_bytes=max_bytes)
    except XmlError as exc:
        raise OsoFault(_XML_CODES[exc.code], exc.message, where=f"line {exc.line}" if exc.line else None) from None
    operation = body_element(root)
    name = etree.QName(operation)
    if name.namespace != SERVICE:
        if name.localname in OPERATIONS:
            raise OsoFault(
                faults.ONJUISTE_NAMESPACE,
                f"{name.localname} must be in namespace {SERVICE}, not {name.namespace or 'no namespace'}",
                where=f"line {operation.sourceline}",
            )
        raise OsoFault(
            faults.ONBEKENDE_OPERATIE, f"unknown operation <{name.localname}>", where=f"line {operation.sourceline}"
        )
    if name.localname not in OPERATIONS:
        raise OsoFault(
            faults.ONBEKENDE_OPERATIE, f"unknown operation <{name.localname}>", where=f"line {operation.sourceline}"
        )
    xsd = schema or transport_schema()
    if not xsd.validate(operation):
        error = xsd.error_log[0]
        raise OsoFault(faults.SCHEMA_FOUT, error.message.replace(f"{{{SERVICE}}}", ""), where=f"line {error.line}")
    return name.localname, operation


def body_element(root: etree._Element) -> etree._Element:
    """The one element inside soap:Body, after checking the envelope around it."""
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise OsoFault(faults.SOAP_VERSIE, "this service speaks SOAP 1.1 (namespace " + SOAP11 + ")", where="line 1")
    if root.tag != _ENVELOPE:
        raise OsoFault(
            faults.GEEN_SOAP_ENVELOPE,
            f"root element is <{etree.QName(root).localname}>, expected soap:Envelope",
            where=f"line {root.sourceline}",
        )
    children = [c for c in root if isinstance(c.tag, str)]
    if children and children[0].tag == _HEADER:
        children = children[1:]
    if len(children) != 1 or children[0].tag != _BODY:
        found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
        raise OsoFault(faults.ENVELOPE_ONJUIST, f"expected [Header] Body, found {found}", where="soap:Envelope")
    parts = [c for c in children[0] if isinstance(c.tag, str)]
    if len(parts) != 1:
        raise OsoFault(
            faults.ENVELOPE_ONJUIST,
            f"soap:Body holds {len(parts)} elements, expected exactly one",
            where=f"line {children[0].sourceline}",
        )
    return parts[0]


def decode(operation: etree._Element) -> Any:
    """The typed request of a checked body element; SchemaFout where it passes the schema but does not
    fit osokit's reading of it (a terugkoppelingRequest carrying a dossier element, a year past 9999)."""
    return _typed(operation, OPERATIONS[etree.QName(operation).localname][0])


def _typed(element: etree._Element, cls: type, prefix: str = "") -> Any:
    try:
        return codec.from_element(element, cls)
    except codec.CodecError as exc:
        message = str(exc).split(": ", 1)[-1] if exc.line else str(exc)
        raise OsoFault(faults.SCHEMA_FOUT, prefix + message, where=f"line {exc.line}" if exc.line else None) from None


def _envelope(body: etree._Element) -> bytes:
    """``body`` in a SOAP 1.1 envelope: a tree serialised by lxml, so the answer is always well-formed."""
    envelope = etree.Element(_ENVELOPE, nsmap={"soap": SOAP11})
    etree.SubElement(envelope, _HEADER)
    etree.SubElement(envelope, _BODY).append(body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(envelope, encoding="UTF-8")


def message(msg: object) -> bytes:
    """A typed request or response in a SOAP envelope."""
    return _envelope(codec.to_element(msg, element_name(msg)))


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry (NUL, other controls, lone surrogates) written
    as an escape such as ``\\x00``: a fault may echo what a client sent, and must stay well-formed."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def fault(error: OsoFault) -> bytes:
    """A SOAP 1.1 Fault whose detail carries the catalogue code, the message and where."""
    element = etree.Element(_FAULT)
    etree.SubElement(element, "faultcode").text = f"soap:{error.spec.party.value}"
    etree.SubElement(element, "faultstring").text = xml_text(f"{error.code}: {error.message}")
    fout = etree.SubElement(etree.SubElement(element, "detail"), f"{{{SERVICE}}}fout", nsmap={None: SERVICE})
    etree.SubElement(fout, f"{{{SERVICE}}}code").text = error.code
    etree.SubElement(fout, f"{{{SERVICE}}}melding").text = xml_text(error.message)
    if error.where:
        etree.SubElement(fout, f"{{{SERVICE}}}locatie").text = xml_text(error.where)
    return _envelope(element)


def _fault_of(element: etree._Element) -> OsoFault:
    """The OsoFault a peer's soap:Fault stands for (a code outside the catalogue maps by faultcode)."""
    code = element.findtext(f"detail/{{{SERVICE}}}fout/{{{SERVICE}}}code") or ""
    text = (
        element.findtext(f"detail/{{{SERVICE}}}fout/{{{SERVICE}}}melding")
        or element.findtext("faultstring")
        or "SOAP fault without faultstring"
    )
    if code not in faults.CATALOGUE:
        server = (element.findtext("faultcode") or "").endswith(Party.SERVER.value)
        return OsoFault(faults.INTERNE_FOUT if server else faults.SCHEMA_FOUT, f"peer fault: {text}", sent=code)
    return OsoFault(code, text)


def fault_in(data: bytes) -> OsoFault | None:
    """The fault a SOAP answer carries, or None when it is not a (readable) fault."""
    try:
        element = body_element(parse(data))
    except (XmlError, OsoFault):
        return None
    return _fault_of(element) if element.tag == _FAULT else None


def read_response(
    data: bytes, expected: type, *, max_bytes: int = 32 * 1024 * 1024, schema: etree.XMLSchema | None = None
) -> Any:
    """A peer's answer: the typed response, or the OsoFault it sent (or a fault about its answer)."""
    try:
        root = parse(data, max_bytes=max_bytes)
    except XmlError as exc:
        raise OsoFault(_XML_CODES[exc.code], f"answer: {exc.message}", where=f"line {exc.line}") from None
    element = body_element(root)
    if element.tag == _FAULT:
        raise _fault_of(element)
    wanted = ELEMENT_OF[expected]
    if element.tag != f"{{{SERVICE}}}{wanted}":
        raise OsoFault(
            faults.SCHEMA_FOUT,
            f"answer is <{etree.QName(element).localname}>, expected <{wanted}>",
            where=f"line {element.sourceline}",
        )
    xsd = schema or transport_schema()
    if not xsd.validate(element):
        error = xsd.error_log[0]
        raise OsoFault(
            faults.SCHEMA_FOUT, "answer: " + error.message.replace(f"{{{SERVICE}}}", ""), where=f"line {error.line}"
        )
    return _typed(element, expected, "answer: ")
