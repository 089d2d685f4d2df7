"""Serving the simulator: uvicorn with the certificate-aware protocol, in the foreground
(``osokit serve``) or in a background thread (tests, the conformance suite, load runs).

The socket is bound before uvicorn starts, so ``--port 0`` picks a free port and the URLs printed
are the real ones. Only loopback addresses are accepted unless explicitly allowed.
"""

from __future__ import annotations

import ipaddress
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import uvicorn

from oso.errors import UserError
from simulator import connections
from simulator.access import Access, AccessError
from simulator.app import create_app
from simulator.service import Config, Simulator
from simulator.store import StoreUnavailable, storage_error
from simulator.tls import CertAwareHttpProtocol, SslOptions, uvicorn_ssl_options

LOOPBACK_NAMES = ("localhost",)
LISTEN_BACKLOG = 2048  # connections the kernel queues for accepting


class ServeError(UserError):
    """The simulator cannot start as asked; the message says why."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without it
    # every answer written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(LISTEN_BACKLOG)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class Server(uvicorn.Server):
    """uvicorn, closing the hosted LASes' own outbound connections first: under TLS the server side of such
    a connection would otherwise wait for a close_notify that its idle client, in this same loop, never sends."""

    def __init__(self, config: uvicorn.Config, simulator: Simulator) -> None:
        super().__init__(config)
        self.simulator = simulator

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for sock in sockets or []:  # asyncio set the kernel's queue to its accept burst; keep the queue long
            sock.listen(LISTEN_BACKLOG)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.simulator.close_clients()
        await super().shutdown(sockets)


def _simulator(config: Config) -> Simulator:
    """The simulator on its data dir, or a one-line ServeError when the store cannot be opened or written."""
    try:
        return Simulator(config)
    except (sqlite3.Error, StoreUnavailable) as exc:
        error = storage_error(exc)
        raise ServeError(f"cannot use the data dir {config.data_dir}: {error.reason if error else exc}") from None


@dataclass
class Prepared:
    simulator: Simulator
    server: uvicorn.Server
    sock: socket.socket
    url: str
    access: Access


def prepare(
    config: Config,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_remote: bool = False,
    log_level: str = "warning",
    admin_token_file: Path | None = None,
) -> Prepared:
    if not is_loopback(host) and not allow_remote:
        raise ServeError(f"{host} is not a loopback address; osokit serves 127.0.0.1 or ::1 unless --allow-remote")
    simulator = _simulator(config)
    try:
        access = Access.decide(
            loopback=is_loopback(host), tls=config.tls, register=simulator.register, token_file=admin_token_file
        )
    except AccessError as exc:
        raise ServeError(str(exc)) from None
    tls_options: SslOptions = {}
    if config.tls:
        from simulator.pki import Pki, PkiError

        if config.pki_dir is None:
            raise ServeError("--tls needs the PKI folder (--pki-dir), made by `osokit pki init`")
        try:
            pki = Pki.load(config.pki_dir)
            tls_options = uvicorn_ssl_options(pki)
        except PkiError as exc:
            raise ServeError(str(exc)) from None
        for vendor in simulator.lases:  # each LAS hosted here calls out with its own vendor's certificate
            if not pki.vendor_cert(vendor).is_file():
                raise ServeError(
                    f"--tls: the PKI in {config.pki_dir} has no certificate for vendor '{vendor}', "
                    f"which this simulator hosts: osokit pki init --dir {config.pki_dir} --vendor {vendor}"
                )
    sock = bind(host, port)
    url = f"{'https' if config.tls else 'http'}://{_url_host(host)}:{sock.getsockname()[1]}"
    simulator.base_url = url
    app = create_app(simulator, access)
    uv_config = connections.Config(
        app,
        header_timeout=config.header_timeout,
        per_client=config.max_connections_per_client,
        http=CertAwareHttpProtocol,
        proxy_headers=False,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        **tls_options,
    )
    return Prepared(simulator, Server(uv_config, simulator), sock, url, access)


def banner(p: Prepared, out: TextIO) -> None:
    c = p.simulator.config
    lines = [
        f"osokit simulator listening on {p.url}",
        f"  Traffic Center   {p.url}/tc              WSDL {p.url}/tc?wsdl",
        f"  aanleverpunten   {p.url}/schools/<routeringskenmerk>   WSDL: add ?wsdl",
        f"  sessions (HTML)  {p.url}/",
        f"  admin API        {p.url}/admin/",
        f"  admin access     {p.access.banner()}",
        *(
            [f"  vendor under test {c.vut.name}: control API {p.url}/control/ (conformance/control-api.yaml)"]
            if c.vut
            else []
        ),
        f"  health           {p.url}/healthz",
        f"  data             {c.data_dir / 'simulator.db'}",
        f"  scenario         {p.simulator.scenario.source} ({len(p.simulator.register.schools)} schools, "
        f"{len(p.simulator.catalogue)} pupils)",
        f"  faults           {c.faults or 'none'}",
        f"  clients          {'mTLS: one certificate per vendor' if c.tls else 'plain HTTP, no certificates'}",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def serve(p: Prepared) -> None:
    p.server.run(sockets=[p.sock])


@dataclass
class Running:
    """A simulator served from a background thread; ``stop()`` shuts it down."""

    url: str
    simulator: Simulator
    server: uvicorn.Server
    thread: threading.Thread
    access: Access

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(config: Config, host: str = "127.0.0.1", port: int = 0) -> Running:
    p = prepare(config, host, port)
    thread = threading.Thread(target=serve, args=(p,), name="osokit-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not p.server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServeError("the simulator did not start within 15 s")
        time.sleep(0.01)
    return Running(p.url, p.simulator, p.server, thread, p.access)
