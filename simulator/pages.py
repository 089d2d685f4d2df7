"""Pages for people: the sessions the simulator saw, each session's messages, and each message.

Plain server-rendered HTML with inline CSS: nothing loaded from the network. Pupil numbers in
message bodies are masked unless the simulator runs with ``--show-pgn``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from oso.parsing import XmlError, pretty
from simulator.access import sees_message, sees_session, viewer
from simulator.admin import _session_dict
from simulator.service import Simulator
from simulator.validation import MAX_ID

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:20px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f4f4}.fault{color:#a00;font-weight:600}.ok{color:#070}pre{background:#f7f7f7;padding:1em;
overflow:auto;max-height:40em}nav a{margin-right:1em}small{color:#666}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        status_code=status,
        content=f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><nav><a href='/'>sessions</a><a href='/messages'>"
        f"messages</a><a href='/admin/'>admin API</a></nav><h1>{escape(title)}</h1>{body}</body></html>",
    )


def _messages_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "<table><tr><th>#</th><th>time</th><th>dir</th><th>endpoint</th><th>operation</th><th>peer</th>"
        "<th>status</th><th>ms</th><th>session</th></tr>"
    ]
    for m in rows:
        ms = "" if m["duration_ms"] is None else f"{m['duration_ms']:.1f}"
        status = f"<span class=fault>{escape(m['fault'])}</span>" if m["fault"] else escape(str(m["http_status"] or ""))
        session = f"<a href='/sessions/{m['sessie_id']}'>{m['sessie_id'][:8]}</a>" if m["sessie_id"] else ""
        lines.append(
            f"<tr><td><a href='/messages/{m['id']}'>{m['id']}</a></td><td>{escape(m['at'][:19])}</td>"
            f"<td>{escape(m['direction'])}</td><td>{escape(m['endpoint'])}</td><td>{escape(m['operation'] or '')}</td>"
            f"<td>{escape((m['vendor'] or '') + ' ' + (m['peer'] or ''))}</td><td>{status}</td>"
            f"<td>{ms}</td><td>{session}</td></tr>"
        )
    return "".join(lines) + "</table>"


def routes(sim: Simulator) -> list[Route]:
    async def sessions(request: Request) -> HTMLResponse:
        sim.tc.expire_idle()
        rows = [
            "<table><tr><th>session</th><th>created</th><th>kind</th><th>bron</th><th>doel</th><th>state</th>"
            "<th>checks</th><th>result</th></tr>"
        ]
        shown = [s for s in sim.store.sessions(limit=200) if sees_session(request, sim.register, s)]
        for s in map(_session_dict, shown):
            result = escape(s["resultaat"] or "")
            css = "ok" if s["resultaat"] == "OverdrachtGeslaagd" else "fault"
            rows.append(
                f"<tr><td><a href='/sessions/{s['sessie_id']}'>{s['sessie_id']}</a></td>"
                f"<td>{escape(s['created'][:19])}</td><td>{escape(s['overdrachtsoort'])}</td>"
                f"<td>{s['bron_brin']}</td><td>{s['doel_brin']}</td><td>{s['state']}</td>"
                f"<td>{s['controles']}</td><td class={css}>{result}</td></tr>"
            )
        total = sim.store.count("sessions") if viewer(request) is None else len(shown)
        note = f"<p><small>{total} sessions, newest first (200 shown); clock {sim.clock.now().isoformat()}</small></p>"
        return _page("OSO simulator: sessions", note + "".join(rows) + "</table>")

    async def session(request: Request) -> HTMLResponse:
        found = sim.store.get_session(request.path_params["sessie_id"])
        if found is None or not sees_session(request, sim.register, found):
            return _page("No such session", "<p>Unknown session id.</p>", 404)
        s = _session_dict(found)
        facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in s.items())
        msgs = sim.store.messages(sessie_id=found.sessie_id, limit=1000)
        return _page(f"Session {found.sessie_id}", f"<table>{facts}</table><h2>Messages</h2>{_messages_table(msgs)}")

    async def messages(request: Request) -> HTMLResponse:
        total = sim.store.count("messages")
        rows = sim.store.messages(after=max(total - 200, 0), limit=200)
        shown = [m for m in reversed(rows) if sees_message(request, sim, m)]
        return _page("OSO simulator: latest messages", _messages_table(shown))

    async def message(request: Request) -> HTMLResponse:
        m = sim.store.message(message_id) if (message_id := request.path_params["message_id"]) <= MAX_ID else None
        if m is None or not sees_message(request, sim, m):
            return _page("No such message", "<p>Unknown message id.</p>", 404)
        body = m.pop("body") or ""
        headers = m.pop("headers")
        try:
            shown = pretty(body.encode())
        except XmlError:
            shown = body if body else "(body not kept: see --evidence-bodies)"
        facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in m.items())
        head = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in headers.items())
        exchange = [x for x in sim.store.messages(after=m["exchange"] - 1, limit=2) if sees_message(request, sim, x)]
        return _page(
            f"Message {m['id']} ({m['direction']} {m['operation'] or ''})",
            f"<table>{facts}</table><h2>Headers</h2><table>{head}</table><h2>Body</h2>"
            f"<pre>{escape(shown)}</pre><h2>Exchange</h2>{_messages_table(exchange)}",
        )

    return [
        Route("/", sessions),
        Route("/sessions/{sessie_id}", session),
        Route("/messages", messages),
        Route("/messages/{message_id:int}", message),
    ]
