"""Client certificates for the simulator's ASGI app: the ASGI TLS extension for uvicorn's HTTP protocols.

OSO identifies a vendor by the client certificate its LAS presents, so the simulator must see that
certificate. uvicorn (0.54) verifies client certificates but never shows them to the app. It does accept
a protocol class (``uvicorn.Config(http=CertAwareHttpProtocol)``), and both its protocols (httptools,
h11) look up ``self.app`` for every request. :class:`CertAware` reads the peer certificate once per
connection and wraps ``self.app`` so every request's scope carries ``scope["extensions"]["tls"]`` in the
shape of the ASGI TLS extension (https://asgi.readthedocs.io/en/latest/specs/tls.html): ``client_cert_chain``
is the leaf certificate as PEM (Python's ``ssl`` does not give the rest of the chain) or empty. As the
spec says, the key is absent on plain HTTP.

App code reads the certificate only through :func:`client_certificate` / :func:`peer_vendor`. Entries a
server already put in ``scope["extensions"]`` win over ours, so once uvicorn provides the TLS extension
natively the app keeps working unchanged and this module can go.

The same wrapper also gives every request (plain or TLS) ``scope["extensions"]["osokit.abort"]``: a
callable that drops the TCP connection without a response, so scenarios can simulate a broken network.
After calling it (or :func:`abort_connection`) the app just returns; anything it still sends is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from cryptography import x509
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # httptools (a C parser) is the faster of uvicorn's two; h11 (pure Python) stands in without it
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Fastest
except ImportError:  # pragma: no cover
    _Fastest = H11Protocol  # type: ignore[assignment,misc]

from simulator.connections import Guarded
from simulator.pki import Pki, vendor_of

TLS = "tls"
ABORT = "osokit.abort"
_SETTLE_SECONDS = 1.0  # asyncio reports the aborted connection lost on the next loop iteration; this is a bound

_SERVER_CERTS: weakref.WeakKeyDictionary[object, str | None] = weakref.WeakKeyDictionary()

# TLS version numbers as the TLS specifications (and the ASGI TLS extension) write them.
_TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Any], Any]
App = Callable[[Scope, Receive, Send], Any]


class CertAware:
    """Mixed into a uvicorn HTTP protocol: the ASGI TLS extension and ``osokit.abort`` in every request's scope."""

    app: App
    config: Any
    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._aborted = False
        self._lost = asyncio.Event()
        extensions: dict[str, object] = {ABORT: self.drop_connection}
        # asyncio calls connection_made only after the TLS handshake, so the peer certificate is known here.
        tls = tls_extension(transport, server_cert=_server_cert(self.config))
        if tls is not None:
            extensions[TLS] = tls
        self.app = self._settling(with_extensions(self.app, extensions))

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[misc]
        self._lost.set()

    def drop_connection(self) -> None:
        """Abort the TCP connection at once: no response, no TLS close_notify, as a broken network would."""
        self._aborted = True
        self.transport.abort()

    def _settling(self, app: App) -> App:
        """After an abort, discard what the app still sends, and end the request once uvicorn saw the drop.

        Otherwise uvicorn writes to a dead transport, or finds a request that ended without a response on a
        connection it still thinks is open, and logs an error for what was a deliberate drop.
        """

        async def app_then_settle(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_unless_aborted(message: Any) -> None:
                if not self._aborted:
                    await send(message)

            try:
                await app(scope, receive, send_unless_aborted)
            finally:
                if self._aborted:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_SETTLE_SECONDS):
                            await self._lost.wait()

        return app_then_settle


# ignore[misc]: uvicorn's protocols, and these mixins over them, take the asyncio.Transport that
# asyncio.BaseProtocol.connection_made types as BaseTransport.
class CertAwareH11Protocol(CertAware, Guarded, H11Protocol):  # type: ignore[misc]
    """uvicorn's pure-Python h11 protocol, cert-aware and guarded against slow and silent clients."""


class CertAwareHttpProtocol(CertAware, Guarded, _Fastest):  # type: ignore[misc]
    """uvicorn's httptools protocol (h11 when httptools is missing), cert-aware and guarded against slow
    and silent clients (simulator/connections.py): what the simulator serves with."""


