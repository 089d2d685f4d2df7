"""A small OSO SOAP client: typed requests in, typed answers or :class:`~oso.faults.OsoFault` out.

The conformance suite and the tests use it to play a school system against the simulator or a
vendor's endpoints. It is deliberately thin: one POST per message, nothing cached.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault


@dataclass(frozen=True)
class Exchange:
    """What went over the wire, for evidence in reports."""

    url: str
    request: bytes
    status: int | None
    response: bytes
    elapsed_ms: float


class OsoClient:
    def __init__(self, base_url: str, *, tls: ssl.SSLContext | None = None, timeout: float = 10.0) -> None:
        """``tls``: a context with the CA to trust and, for mTLS, the vendor's certificate loaded."""
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(verify=tls if tls is not None else True, timeout=timeout)
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OsoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, url: str, request: object) -> Any:
        """POST one message; its typed answer, or the OsoFault the peer sent (or one about its answer)."""
        body = envelope.message(request)
        _, response_cls, _ = t.OPERATIONS[t.element_name(request)]
        try:
            response = self.http.post(url, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})
        except httpx.HTTPError as exc:
            self.exchanges.append(Exchange(url, body, None, str(exc).encode(), 0.0))
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{url}: {type(exc).__name__}: {exc}") from None
        self.exchanges.append(
            Exchange(url, body, response.status_code, response.content, response.elapsed.total_seconds() * 1000)
        )
        if response.status_code not in (200, 500) or not response.content:
            raise OsoFault(faults.AANLEVERPUNT_ONBEREIKBAAR, f"{url}: HTTP {response.status_code}")
        return envelope.read_response(response.content, response_cls)

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
