"""One SOAP exchange as values, and the seam every exchange in osokit goes through.

A :class:`Call` is a request on its way: the typed message and the bytes and HTTP headers it travels
as. A transport turns it into an :class:`Answer`, in the style of httpx's transports: over HTTP, in
process, or as a test double, and wrapped by fault injection and the evidence log
(``simulator/transports.py``, ``simulator/faultinject.py``, ``simulator/evidence.py``). Encoding is
:meth:`Call.of`; reading the answer is :meth:`Answer.result`, the same for every caller::

    call = Call.of(url, request)                  # encode
    answer = transport.exchange(call)             # decide, deliver, record
    return answer.result(call)                    # the typed answer, or the OsoFault

A transport offers ``exchange`` (for callers that block: the suite's client, a hosted LAS calling its
Traffic Center) and/or ``exchange_async`` (the simulator's HTTP edge and its outbound calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault

XML = "text/xml; charset=utf-8"
# Header names in lower case, as HTTP compares them and as ASGI and httpx hand them over, so the
# evidence log shows every message's headers the same way.
ANSWER_HEADERS: Mapping[str, str] = {"content-type": XML}
DROPPED, HTTP_ERROR = "dropped", "http-error"  # what the fault profile did instead of delivering


def soap_headers(operation: str) -> dict[str, str]:
    """The HTTP headers of a SOAP 1.1 request: its content type, and SOAPAction naming the operation."""
    return {"content-type": XML, "soapaction": f'"{operation.removesuffix("Request")}"'}


def school_of(message: object) -> str | None:
    """The school a Traffic Center message concerns: its doel, else its bron (for fault rules per school)."""
    return getattr(message, "doel_brin", None) or getattr(message, "bron_brin", None)


def sessie_of(message: object) -> str | None:
    return getattr(message, "sessie_id", None)


def response_name(operation: str | None) -> str | None:
    return operation.replace("Request", "Response") if operation else None


@dataclass(frozen=True)
class Call:
    """A SOAP request on its way (out) or as it came (in)."""

    url: str  # where it goes: an absolute URL, "/tc" in process, or the path it came in on
    operation: str | None  # the request element, e.g. overdrachtRequest; None when it could not be read
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    message: Any = None  # the typed request; None when it could not be read
    school: str | None = None  # an aanleverpunt's routeringskenmerk, or the BRIN a TC message concerns
    peer: str | None = None  # a received call: the address it came from
    vendor: str | None = None  # a received call: the vendor its client certificate names
    arrived: float | None = None  # a received call: perf_counter() when it began to arrive

    @classmethod
    def of(cls, url: str, message: object, *, school: str | None = None) -> Call:
        """``message`` encoded with its SOAP headers; ``school`` defaults to the BRIN it names."""
        operation = t.element_name(message)
        return cls(
            url, operation, envelope.message(message), soap_headers(operation), message, school or school_of(message)
        )

    @property
    def to_tc(self) -> bool:
        return self.operation is not None and t.OPERATIONS[self.operation][2] == t.TC


@dataclass(frozen=True)
class Answer:
    """What came back for a call. ``status`` None: nothing came back, and ``fault`` says why."""

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    message: Any = None  # the typed answer when it never left the process (so it is not parsed again)
    fault: OsoFault | None = None  # the fault it stands for, when known without parsing the body
    injected: str | None = None  # DROPPED or HTTP_ERROR: the fault profile answered instead of the addressee
    wire: str | None = None  # DROPPED or HTTP_ERROR: the addressee itself gave no SOAP answer (a faulty LAS)
    elapsed_ms: float | None = None  # the round trip, when a transport timed it
    repeat: Answer | None = None  # the answer to a copy sent right after (a fault profile's duplicate)

    @classmethod
    def of(cls, message: object) -> Answer:
        return cls(200, envelope.message(message), ANSWER_HEADERS, message=message)

    @classmethod
    def refusing(cls, fault: OsoFault) -> Answer:
        return cls(500, envelope.fault(fault), ANSWER_HEADERS, fault=fault)

    @classmethod
    def unreachable(cls, call: Call, why: str, *, injected: str | None = None) -> Answer:
        """Nothing came back: the Traffic Center is then TijdelijkNietBeschikbaar, an aanleverpunt
        AanleverpuntOnbereikbaar."""
        code = faults.TIJDELIJK if call.to_tc else faults.AANLEVERPUNT_ONBEREIKBAAR
        return cls(None, fault=OsoFault(code, f"{call.url}: {why}"), injected=injected)

    @property
    def dropped(self) -> bool:
        """No answer at all: the connection is closed instead (by the fault profile or the addressee)."""
        return DROPPED in (self.injected, self.wire)

    @property
    def code(self) -> str | None:
        """What the evidence log notes for this answer: the fault profile's doing, a fault code, or None."""
        if self.injected or self.wire:
            return self.injected or self.wire
        if self.fault is not None:
            return self.fault.code
        found = envelope.fault_in(self.body) if self.status != 200 else None
        return found.code if found else None

    def result(self, call: Call) -> Any:
        """The typed answer to ``call``, or raise the OsoFault the peer sent (or one about its answer)."""
        if self.fault is not None:
            raise self.fault
        if self.message is not None:
            return self.message
        if self.status not in (200, 500) or not self.body:
            raise OsoFault(
                faults.TIJDELIJK if call.to_tc else faults.AANLEVERPUNT_ONBEREIKBAAR, f"{call.url}: HTTP {self.status}"
            )
        return envelope.read_response(self.body, t.OPERATIONS[call.operation or ""][1])


class Transport(Protocol):
    """Delivers a call and returns what came back, blocking."""

    def exchange(self, call: Call) -> Answer: ...


class AsyncTransport(Protocol):
    """Delivers a call and returns what came back, in an event loop."""

    async def exchange_async(self, call: Call) -> Answer: ...
