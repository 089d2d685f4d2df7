"""Slow and silent clients: a request's headers must arrive within a time limit, one client (an IP
address) may hold only so many connections at once, and the server never runs out of file descriptors,
so sockets left silent or half-sent cannot lock every other client out.

uvicorn closes a keep-alive connection left idle after a response (``timeout_keep_alive``), but not one
that never sends a request or sends its headers slowly, and it has no limit per client
(``limit_concurrency`` counts all clients together, and only once a request's headers are in).
:class:`Guarded` adds to uvicorn's HTTP protocols (httptools and h11; simulator/tls.py mixes it in):

* the **header timeout**: from a connection's start, or the first byte of a keep-alive connection's
  next request, its headers must be complete within ``header_timeout`` seconds, or it is closed
  (with a 408 if part of a request came);
* the **per-client limit**: a connection beyond ``per_client`` from one address gets a 503 and is closed;
* the **connection cap**, below the process's file limit: at the cap a new connection closes the one
  that has waited longest for its headers, so a client that sends its request at once is served even
  while many addresses flood the port. asyncio accepts at most :data:`ACCEPT_BURST` connections per
  turn of the loop (the kernel's queue stays long), so it never accepts more than there are files for
  (when it does, CPython logs every failed accept of the turn, thousands a second).

Under TLS a connection reaches the protocol only after its handshake, which asyncio bounds itself
(60 s); the limits here apply from then on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

import uvicorn

HEADER_TIMEOUT = 10.0
PER_CLIENT = 256
ACCEPT_BURST = 64  # connections asyncio accepts per turn of the loop (it is uvicorn's "backlog")
RESERVE_FILES = 64  # kept free of connections: the database, outbound calls, logs

log = logging.getLogger("osokit.simulator")


class Config(uvicorn.Config):
    """uvicorn's config with the header timeout, the per-client limit (0: none) and the connection cap
    (by default what the file limit leaves: :func:`connection_cap`)."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout: float = HEADER_TIMEOUT,
        per_client: int = PER_CLIENT,
        max_connections: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, backlog=ACCEPT_BURST, **kwargs)
        self.header_timeout, self.per_client = header_timeout, per_client
        self.max_connections = max_connections if max_connections is not None else connection_cap()


def connection_cap() -> int | None:
    """The connections the file limit (RLIMIT_NOFILE) has room for, beside the reserve and the files
    accepted but not yet handed to a protocol (a few bursts); None without a limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Unix
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(soft - RESERVE_FILES - 4 * ACCEPT_BURST, 16)


class _Peers:
    """One server's connections: how many each address holds, and those waiting for their headers."""

    def __init__(self) -> None:
        self.held: Counter[str] = Counter()
        self.waiting: dict[Guarded, None] = {}  # oldest first
        self.at_limit: set[str] = set()  # addresses refused since they last held fewer (logged once)


_SERVERS: weakref.WeakKeyDictionary[object, _Peers] = weakref.WeakKeyDictionary()


def _response(status: str, message: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close"
    return head.encode() + b"\r\n\r\n" + body


class Guarded:
    """Mixed into a uvicorn HTTP protocol: header timeout, per-client limit, connection cap."""

    app: Callable[..., Any]
    config: Any
    connections: set[Any]
    server_state: Any
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._timer: asyncio.TimerHandle | None = None
        self._partial = False  # part of a request came
        self._host: str | None = None
        self._peers = _SERVERS.setdefault(self.server_state, _Peers())
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) else None
        refusal = self._refusal(host)
        if refusal:
            transport.write(_response("503 Service Unavailable", refusal))
            transport.close()
            return
        if host is not None:
            self._peers.held[host] += 1
            self._host = host
        self._arm()
        app = self.app

        async def app_in_time(scope: Any, receive: Any, send: Any) -> None:
            self._disarm()  # the headers are in
            self._partial = False
            await app(scope, receive, send)

        self.app = app_in_time

    def _refusal(self, host: str | None) -> str | None:
        """Why this new connection is refused, if it is; at the cap, the longest waiting one makes room."""
        limit = getattr(self.config, "per_client", PER_CLIENT)
        if host is not None and limit and self._peers.held[host] >= limit:
            if host not in self._peers.at_limit:
                self._peers.at_limit.add(host)
                log.warning("%s holds %d connections, the most one client may: more are refused", host, limit)
            return f"{host} holds {limit} connections to this server already, the most one client may"
        cap = getattr(self.config, "max_connections", None)
        if cap is not None and len(self.connections) > cap:
            oldest = next(iter(self._peers.waiting), None)
            if oldest is None:
                return f"this server has {cap} connections open, all busy: retry shortly"
            oldest._close("the server is at its connection limit and this connection sent no request in time")
        return None

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:  # the start of a request: its headers are due
            self._partial = True
            self._arm()
        super().data_received(data)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._host is not None:
            self._peers.held[self._host] -= 1
            if self._peers.held[self._host] <= 0:
                del self._peers.held[self._host]
            self._peers.at_limit.discard(self._host)
            self._host = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        timeout = getattr(self.config, "header_timeout", HEADER_TIMEOUT)
        if self._timer is None and timeout:
            self._timer = asyncio.get_running_loop().call_later(timeout, self._too_slow)
            self._peers.waiting[self] = None

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._peers.waiting.pop(self, None)

    def _too_slow(self) -> None:
        self._timer = None
        self._peers.waiting.pop(self, None)
        if self.cycle is None or self.cycle.response_complete:
            timeout = getattr(self.config, "header_timeout", HEADER_TIMEOUT)
            self._close(f"request headers not complete within {timeout:g} s")

    def _close(self, why: str) -> None:
        """Close a connection that has no request under way: with a 408 if part of one came."""
        self._disarm()
        if self.transport.is_closing():
            return
        if self._partial:
            self.transport.write(_response("408 Request Timeout", why))
        self.transport.close()
