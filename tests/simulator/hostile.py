"""The hostile-input corpus: requests built to hurt, each with the answer the simulator must give.

Five families (``Case.family``):

* ``baseline``: every valid request of every operation, sent where it belongs. The routes name schools
  the register does not have, so each ends in its business answer; the other families are measured
  against these.
* ``named``: attacks written out one by one (XXE, entity expansion, huge and deep documents, broken
  encodings and envelopes, wrong content types, PGN in clear, an invalid dossier, ...).
* ``variant``: the same envelope and transport attacks generated for every valid request.
* ``truncated``: valid requests cut short at many points.
* ``mutated``: each element of each valid request deleted, duplicated, emptied or blown up.

Every case expects a SOAP fault with a given catalogue code, a plain 4xx for requests that are not
SOAP at all, or (a few baseline-like cases) the operation's normal answer. ``code=None`` with status
500 means any catalogue code: used only where libxml2 versions differ in which defect they see first.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from oso import envelope, faults
from oso import transport as t
from oso.identifiers import synthetic_bsn, synthetic_onderwijsnummer
from oso.namespaces import SERVICE, SOAP11, SOAP12

SID = "9cebd89c-8953-416b-a2cb-ecee939f1775"
# Schools the register does not have: every schema-valid request still ends in a (business) fault.
ROUTE = {"bron_brin": "99AA", "bron_rk": "000000000199AA000001", "doel_brin": "99AB", "doel_rk": "000000000199AB000001"}
ZS = t.ZoeksleutelPgnfrag(zoeksleutel="laZgbrJKpGIRSEXlWLAsfn8G/SRPX/DSJdGPIkZEDTc=")
SECRET = "OSOKIT-SECRET-FILE-CONTENT"  # written to a temp file the XXE cases point at
TC = "/tc"
SCHOOL = "{school}"  # replaced by the path of a real aanleverpunt of the reference LAS

REQUESTS: list[object] = [
    t.OverdrachtRequest(
        bron_brin="99AA",
        doel_brin="99AB",
        doel_rk=ROUTE["doel_rk"],
        zoeksleutel_pgnfrag=ZS,
        overdrachtsoort="overstapdossier",
    ),
    t.SessiecontroleRequest(**ROUTE, zoeksleutel_pgnfrag=ZS, overdrachtsoort="overstapdossier", sessie_id=SID),
    t.AfmeldingRequest(sessie_id=SID, doel_rk=ROUTE["doel_rk"], resultaat="OverdrachtGeslaagd"),
    t.MeldenNotificatieRequest(**ROUTE),
    t.MeldenTerugkoppelingRequest(**ROUTE, koppelsleutel=SID),
    t.OverzichtAanleverpuntRequest(brin="99AA", doel="onbekend"),
]
SCHOOL_REQUESTS: list[object] = [
    t.DocumentRequest(sessie_id=SID, **ROUTE, zoeksleutel_pgnfrag=ZS, overdrachtsoort="overstapdossier"),
    t.NotificatieRequest(**ROUTE, koppelsleutel=SID, doel="SWV"),
]
# What each valid request gets: (HTTP status, catalogue code). The order of the checks decides the code:
# at the TC the key and the schools, at a school's aanleverpunt first whether the message is for it.
BASELINE: dict[str, tuple[int, str | None]] = {
    "overdrachtRequest": (500, faults.AANVRAGER_NIET_BEKEND),
    "sessiecontroleRequest": (500, faults.SESSIE_ONBEKEND),
    "afmeldingRequest": (500, faults.SESSIE_ONBEKEND),
    "meldenNotificatieRequest": (500, faults.VERSTREKKER_NIET_BEKEND),
    "meldenTerugkoppelingRequest": (500, faults.KOPPELSLEUTEL_ONBEKEND),
    "overzichtAanleverpuntRequest": (200, None),
    "documentRequest": (500, faults.VERSTREKKER_AANLEVERPUNT),
    "notificatieRequest": (500, faults.ONBEKEND_AANLEVERPUNT),
}
# Children with minOccurs="0" in transport.xsd: leaving one out keeps the request valid.
OPTIONAL = {"overzichtAanleverpuntRequest": {"brin", "doel", "routeringsKenmerk"}}


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    code: str | None = None  # the catalogue code of the SOAP fault; None: any code from the catalogue
    status: int = 500  # 500 for SOAP faults, 4xx for requests that are not SOAP at all, 200 for valid ones
    content_type: str | None = "text/xml; charset=utf-8"
    path: str = TC
    chunked: bool = False  # send without Content-Length
    family: str = "named"


def soap(body: str, ns: str = SOAP11, header: str = "<s:Header/>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ns}">{header}<s:Body>{body}</s:Body>'
        f"</s:Envelope>".encode()
    )


def valid(request: object) -> bytes:
    return envelope.message(request)


def _operation_xml(request: object) -> bytes:
    """The bare operation element of a valid request, with its namespace declaration."""
    return valid(request).split(b"<soap:Body>")[1].split(b"</soap:Body>")[0]


def _targets() -> list[tuple[object, str]]:
    return [(r, TC) for r in REQUESTS] + [(r, SCHOOL) for r in SCHOOL_REQUESTS]


def _baseline(request: object) -> dict[str, Any]:
    status, code = BASELINE[t.element_name(request)]
    return {"status": status, "code": code}


def baseline() -> Iterator[Case]:
    for request, path in _targets():
        yield Case(
            f"valid-{t.element_name(request)}", valid(request), path=path, family="baseline", **_baseline(request)
        )


def named(secret_path: str) -> Iterator[Case]:
    D = faults.DTD_NIET_TOEGESTAAN
    op = f'<overdrachtRequest xmlns="{SERVICE}">'
    overdracht = valid(REQUESTS[0])
    yield Case(
        "xxe-local-file",
        f'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret_path}">]>'
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><a>&x;</a></s:Body></s:Envelope>'.encode(),
        D,
    )
    yield Case("xxe-passwd", b'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s>&x;</s>', D)
    yield Case("xxe-network", b'<!DOCTYPE s [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><s>&x;</s>', D)
    for scheme in ("https://127.0.0.1:9/x", "ftp://127.0.0.1:9/x", "php://filter/resource=/etc/passwd", "expect://id"):
        yield Case(f"xxe-{scheme.split(':')[0]}", f'<!DOCTYPE s [<!ENTITY x SYSTEM "{scheme}">]><s>&x;</s>'.encode(), D)
    yield Case("xxe-parameter-entity", b'<!DOCTYPE s [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><s/>', D)
    yield Case("xxe-in-attribute", f'<!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret_path}">]><s a="&x;"/>'.encode(), D)
    yield Case(
        "xxe-utf16",
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret_path}">]><s>&x;</s>'.encode(
            "utf-16"
        ),
        D,
    )
    yield Case("xxe-after-bom", b'\xef\xbb\xbf<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s>&x;</s>', D)
    yield Case("doctype-after-comment", b"<!-- hello --><!DOCTYPE s><s/>", D)
    yield Case("doctype-after-pi", b'<?xml version="1.0"?><?pi x?>\n<!DOCTYPE s><s/>', D)
    yield Case("external-dtd", b'<!DOCTYPE s SYSTEM "http://127.0.0.1:9/s.dtd"><s/>', D)
    yield Case("external-dtd-file", f'<!DOCTYPE s SYSTEM "file://{secret_path}"><s/>'.encode(), D)
    yield Case("external-dtd-public", b'<!DOCTYPE s PUBLIC "-//X//Y" "http://127.0.0.1:9/s.dtd"><s/>', D)
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    yield Case("billion-laughs", f"<!DOCTYPE s [{laughs}]><s>&l9;</s>".encode(), D)
    p_laughs = '<!ENTITY % l0 "lol">' + "".join(f'<!ENTITY % l{i} "{f"%l{i - 1};" * 10}">' for i in range(1, 10))
    yield Case("billion-laughs-parameter", f"<!DOCTYPE s [{p_laughs}]><s/>".encode(), D)
    yield Case("quadratic-blowup", f'<!DOCTYPE s [<!ENTITY a "{"a" * 50_000}">]><s>{"&a;" * 2000}</s>'.encode(), D)
    yield Case("huge-body", b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>", faults.BERICHT_TE_GROOT)
    yield Case("huge-body-chunked", b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>", faults.BERICHT_TE_GROOT, chunked=True)
    # Either side of the size limit: whitespace inside the envelope keeps the request valid.
    pad = envelope.MAX_REQUEST_BYTES - len(overdracht)
    yield Case(
        "just-under-size-limit",
        overdracht.replace(b"<soap:Body>", b" " * (pad - 1024) + b"<soap:Body>"),
        faults.AANVRAGER_NIET_BEKEND,
    )
    yield Case(
        "just-over-size-limit",
        overdracht.replace(b"<soap:Body>", b" " * (pad + 1) + b"<soap:Body>"),
        faults.BERICHT_TE_GROOT,
    )
    yield Case("deep-nesting-10000", soap("<a>" * 10_000 + "</a>" * 10_000), faults.XML_NIET_WELGEVORMD)
    yield Case(
        "deep-nesting-in-operation", soap(op + "<a>" * 200 + "</a>" * 200 + "</overdrachtRequest>"), faults.SCHEMA_FOUT
    )
    yield Case(
        "many-siblings",
        overdracht.replace(b"</overdrachtRequest>", b"<a/>" * 100_000 + b"</overdrachtRequest>"),
        faults.SCHEMA_FOUT,
    )
    yield Case(
        "long-attribute", soap(f'<overdrachtRequest xmlns="{SERVICE}" x="{"a" * 1_000_000}"/>'), faults.SCHEMA_FOUT
    )
    yield Case(
        "many-attributes",
        soap(f'<overdrachtRequest xmlns="{SERVICE}" ' + " ".join(f'a{i}="1"' for i in range(5000)) + "/>"),
        faults.SCHEMA_FOUT,
    )
    yield Case(
        "many-namespace-declarations",
        overdracht.replace(
            op.encode(), (op[:-1] + " " + " ".join(f'xmlns:p{i}="urn:p{i}"' for i in range(5000)) + ">").encode()
        ),
        faults.AANVRAGER_NIET_BEKEND,
    )
    yield Case("long-element-name", b"<" + b"a" * 1_000_000 + b"/>", faults.XML_NIET_WELGEVORMD)
    yield Case("long-attribute-name", b"<s " + b"a" * 1_000_000 + b'="1"/>', faults.XML_NIET_WELGEVORMD)
    yield Case("long-zoeksleutel", overdracht.replace(ZS.zoeksleutel.encode(), b"A" * 200_000), faults.SCHEMA_FOUT)
    yield Case(
        "invalid-utf8",
        soap("<a>\xff\xfe</a>").replace("\xff\xfe".encode(), b"\xff\xfe\xc3"),
        faults.XML_NIET_WELGEVORMD,
    )
    yield Case("overlong-utf8", soap("<a>X</a>").replace(b"X", b"\xc0\xaf"), faults.XML_NIET_WELGEVORMD)
    yield Case("surrogate-utf8", soap("<a>X</a>").replace(b"X", b"\xed\xa0\x80"), faults.XML_NIET_WELGEVORMD)
    yield Case(
        "utf16-document", '<?xml version="1.0" encoding="UTF-16"?><s/>'.encode("utf-16"), faults.GEEN_SOAP_ENVELOPE
    )
    # libxml2 detects UTF-16 from the first bytes whatever the declaration says: any clear fault will do
    yield Case("utf16-bytes-declared-utf8", '<?xml version="1.0" encoding="UTF-8"?><s/>'.encode("utf-16-le"))
    yield Case("nul-byte", soap("<a>\x00</a>"), faults.XML_NIET_WELGEVORMD)
    yield Case("nul-char-reference", soap("<a>&#0;</a>"), faults.XML_NIET_WELGEVORMD)
    yield Case("undefined-entity", soap("<a>&nbsp;</a>"), faults.XML_NIET_WELGEVORMD)
    yield Case("undefined-prefix", b"<p:Envelope><p:Body/></p:Envelope>", faults.XML_NIET_WELGEVORMD)
    yield Case("no-envelope", _operation_xml(REQUESTS[0]), faults.GEEN_SOAP_ENVELOPE)
    yield Case("envelope-without-namespace", b"<Envelope><Body/></Envelope>", faults.GEEN_SOAP_ENVELOPE)
    yield Case(
        "envelope-in-other-namespace", b'<s:Envelope xmlns:s="urn:x"><s:Body/></s:Envelope>', faults.GEEN_SOAP_ENVELOPE
    )
    yield Case(
        "envelope-without-body",
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Header/></s:Envelope>'.encode(),
        faults.ENVELOPE_ONJUIST,
    )
    yield Case(
        "two-bodies",
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><a/></s:Body><s:Body><a/></s:Body></s:Envelope>'.encode(),
        faults.ENVELOPE_ONJUIST,
    )
    yield Case("empty-body-element", soap(""), faults.ENVELOPE_ONJUIST)
    yield Case("two-operations", soap(f"{op}</overdrachtRequest>{op}</overdrachtRequest>"), faults.ENVELOPE_ONJUIST)
    yield Case(
        "header-after-body",
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><a/></s:Body><s:Header/></s:Envelope>'.encode(),
        faults.ENVELOPE_ONJUIST,
    )
    yield Case(
        "soap12-envelope",
        soap(f"{op}</overdrachtRequest>", SOAP12),
        faults.SOAP_VERSIE,
        content_type="application/soap+xml",
    )
    yield Case("unknown-operation", soap(f'<inbraakRequest xmlns="{SERVICE}"/>'), faults.ONBEKENDE_OPERATIE)
    yield Case("fault-as-request", soap("<s:Fault><faultcode>x</faultcode></s:Fault>"), faults.ONBEKENDE_OPERATIE)
    yield Case(
        "response-as-request",
        valid(t.AfmeldingResponse(resultaat="AfmeldingOntvangen")),
        faults.ONBEKENDE_OPERATIE,
    )
    yield Case("wrong-namespace", overdracht.replace(SERVICE.encode(), b"urn:evil"), faults.ONJUISTE_NAMESPACE)
    yield Case("old-oso18-namespace", overdracht.replace(b"20200910", b"20180404"), faults.ONJUISTE_NAMESPACE)
    yield Case("school-operation-at-tc", valid(SCHOOL_REQUESTS[1]), faults.ONBEKENDE_OPERATIE)
    yield Case("tc-operation-at-school", overdracht, faults.ONBEKENDE_OPERATIE, path=SCHOOL)
    yield Case("empty-body", b"", faults.LEEG_BERICHT)
    yield Case("whitespace-body", b"  \n\t ", faults.LEEG_BERICHT)
    yield Case("json-as-xml", b'{"overdrachtRequest": {}}', faults.XML_NIET_WELGEVORMD)
    yield Case(
        "json-content-type",
        b'{"overdrachtRequest": {}}',
        faults.GEEN_SOAP_VERZOEK,
        status=415,
        content_type="application/json",
    )
    yield Case("text-plain", overdracht, faults.GEEN_SOAP_VERZOEK, status=415, content_type="text/plain")
    yield Case(
        "form-urlencoded",
        b"a=1&b=2",
        faults.GEEN_SOAP_VERZOEK,
        status=415,
        content_type="application/x-www-form-urlencoded",
    )
    yield Case("no-content-type", overdracht, faults.GEEN_SOAP_VERZOEK, status=415, content_type=None)
    yield Case(
        "multipart",
        b"--b\r\n\r\n<x/>\r\n--b--",
        faults.GEEN_SOAP_VERZOEK,
        status=415,
        content_type="multipart/related; boundary=b",
    )
    yield Case("pgn-in-clear", overdracht.replace(ZS.zoeksleutel.encode(), b"246263738"), faults.PGN_ONVERSLEUTELD)
    yield Case(
        "pgn-in-clear-inside",
        overdracht.replace(ZS.zoeksleutel.encode(), b"bsn=246263738"),
        faults.PGN_ONVERSLEUTELD,
    )
    yield Case(
        "invalid-bsn-as-zoeksleutel",
        overdracht.replace(ZS.zoeksleutel.encode(), b"123456789"),
        faults.ZOEKSLEUTEL_ONGELDIG,
    )
    bad_dossier = (
        '<terugkoppeling xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"><bsn>123456789'
        "</bsn></terugkoppeling>"
    )
    yield Case(
        "invalid-dossier",
        valid(t.TerugkoppelingRequest(**ROUTE, koppelsleutel=SID, terugkoppeling=bad_dossier)),
        faults.DOSSIER_ONGELDIG,
        path=SCHOOL,
    )
    # Legal XML the hardened parser must still read as the request it is.
    yield Case(
        "processing-instruction",
        b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?>'
        + overdracht[len(b'<?xml version="1.0" encoding="UTF-8"?>\n') :],
        faults.AANVRAGER_NIET_BEKEND,
    )
    yield Case(
        "xinclude",
        soap(
            f'<overdrachtRequest xmlns="{SERVICE}"><xi:include xmlns:xi='
            f'"http://www.w3.org/2001/XInclude" href="file://{secret_path}"/></overdrachtRequest>'
        ),
        faults.SCHEMA_FOUT,
    )
    yield Case(
        "cdata-zoeksleutel",
        overdracht.replace(ZS.zoeksleutel.encode(), b"<![CDATA[" + ZS.zoeksleutel.encode() + b"]]>"),
        faults.AANVRAGER_NIET_BEKEND,
    )
    yield Case(
        "comments-everywhere",
        overdracht.replace(b"<soap:Body>", b"<!--a--><soap:Body><!--b-->"),
        faults.AANVRAGER_NIET_BEKEND,
    )


def variants() -> Iterator[Case]:
    """The envelope and transport attacks, generated for every valid request of every operation."""
    for request, path in _targets():
        for kind, body, expect in _variants_of(request, path):
            yield Case(f"{t.element_name(request)}-{kind}", body, **({"path": path, "family": "variant"} | expect))


def _variants_of(request: object, path: str) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    name = t.element_name(request)
    data, inner = valid(request), _operation_xml(request)
    soap12 = data.replace(SOAP11.encode(), SOAP12.encode())
    yield "soap12", soap12, {"code": faults.SOAP_VERSIE}
    yield "soap12-content-type", soap12, {"code": faults.SOAP_VERSIE, "content_type": "application/soap+xml"}
    yield "wrong-namespace", data.replace(SERVICE.encode(), b"urn:evil"), {"code": faults.ONJUISTE_NAMESPACE}
    yield "no-namespace", data.replace(f' xmlns="{SERVICE}"'.encode(), b""), {"code": faults.ONJUISTE_NAMESPACE}
    yield "renamed", data.replace(name.encode(), b"inbraakRequest"), {"code": faults.ONBEKENDE_OPERATIE}
    yield "bare", inner, {"code": faults.GEEN_SOAP_ENVELOPE}
    two = data.replace(b"</soap:Body>", b"</soap:Body><soap:Body>" + inner + b"</soap:Body>")
    yield "two-bodies", two, {"code": faults.ENVELOPE_ONJUIST}
    yield "twice-in-body", data.replace(inner, inner * 2), {"code": faults.ENVELOPE_ONJUIST}
    yield "extra-before-body", data.replace(b"<soap:Body>", b"<x/><soap:Body>"), {"code": faults.ENVELOPE_ONJUIST}
    doctype = b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    xxe = data.replace(b"?>", b"?>" + doctype, 1).replace(b"<soap:Body>", b"<soap:Body>&x;")
    yield "xxe", xxe, {"code": faults.DTD_NIET_TOEGESTAAN}
    yield "wrong-endpoint", data, {"code": faults.ONBEKENDE_OPERATIE, "path": SCHOOL if path == TC else TC}
    bad_bytes = data.replace(b"<soap:Body>", b"<soap:Body>\xff\xfe")
    yield "invalid-utf8", bad_bytes, {"code": faults.XML_NIET_WELGEVORMD}
    yield "truncated-half", data[: len(data) // 2], {"code": faults.XML_NIET_WELGEVORMD}
    utf16 = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    yield "utf16", utf16, _baseline(request)
    not_soap = {"code": faults.GEEN_SOAP_VERZOEK, "status": 415}
    yield "json", b'{"' + name.encode() + b'": {}}', not_soap | {"content_type": "application/json"}
    yield "text-plain", data, not_soap | {"content_type": "text/plain"}
    yield "no-content-type", data, not_soap | {"content_type": None}
    if getattr(request, "zoeksleutel_pgnfrag", None) is None or path != TC:
        return
    key = ZS.zoeksleutel.encode()
    for i, pgn in enumerate((synthetic_bsn(17), synthetic_onderwijsnummer(17), f"bsn:{synthetic_bsn(3)}")):
        yield f"pgn-in-clear-{i}", data.replace(key, pgn.encode()), {"code": faults.PGN_ONVERSLEUTELD}
    for i, bad in enumerate((b"123456789", b"not base64!", b"bnVsbA==")):
        yield f"bad-zoeksleutel-{i}", data.replace(key, bad), {"code": faults.ZOEKSLEUTEL_ONGELDIG}


def truncated(count: int = 60) -> Iterator[Case]:
    """Valid requests cut short: never well-formed."""
    requests = [valid(r) for r in REQUESTS]
    for n in range(count):
        data = requests[n % len(requests)]
        cut = 1 + (n * 7919) % (len(data) - 2)
        yield Case(f"truncated-{n}-at-{cut}", data[:cut], faults.XML_NIET_WELGEVORMD, family="truncated")


def mutated() -> Iterator[Case]:
    """Every element of every valid request deleted, duplicated, emptied or blown up.

    Each element of these requests is single, and every leaf has a pattern or a length limit, so all
    of that breaks the transport schema, except leaving out an optional element, which changes nothing.
    """
    for request, path in _targets():
        name = t.element_name(request)
        base = etree.fromstring(valid(request))
        elements = [e for e in base.find(f"{{{SOAP11}}}Body")[0].iter()][1:]
        for index, op in itertools.product(range(len(elements)), ("delete", "duplicate", "empty", "huge")):
            doc = copy.deepcopy(base)
            target = [e for e in doc.find(f"{{{SOAP11}}}Body")[0].iter()][1:][index]
            local = etree.QName(target).localname
            expect: dict[str, Any] = {"code": faults.SCHEMA_FOUT}
            if op == "delete":
                target.getparent().remove(target)
                if local in OPTIONAL.get(name, ()):
                    expect = _baseline(request)
            elif op == "duplicate":
                target.addnext(copy.deepcopy(target))
            elif len(target):
                continue
            else:
                target.text = "" if op == "empty" else "x" * 100_000
            body = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
            yield Case(f"{name}-{local}-{op}", body, path=path, family="mutated", **expect)


def corpus(secret_path: str, school: str) -> list[Case]:
    """Every case, with ``SCHOOL`` paths resolved to ``school`` (/schools/<routeringskenmerk>)."""
    cases = [*baseline(), *named(secret_path), *variants(), *truncated(), *mutated()]
    return [replace(c, path=school) if c.path == SCHOOL else c for c in cases]
