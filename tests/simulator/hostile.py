"""The hostile-input corpus: requests built to hurt, each with the answer the simulator must give.

Named attacks (XXE, entity expansion, huge and deep documents, broken envelopes, PGN in clear, ...)
plus generated ones: every valid request of every operation, truncated at many points and with
each element deleted, duplicated, emptied or blown up. Every case expects either a SOAP fault
with a given catalogue code (``code=None``: any catalogue code) or a plain HTTP status.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from oso import envelope, faults
from oso import transport as t
from oso.namespaces import SERVICE, SOAP11, SOAP12

SID = "9cebd89c-8953-416b-a2cb-ecee939f1775"
# Schools the register does not have: every schema-valid request still ends in a (business) fault.
ROUTE = {"bron_brin": "99AA", "bron_rk": "000000000199AA000001", "doel_brin": "99AB", "doel_rk": "000000000199AB000001"}
ZS = t.ZoeksleutelPgnfrag(zoeksleutel="laZgbrJKpGIRSEXlWLAsfn8G/SRPX/DSJdGPIkZEDTc=")
SECRET = "OSOKIT-SECRET-FILE-CONTENT"  # written to a temp file the XXE cases point at

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


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    code: str | None = None  # the catalogue code of the SOAP fault; None: any code from the catalogue
    status: int = 500  # 500 for SOAP faults, 4xx for requests that are not SOAP at all
    content_type: str | None = "text/xml; charset=utf-8"
    path: str = "/tc"
    chunked: bool = False  # send without Content-Length


def soap(body: str, ns: str = SOAP11, header: str = "<s:Header/>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ns}">{header}<s:Body>{body}</s:Body>'
        f"</s:Envelope>".encode()
    )


def valid(request: object) -> bytes:
    return envelope.message(request)


def named(secret_path: str, school: str) -> Iterator[Case]:
    """``school``: the path of a real aanleverpunt of the reference LAS (/schools/<rk>)."""
    D = faults.DTD_NIET_TOEGESTAAN
    op = f'<overdrachtRequest xmlns="{SERVICE}">'
    yield Case(
        "xxe-local-file",
        f'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret_path}">]>'
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><a>&x;</a></s:Body></s:Envelope>'.encode(),
        D,
    )
    yield Case("xxe-passwd", b'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s>&x;</s>', D)
    yield Case("xxe-network", b'<!DOCTYPE s [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><s>&x;</s>', D)
    yield Case("xxe-parameter-entity", b'<!DOCTYPE s [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><s/>', D)
    yield Case("external-dtd", b'<!DOCTYPE s SYSTEM "http://127.0.0.1:9/s.dtd"><s/>', D)
    yield Case("external-dtd-file", f'<!DOCTYPE s SYSTEM "file://{secret_path}"><s/>'.encode(), D)
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    yield Case("billion-laughs", f"<!DOCTYPE s [{laughs}]><s>&l9;</s>".encode(), D)
    yield Case("quadratic-blowup", f'<!DOCTYPE s [<!ENTITY a "{"a" * 50_000}">]><s>{"&a;" * 2000}</s>'.encode(), D)
    yield Case("huge-body", b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>", faults.BERICHT_TE_GROOT)
    yield Case("huge-body-chunked", b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>", faults.BERICHT_TE_GROOT, chunked=True)
    yield Case("deep-nesting-10000", soap("<a>" * 10_000 + "</a>" * 10_000), faults.XML_NIET_WELGEVORMD)
    yield Case(
        "deep-nesting-in-operation", soap(op + "<a>" * 200 + "</a>" * 200 + "</overdrachtRequest>"), faults.SCHEMA_FOUT
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
        "long-zoeksleutel", valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), b"A" * 200_000), faults.SCHEMA_FOUT
    )
    yield Case(
        "invalid-utf8",
        soap("<a>\xff\xfe</a>").replace("\xff\xfe".encode(), b"\xff\xfe\xc3"),
        faults.XML_NIET_WELGEVORMD,
    )
    yield Case(
        "utf16-document", '<?xml version="1.0" encoding="UTF-16"?><s/>'.encode("utf-16"), faults.GEEN_SOAP_ENVELOPE
    )
    # libxml2 detects UTF-16 from the first bytes whatever the declaration says: any clear fault will do
    yield Case("utf16-bytes-declared-utf8", '<?xml version="1.0" encoding="UTF-8"?><s/>'.encode("utf-16-le"))
    yield Case("nul-byte", soap("<a>\x00</a>"), faults.XML_NIET_WELGEVORMD)
    yield Case(
        "no-envelope", valid(REQUESTS[0]).split(b"<soap:Body>")[1].split(b"</soap:Body>")[0], faults.GEEN_SOAP_ENVELOPE
    )
    yield Case("envelope-without-namespace", b"<Envelope><Body/></Envelope>", faults.GEEN_SOAP_ENVELOPE)
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
    yield Case("wrong-namespace", valid(REQUESTS[0]).replace(SERVICE.encode(), b"urn:evil"), faults.ONJUISTE_NAMESPACE)
    yield Case("old-oso18-namespace", valid(REQUESTS[0]).replace(b"20200910", b"20180404"), faults.ONJUISTE_NAMESPACE)
    yield Case("school-operation-at-tc", valid(SCHOOL_REQUESTS[1]), faults.ONBEKENDE_OPERATIE)
    yield Case("tc-operation-at-school", valid(REQUESTS[0]), faults.ONBEKENDE_OPERATIE, path=school)
    yield Case("empty-body", b"", faults.LEEG_BERICHT)
    yield Case("whitespace-body", b"  \n\t ", faults.LEEG_BERICHT)
    yield Case("json-as-xml", b'{"overdrachtRequest": {}}', faults.XML_NIET_WELGEVORMD)
    yield Case("json-content-type", b'{"overdrachtRequest": {}}', status=415, content_type="application/json")
    yield Case("text-plain", valid(REQUESTS[0]), status=415, content_type="text/plain")
    yield Case("form-urlencoded", b"a=1&b=2", status=415, content_type="application/x-www-form-urlencoded")
    yield Case("no-content-type", valid(REQUESTS[0]), status=415, content_type=None)
    yield Case("multipart", b"--b\r\n\r\n<x/>\r\n--b--", status=415, content_type="multipart/related; boundary=b")
    yield Case(
        "pgn-in-clear", valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), b"246263738"), faults.PGN_ONVERSLEUTELD
    )
    yield Case(
        "pgn-in-clear-inside",
        valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), b"bsn=246263738"),
        faults.PGN_ONVERSLEUTELD,
    )
    yield Case(
        "invalid-bsn-as-zoeksleutel",
        valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), b"123456789"),
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
        path=school,
    )
    yield Case(
        "processing-instruction",
        b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?>'
        + valid(REQUESTS[0])[len(b'<?xml version="1.0" encoding="UTF-8"?>\n') :],
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
        valid(REQUESTS[0]).replace(ZS.zoeksleutel.encode(), b"<![CDATA[" + ZS.zoeksleutel.encode() + b"]]>"),
    )


def truncated(count: int = 60) -> Iterator[Case]:
    """Valid requests cut short: never well-formed."""
    requests = [valid(r) for r in REQUESTS]
    for n in range(count):
        data = requests[n % len(requests)]
        cut = 1 + (n * 7919) % (len(data) - 2)
        yield Case(f"truncated-{n}-at-{cut}", data[:cut], faults.XML_NIET_WELGEVORMD if cut > 5 else None)


def mutated() -> Iterator[Case]:
    """Every element of every valid TC request deleted, duplicated, emptied or blown up."""
    for request in REQUESTS:
        base = etree.fromstring(valid(request))
        operation = base.find(f"{{{SOAP11}}}Body")[0]
        elements = [e for e in operation.iter() if e is not operation]
        for index, op in itertools.product(range(len(elements)), ("delete", "duplicate", "empty", "huge")):
            doc = copy.deepcopy(base)
            target = [e for e in doc.find(f"{{{SOAP11}}}Body")[0].iter()][1:][index]
            if op == "delete":
                target.getparent().remove(target)
            elif op == "duplicate":
                target.addnext(copy.deepcopy(target))
            elif len(target):
                continue
            else:
                target.text = "" if op == "empty" else "x" * 100_000
            name = f"{t.element_name(request)}-{etree.QName(target).localname}-{op}"
            yield Case(name, etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))


def corpus(secret_path: str, school: str) -> list[Case]:
    return [*named(secret_path, school), *truncated(), *mutated()]
