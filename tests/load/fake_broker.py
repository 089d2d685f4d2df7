"""A broken broker for one test: a TC that grants sessions and a bron that answers in the 2018 namespace.

``python tests/load/fake_broker.py PORT`` serves it on 127.0.0.1 until killed.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oso import envelope
from oso import transport as t
from oso.xmlmodel import XmlFragment

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 0
BASE = f"http://127.0.0.1:{PORT}"
PUPIL = {"key": "povo/0", "pgn": "123456782", "bron_brin": "90AA", "zoeksleutel": "z" * 64}
SCHOOLS = {
    "schools": [
        {
            "brin": "91AB",
            "sector": "vo",
            "vendor": "reference",
            "endpoints": [{"routeringskenmerk": "000000000191AB000001", "url": f"{BASE}/doel"}],
        }
    ]
}
OLD = '<dossier xmlns="http://www.edustandaard.nl/oso_gegevensset/2018/dossier"/>'


async def tc(request: Request) -> Response:
    body = await request.body()
    operation, _ = envelope.read_request(body)
    if operation == "overdrachtRequest":
        answer: object = t.OverdrachtResponse(
            sessie_id="9cebd89c-8953-416b-a2cb-ecee939f1775",
            aanleverpunt=(t.Aanleverpunt(brin="90AA", routeringskenmerk="000000000190AA000001", url=f"{BASE}/bron"),),
        )
    else:
        answer = t.AfmeldingResponse(resultaat="AfmeldingVerwerkt")
    return Response(envelope.message(answer), media_type="text/xml")


async def bron(request: Request) -> Response:
    answer = t.DocumentResponse(resultaat="OverdrachtGeslaagd", dossier=XmlFragment(OLD))
    return Response(envelope.message(answer), media_type="text/xml")


app = Starlette(
    routes=[
        Route("/healthz", lambda r: Response("ok")),
        Route("/admin/register", lambda r: JSONResponse(SCHOOLS)),
        Route("/admin/cohort", lambda r: JSONResponse({"profile": "povo", "total": 1, "pupils": [PUPIL]})),
        Route("/tc", tc, methods=["POST"]),
        Route("/bron", bron, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
