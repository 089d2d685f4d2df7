"""Cheap conformance checks on every answer a load run gets, so a run reports a conformance-failure
rate next to latency and throughput (a LAS that stays fast by answering wrongly is caught).

Per answer: the HTTP status matches the SOAP 1.1 rules (200 for an answer, 500 for a fault), a fault
carries a code of the catalogue, an answer is the expected element and valid against the transport
schema. A dossier must be in the 2019 gegevensset namespace; every Nth one is validated in full
(schema and business rules), which costs about a millisecond.
"""

from __future__ import annotations

from typing import Any

from oso import envelope
from oso.errors import OsokitError
from oso.faults import OsoFault
from oso.namespaces import DOSSIER
from oso.schema import dossier_schema
from oso.validation import failed, validate


class ConformanceError(OsokitError):
    """An answer that breaks the protocol: counted apart from slow answers and transport errors.

    Its text starts with ``PREFIX``, which survives locust's stats (kept as text, across processes).
    """

    PREFIX = "non-conformant answer: "

    def __init__(self, message: str) -> None:
        super().__init__(self.PREFIX + message)


class TransportError(OsokitError):
    """No SOAP answer at all (an HTTP error from a proxy, say): a failure, but not a protocol break."""


def answer(status: int, data: bytes, expected: type) -> Any:
    """The typed answer, or the OsoFault the peer sent (a legitimate outcome); else ConformanceError."""
    fault = envelope.fault_in(data) if status != 200 else None
    if fault is not None:
        if status != 500:
            raise ConformanceError(f"SOAP fault {fault.code} with HTTP {status}: SOAP 1.1 answers faults with 500")
        if fault.sent is not None:
            raise ConformanceError(f"fault code {fault.sent!r} is not in the fault catalogue")
        return fault
    if status != 200:
        raise TransportError(f"HTTP {status} without a SOAP fault")
    try:
        return envelope.read_response(data, expected)
    except OsoFault as exc:
        raise ConformanceError(str(exc)) from None


_NAMESPACE = f'xmlns="{DOSSIER}"'


def dossier(xml: str, *, full: bool) -> None:
    """The dossier of a documentResponse: right namespace always; schema and rules when ``full``."""
    if _NAMESPACE not in xml[:400]:
        raise ConformanceError("the dossier is not in the gegevensset 2019.1 namespace")
    if full:
        problems = validate(xml.encode(), dossier_schema())
        if failed(problems):
            raise ConformanceError(f"invalid dossier: {problems[0].format('dossier')}")
