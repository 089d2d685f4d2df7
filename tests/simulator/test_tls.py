"""Mutual TLS against a real uvicorn server on loopback: who the simulator sees, who it refuses, dropped connections."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.pki import Pki, init_pki, issue_client_certificate
from simulator.tls import (
    ABORT,
    TLS,
    CertAwareH11Protocol,
    CertAwareHttpProtocol,
    abort_connection,
    client_certificate,
    peer_vendor,
    uvicorn_ssl_options,
    with_extensions,
)

pytestmark = pytest.mark.timeout(30)

# The TLS alert reason OpenSSL reports when the client gets to read the server's alert.
ALERT_REASONS = {"expired": ("certificate expired", "certificate_expired"), "rogue_ca": ("unknown ca", "unknown_ca")}


def make_app(seen: list[str]) -> Starlette:
    """A tiny app that reports what the protocol put in the scope, and drops the connection on /abort."""

    async def whoami(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        extensions = request.scope.get("extensions") or {}
        tls = extensions.get(TLS)
        return JSONResponse(
            {
                "vendor": peer_vendor(request.scope),
                "has_cert": client_certificate(request.scope) is not None,
                "abort": ABORT in extensions,
                "tls": None if tls is None else {k: v for k, v in tls.items() if k != "client_cert_chain"},
            }
        )

    class Drop:
        """A plain ASGI app (not a request handler), so it can end without any response."""

        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            seen.append(scope["path"])
            assert abort_connection(scope)

    async def drop_then_respond(request: Request) -> Response:
        seen.append(request.url.path)
        assert abort_connection(request.scope)
        return Response(b"never sent", status_code=500)

    routes = [Route("/whoami", whoami), Route("/abort", Drop()), Route("/abort-then-respond", drop_then_respond)]
    return Starlette(routes=routes)


@contextmanager
def serve(app: Starlette, protocol: type, **options: Any) -> Iterator[int]:
    """Run uvicorn with a cert-aware protocol in a thread on a free loopback port; stop it on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http=protocol, lifespan="off", log_config=None, loop="asyncio", ws="none", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


