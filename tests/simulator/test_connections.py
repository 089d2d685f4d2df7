"""Slow and silent clients cannot lock others out: request headers must arrive within the header timeout,
and one client address may hold only so many connections. Both uvicorn protocols (httptools, h11) in
process; then a real `osokit serve` limited to 1024 file descriptors, with 1,100 silent connections."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulator.connections import Config
from simulator.tls import CertAwareH11Protocol, CertAwareHttpProtocol
from tests.simulator.serve import SMALL_COHORT_ARGS, start

SILENT_FROM = "127.0.0.2"  # the flooding client: another loopback address than the normal client's


async def ok(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


@contextmanager
def served(protocol: type, **limits: float) -> Iterator[int]:
    """A tiny app behind a guarded protocol, in a thread on a free loopback port."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = Config(
        Starlette(routes=[Route("/", ok)]), http=protocol, lifespan="off", log_config=None, ws="none", **limits
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    """Every client socket a test opens, closed after it."""
    opened: list[socket.socket] = []
    yield opened
    for s in opened:
        s.close()


def connect(opened: list[socket.socket], port: int, send: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(SILENT_FROM, 0))
    opened.append(s)
    if send:
        s.sendall(send)
    return s


def read_until_closed(s: socket.socket, within: float) -> bytes | None:
    """Everything the server sends until it closes the connection; None if it is still open after ``within``."""
    got, deadline = b"", time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            return None
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk
    return None


@pytest.fixture(params=[CertAwareHttpProtocol, CertAwareH11Protocol], ids=["httptools", "h11"])
def protocol(request: pytest.FixtureRequest) -> type:
    return request.param


def test_silent_and_partial_connections_are_closed_after_the_header_timeout(protocol, sockets):
    with served(protocol, header_timeout=0.5) as port:
        silent, partial = connect(sockets, port), connect(sockets, port, send=b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert read_until_closed(silent, 3) == b""  # nothing said, nothing answered: closed
        answer = read_until_closed(partial, 3)
        assert answer is not None and answer.startswith(b"HTTP/1.1 408 "), answer
        with httpx.Client(timeout=5) as http:  # a normal client, and a keep-alive pause longer than the timeout
            assert http.get(f"http://127.0.0.1:{port}/").json() == {"ok": True}
            time.sleep(1)
            assert http.get(f"http://127.0.0.1:{port}/").json() == {"ok": True}


def test_one_client_holds_at_most_its_connections_and_others_are_served(protocol, sockets):
    with served(protocol, header_timeout=30, per_client=3) as port:
        held = [connect(sockets, port) for _ in range(3)]
        time.sleep(0.2)  # the server has accepted them
        refused = connect(sockets, port)
        answer = read_until_closed(refused, 3)
        assert answer is not None and answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"the most one client may" in answer
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).json() == {"ok": True}  # 127.0.0.1: another client
        held[0].close()
        time.sleep(0.2)
        again = connect(sockets, port, send=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert again.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_at_the_connection_cap_the_longest_waiting_connection_makes_room(protocol, sockets):
    with served(protocol, header_timeout=30, max_connections=3) as port:
        silent = []
        for _ in range(3):  # the cap is full, oldest first
            silent.append(connect(sockets, port))
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).json() == {"ok": True}
        assert read_until_closed(silent[0], 3) == b""  # closed to make room
        assert read_until_closed(silent[1], 0.3) is None and read_until_closed(silent[2], 0.3) is None


def _raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this test opens {wanted} sockets; the file limit here is {hard}")
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _one_address(n: int) -> str:
    return SILENT_FROM


def _many_addresses(n: int) -> str:
    return f"127.1.{n // 250}.{n % 250 + 1}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "source",
    [
        pytest.param(_one_address, id="one-address"),
        pytest.param(_many_addresses, id="1100-addresses", marks=pytest.mark.slow),
    ],
)
def test_1100_silent_connections_do_not_lock_out_a_normal_client(tmp_path, sockets, source):
    """The server may hold 1024 files; 1,100 connections send nothing, or half a request, from one
    address (the per-client limit refuses most) or from 1,100 (the connection cap makes room). A normal
    client is served at once; every silent connection is closed, by the timeout at the latest."""
    _raise_open_files(1300)
    header_timeout = 3.0
    server = start(tmp_path / "data", *SMALL_COHORT_ARGS, "--header-timeout", str(header_timeout), max_files=1024)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        for n in range(1100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source(n), 0))
            sockets.append(s)
            if n % 2:
                s.sendall(b"GET / HTTP/1.1\r\n")
        opened = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=5) as http:
            started = time.monotonic()
            assert http.get("/healthz").json()["status"] == "ok"
            assert http.get("/admin/info").status_code == 200
            served_in = time.monotonic() - started
        outcomes: Counter[str] = Counter()
        for s in sockets:
            got = read_until_closed(s, max(header_timeout + 5 - (time.monotonic() - opened), 0.1))
            outcomes["still open" if got is None else got[:12].decode() if got else "closed"] += 1
    finally:
        server.stop()
    print(
        f"\n1,100 silent connections ({source.__name__[1:]}): normal client served in {served_in * 1000:.0f} ms; "
        f"{dict(outcomes)}"
    )
    assert served_in < 2
    assert "still open" not in outcomes
    assert "out of system resource" not in server.output()  # asyncio never ran out of files accepting
    if source is _one_address:
        assert outcomes["HTTP/1.1 503"] >= 1100 - 256  # beyond the per-client limit: refused at once
