"""Servers to benchmark against, each its own process on a free loopback port:

* ``static``: the uvicorn ceiling, an ASGI app that reads the body and answers fixed bytes;
* ``spyne``: a minimal spyne SOAP 1.1 service for the same overdrachtRequest, lxml validation;
* ``osokit``: the simulator itself (``osokit serve``).

``python -m bench.targets static|spyne`` prints its URL and serves until killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from oso.namespaces import SERVICE

STATIC_ANSWER = (
    f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/'
    f'soap/envelope/"><soap:Body><overdrachtResponse xmlns="{SERVICE}"><sessieId>'
    f"9cebd89c-8953-416b-a2cb-ecee939f1775</sessieId></overdrachtResponse></soap:Body></soap:Envelope>"
).encode()


async def static_app(scope, receive, send):  # noqa: ANN001, ANN201 - a bare ASGI callable
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/xml; charset=utf-8"),
                (b"content-length", str(len(STATIC_ANSWER)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": STATIC_ANSWER})


def spyne_app():  # noqa: ANN201
    from spyne import Application, ComplexModel, ServiceBase, Unicode, rpc
    from spyne.protocol.soap import Soap11
    from spyne.server.wsgi import WsgiApplication

    class ZoeksleutelPgnfrag(ComplexModel):
        __namespace__ = SERVICE
        zoeksleutel = Unicode(max_len=1024)
        pgnfrag = Unicode(pattern="[0-9]{4}")

    sessions: dict[str, tuple[str, ...]] = {}

    class TrafficCenter(ServiceBase):
        @rpc(
            Unicode(pattern="[0-9]{2}[A-Z]{2}", min_occurs=1),
            Unicode(pattern="[0-9]{2}[A-Z]{2}", min_occurs=1),
            Unicode(pattern="[0-9A-Z]{20}", min_occurs=1),
            ZoeksleutelPgnfrag,
            Unicode(min_occurs=1),
            _in_message_name="overdrachtRequest",
            _out_message_name="overdrachtResponse",
            _in_arg_names={
                "bron_brin": "bronBrin",
                "doel_brin": "doelBrin",
                "doel_rk": "doelRouteringsKenmerk",
                "zp": "zoeksleutelPgnfrag",
                "soort": "overdrachtsoort",
            },
            _returns=Unicode,
            _out_variable_name="sessieId",
        )
        def overdracht(ctx, bron_brin, doel_brin, doel_rk, zp, soort):  # noqa: ANN001, ANN202, N805
            sessie = str(uuid.uuid4())
            sessions[sessie] = (bron_brin, doel_brin, doel_rk, zp.zoeksleutel, soort)
            return sessie

    app = Application([TrafficCenter], SERVICE, in_protocol=Soap11(validator="lxml"), out_protocol=Soap11())
    return WsgiApplication(app)


def _serve(kind: str) -> None:
    import uvicorn

    from simulator.server import bind
    from simulator.tls import CertAwareHttpProtocol

    sock = bind("127.0.0.1", 0)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/tc", flush=True)
    app, interface = (static_app, "asgi3") if kind == "static" else (spyne_app(), "wsgi")
    config = uvicorn.Config(
        app,
        http=CertAwareHttpProtocol,
        interface=interface,
        log_level="error",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])


def start(kind: str, data_dir: Path | None = None, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    """A target server in its own process; returns it and its URL."""
    if kind == "osokit":
        cmd = [sys.executable, "-m", "osokit.cli", "serve", "--port", "0", "--data-dir", str(data_dir), *(extra or [])]
    else:
        cmd = [sys.executable, "-m", "bench.targets", kind]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline().strip()
    url = line.split("listening on ")[1] + "/tc" if kind == "osokit" else line
    base = url.removesuffix("/tc")
    for _ in range(300):
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    return proc, url


if __name__ == "__main__":
    _serve(sys.argv[1])
