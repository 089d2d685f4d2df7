"""A small OSO SOAP client: typed requests in, typed answers or :class:`~oso.faults.OsoFault` out.

The conformance suite and the tests use it to play a school system against the simulator or a
vendor's endpoints. It is deliberately thin: one exchange per message through its transport (HTTP
by default, a :class:`~simulator.transports.MockTransport` in tests), nothing cached.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oso import transport as t
from oso.exchange import Call, Transport
from simulator.transports import HttpTransport


@dataclass(frozen=True)
class Exchange:
    """What went over the wire, for evidence in reports."""

    url: str
    request: bytes
    status: int | None
    response: bytes
    elapsed_ms: float


class OsoClient:
    def __init__(
        self,
        base_url: str,
        *,
        tls: ssl.SSLContext | None = None,
        timeout: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        """``tls``: a context with the CA to trust and, for mTLS, the vendor's certificate loaded."""
        self.base_url = base_url.rstrip("/")
        self.http = HttpTransport(verify=tls if tls is not None else True, timeout=timeout)
        self.transport: Transport = transport or self.http
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OsoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, url: str, request: object) -> Any:
        """One message; its typed answer, or the OsoFault the peer sent (or one about its answer)."""
        call = Call.of(url, request)
        answer = self.transport.exchange(call)
        self.exchanges.append(Exchange(url, call.body, answer.status, answer.body, answer.elapsed_ms or 0.0))
        return answer.result(call)

    def tc(self, request: object) -> Any:
        return self.call(f"{self.base_url}/tc", request)

    # The Traffic Center operations, spelled out for readability at the call site.
    def overdracht(self, **fields: Any) -> t.OverdrachtResponse:
        return self.tc(t.OverdrachtRequest(**fields))

    def sessiecontrole(self, **fields: Any) -> t.SessiecontroleResponse:
        return self.tc(t.SessiecontroleRequest(**fields))

    def afmelding(self, **fields: Any) -> t.AfmeldingResponse:
        return self.tc(t.AfmeldingRequest(**fields))

    def document(self, url: str, **fields: Any) -> t.DocumentResponse:
        return self.call(url, t.DocumentRequest(**fields))


def tls_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """Trust ``ca``; present ``cert``/``key`` as the client certificate when given."""
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context


def zoeksleutel(value: str) -> t.ZoeksleutelPgnfrag:
    return t.ZoeksleutelPgnfrag(zoeksleutel=value)