def client_context(pki: Pki, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    """Trust the test CA only (httpx 0.28 deprecates verify=<path> and cert=, so pass an SSLContext)."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


def get(url: str, context: ssl.SSLContext | None = None) -> dict[str, Any]:
    with httpx.Client(verify=context if context is not None else True, timeout=5) as client:
        response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(tmp_path_factory.mktemp("pki"), ["reference", "vendor-a"])


@pytest.fixture(params=[CertAwareHttpProtocol, CertAwareH11Protocol], ids=["httptools", "h11"])
def protocol(request: pytest.FixtureRequest) -> type:
    """Both of uvicorn's protocols: the simulator serves with httptools, and h11 where httptools is missing."""
    return request.param


@pytest.fixture()
def seen() -> list[str]:
    return []


@pytest.fixture()
def https_port(pki: Pki, seen: list[str], protocol: type) -> Iterator[int]:
    with serve(make_app(seen), protocol, **uvicorn_ssl_options(pki)) as port:
        yield port


@pytest.fixture()
def http_port(seen: list[str], protocol: type) -> Iterator[int]:
    with serve(make_app(seen), protocol) as port:
        yield port


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_server_certificate_verifies_against_the_test_ca(pki: Pki, https_port: int, host: str) -> None:
    body = get(f"https://{host}:{https_port}/whoami", client_context(pki))
    assert body["tls"]["server_cert"] == pki.server_cert.read_text()


def test_server_certificate_is_refused_for_another_name(pki: Pki, https_port: int) -> None:
    with socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            client_context(pki).wrap_socket(raw, server_hostname="not-in-the-cert.example")


def test_server_certificate_is_not_publicly_trusted(https_port: int) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        get(f"https://127.0.0.1:{https_port}/whoami")


def test_vendor_is_identified_by_its_certificate(pki: Pki, https_port: int) -> None:
    for vendor in ("vendor-a", "reference"):
        context = client_context(pki, (pki.vendor_cert(vendor), pki.vendor_key(vendor)))
        body = get(f"https://127.0.0.1:{https_port}/whoami", context)
        assert body["vendor"] == vendor
        assert body["abort"] is True
        tls = body["tls"]
        assert tls["client_cert_name"].startswith(f"CN={vendor},")
        assert tls["client_cert_error"] is None
        assert tls["tls_version"] in (0x0303, 0x0304)
        assert isinstance(tls["cipher_suite"], int) and 0 < tls["cipher_suite"] <= 0xFFFF


def test_no_certificate_still_reaches_the_app_without_vendor(pki: Pki, https_port: int, seen: list[str]) -> None:
    body = get(f"https://127.0.0.1:{https_port}/whoami", client_context(pki))
    assert body["vendor"] is None and body["has_cert"] is False
    assert body["tls"] is not None and body["tls"]["client_cert_name"] is None
    assert seen == ["/whoami"]


@pytest.mark.parametrize("flaw", ["expired", "rogue_ca"])
def test_bad_certificates_are_refused_at_the_handshake(
    pki: Pki, https_port: int, seen: list[str], tmp_path: Path, flaw: str
) -> None:
    cert = issue_client_certificate(pki, "vendor-a", tmp_path, **{flaw: True})
    with pytest.raises(httpx.TransportError) as refused:
        get(f"https://127.0.0.1:{https_port}/whoami", client_context(pki, cert))
    # asyncio closes the connection on a failed handshake without flushing OpenSSL's alert, so the client
    # usually sees only a dropped connection; when an alert does arrive, it must name the right reason.
    message = str(refused.value).lower()
    if "alert" in message:
        assert any(reason in message for reason in ALERT_REASONS[flaw]), message
    assert seen == []
    # The same server still serves a good certificate afterwards.
    good = client_context(pki, (pki.vendor_cert("vendor-a"), pki.vendor_key("vendor-a")))
    assert get(f"https://127.0.0.1:{https_port}/whoami", good)["vendor"] == "vendor-a"


def test_plain_http_has_abort_but_no_tls_extension(http_port: int) -> None:
    body = get(f"http://127.0.0.1:{http_port}/whoami")
    assert body == {"vendor": None, "has_cert": False, "abort": True, "tls": None}


@pytest.mark.parametrize("path", ["/abort", "/abort-then-respond"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_abort_drops_the_connection(
    pki: Pki, seen: list[str], protocol: type, scheme: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    options = uvicorn_ssl_options(pki) if scheme == "https" else {}
    context = client_context(pki) if scheme == "https" else None
    with serve(make_app(seen), protocol, **options) as port:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            get(f"{scheme}://127.0.0.1:{port}{path}", context)
        # The server keeps serving other connections.
        assert get(f"{scheme}://127.0.0.1:{port}/whoami", context)
    assert seen == [path, "/whoami"]
    # A deliberate drop is no server error: uvicorn must not log one (nor asyncio a write to a dead socket).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_extensions_set_by_the_server_win_and_the_scope_is_copied() -> None:
    received: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        received.append(scope)

    wrapped = with_extensions(app, {TLS: {"client_cert_chain": []}, ABORT: lambda: None})
    native = {"type": "http", "extensions": {TLS: {"client_cert_chain": ["native"]}, "http.response.trailers": {}}}
    lifespan = {"type": "lifespan"}
    asyncio.run(wrapped(native, None, None))
    asyncio.run(wrapped(lifespan, None, None))
    assert received[0]["extensions"][TLS] == {"client_cert_chain": ["native"]}
    assert set(received[0]["extensions"]) == {TLS, ABORT, "http.response.trailers"}
    assert client_certificate(received[0]) == "native"
    assert set(native["extensions"]) == {TLS, "http.response.trailers"}  # the server's scope is untouched
    assert received[1] is lifespan


def test_scope_helpers_without_tls() -> None:
    assert client_certificate({"type": "http"}) is None
    assert peer_vendor({"type": "http", "extensions": {TLS: {"client_cert_chain": []}}}) is None
    assert peer_vendor({"type": "http", "extensions": {TLS: {"client_cert_chain": ["not a cert"]}}}) is None
    assert abort_connection({"type": "http", "extensions": {}}) is False
