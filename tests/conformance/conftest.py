"""Running ``osokit`` as a user would: a fresh process, its exit code, its output, its files."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.mutants import vendor_under_test
from simulator.server import Running, start_in_thread
from simulator.service import Config

OSOKIT = [sys.executable, "-m", "osokit.cli"]


def osokit(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*OSOKIT, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )


@pytest.fixture
def vendor_environment(tmp_path: Path, request: pytest.FixtureRequest) -> Running:
    """A stand-in for a vendor's test environment: a second simulator hosting a LAS behind its control API.

    Parametrise indirectly with the LAS: ``reference`` (default) or ``mutant:<name>``.
    """
    las = getattr(request, "param", "reference")
    running = start_in_thread(
        Config(
            data_dir=tmp_path / "vendor",
            vut=vendor_under_test(las),
            cohort={"povo": 5, "popo": 5, "vovo": 5, "binnenbrin": 5},
        )
    )
    yield running
    running.stop()


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    """A small ASGI app of a test (a vendor's control API gone wrong) under uvicorn on 127.0.0.1; its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test's app did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        if hasattr(app.state, "release"):
            app.state.release.set()
        server.should_exit = True
        thread.join(10)
        sock.close()


def control_front(
    upstream: str,
    *,
    missing: set[str] = frozenset(),
    hanging: set[str] = frozenset(),
    verify: ssl.SSLContext | bool = True,
) -> Starlette:
    """A vendor's control API in front of ``upstream`` (a simulator's /control): calls named ``METHOD /path``
    in ``missing`` answer 404 (as a LAS without that optional call does), those in ``hanging`` (``*``: all)
    do not answer until the app is stopped; ``verify``: how to trust an https upstream. ``app.state.calls``
    lists every call made, by name."""
    release = threading.Event()
    calls: list[str] = []

    async def call(request: Request) -> Response:
        name = f"{request.method} /{request.path_params['path']}"
        calls.append(name)
        if name in missing:
            return JSONResponse({"error": f"{name} is not offered"}, status_code=404)
        if name in hanging or "*" in hanging:
            while not release.is_set():
                await asyncio.sleep(0.05)
            return Response(status_code=503)
        async with httpx.AsyncClient(timeout=120, verify=verify) as client:
            answer = await client.request(
                request.method,
                f"{upstream}/{request.path_params['path']}",
                content=await request.body(),
                headers={
                    "content-type": request.headers.get("content-type", "application/json"),
                    **(
                        {"authorization": request.headers["authorization"]}
                        if "authorization" in request.headers
                        else {}
                    ),
                },
            )
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    app = Starlette(routes=[Route("/{path:path}", call, methods=["GET", "PUT", "POST"])])
    app.state.release, app.state.calls = release, calls
    return app