def tls_extension(transport: asyncio.BaseTransport, *, server_cert: str | None = None) -> dict[str, object] | None:
    """The ASGI TLS extension for one connection; None for plain TCP or when the TLS details are unavailable."""
    ssl_object = transport.get_extra_info("ssl_object")
    return None if ssl_object is None else _tls_extension(ssl_object, server_cert)


def with_extensions(app: App, extensions: Mapping[str, object]) -> App:
    """Wrap ``app`` so http and websocket scopes get ``extensions``, never replacing what the server set."""

    async def app_with_extensions(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") in ("http", "websocket"):
            scope = {**scope, "extensions": {**extensions, **(scope.get("extensions") or {})}}
        await app(scope, receive, send)

    return app_with_extensions


class SslOptions(TypedDict, total=False):
    ssl_keyfile: str
    ssl_certfile: str
    ssl_ca_certs: str
    ssl_cert_reqs: int


def uvicorn_ssl_options(pki: Pki) -> SslOptions:
    """``uvicorn.Config`` keywords for HTTPS where a client certificate is optional but, if sent, must verify.

    Optional rather than required so a request without a certificate reaches the app, which answers with
    the OSO fault (CertificaatOntbreekt) instead of a bare handshake failure.
    """
    return {
        "ssl_keyfile": str(pki.server_key),
        "ssl_certfile": str(pki.server_cert),
        "ssl_ca_certs": str(pki.ca_cert),
        "ssl_cert_reqs": ssl.CERT_OPTIONAL,
    }


def client_certificate(scope: Mapping[str, Any]) -> str | None:
    """The client's (leaf) certificate as PEM, from the ASGI TLS extension; None without TLS or certificate."""
    tls = (scope.get("extensions") or {}).get(TLS)
    if not isinstance(tls, Mapping):
        return None
    leaf = next(iter(tls.get("client_cert_chain") or ()), None)
    return leaf if isinstance(leaf, str) and leaf else None


def peer_vendor(scope: Mapping[str, Any]) -> str | None:
    """The vendor id of the client certificate (its CN), or None when there is none or it names no vendor."""
    pem = client_certificate(scope)
    return vendor_of(pem.encode("ascii")) if pem else None


def abort_connection(scope: Mapping[str, Any]) -> bool:
    """Drop the connection under this request without a response; False if the server cannot."""
    abort = (scope.get("extensions") or {}).get(ABORT)
    if not callable(abort):
        return False
    abort()
    return True


# --- the TLS extension ---------------------------------------------------------------------------------


def _tls_extension(ssl_object: ssl.SSLObject, server_cert: str | None) -> dict[str, object] | None:
    try:
        der = ssl_object.getpeercert(binary_form=True)
        version = ssl_object.version()
        cipher = ssl_object.cipher()
    except (OSError, ValueError, AttributeError):
        return None
    return {
        "server_cert": server_cert,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": _subject_rfc4514(der) if der else None,
        # With CERT_OPTIONAL a certificate that fails verification fails the handshake: none gets here.
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(version or ""),
        "cipher_suite": _cipher_suite(ssl_object, cipher[0] if cipher else None),
    }


def _subject_rfc4514(der: bytes) -> str | None:
    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        return None


def _cipher_suite(ssl_object: ssl.SSLObject, name: str | None) -> int | None:
    """The IANA number of the cipher suite: OpenSSL's cipher id carries it in the low 16 bits."""
    if name is None:
        return None
    try:
        ciphers = ssl_object.context.get_ciphers()
    except (AttributeError, ssl.SSLError):
        return None
    return next((c["id"] & 0xFFFF for c in ciphers if c.get("name") == name and "id" in c), None)


def _server_cert(config: object) -> str | None:
    """The server's certificate as PEM, read once per server (Python's ``ssl`` cannot show a server its own)."""
    if config not in _SERVER_CERTS:
        _SERVER_CERTS[config] = _first_certificate(getattr(config, "ssl_certfile", None))
    return _SERVER_CERTS[config]


def _first_certificate(certfile: object) -> str | None:
    """The first certificate in a PEM file: the server's own; any others are its chain."""
    if not certfile:
        return None
    try:
        pem = Path(str(certfile)).read_text(encoding="ascii")
    except (OSError, ValueError):
        return None
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start = pem.find(begin)
    stop = pem.find(end, start)
    return pem[start : stop + len(end)] + "\n" if start >= 0 and stop >= 0 else None
