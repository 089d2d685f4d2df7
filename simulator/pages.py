"""Pages for people: the sessions and messages the simulator saw, searched, filtered and paged; one
message with its headers and body; the reference LAS's transfers; an admin page (clock, fault
profile, register); conformance runs started from the browser.

Server-rendered HTML from Jinja2 templates (``simulator/templates``, autoescape on), one stylesheet
and one small script served by the app (``simulator/static``): nothing is loaded from the network.
Pupil numbers in message bodies are masked by the store unless the simulator runs with
``--show-pgn``. The admin forms post JSON to the admin API itself, so a change made in the browser
is the same validated change as one made with curl.

Every result has a tone, said in a word and a symbol as well as a colour: ``ok`` (the exchange
succeeded), ``answer`` (a refusal that is a right answer, such as GeenNieuwerDossier), ``fault``
(anything else refused), ``open`` (a session under way); an injected fault is marked besides.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from oso import faults
from oso import transport as t
from oso.errors import OsokitError
from oso.exchange import DROPPED, HTTP_ERROR
from oso.session import OVERDRACHTSOORTEN, State
from reports.text import pretty_xml
from simulator.access import sees_message, sees_session, viewer
from simulator.admin import _session_dict
from simulator.faultinject import SHIPPED_DIR
from simulator.register import SECTORS
from simulator.runs import RunError, RunManager
from simulator.service import Simulator
from simulator.store import Search
from simulator.validation import MAX_ID, BadRequest, read_object

HERE = Path(__file__).parent
STATIC = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8"}
PAGE_SIZES = (25, 50, 100, 200)
RESULTS = ("ok", "answer", "fault", "open")
TONE_SYMBOL = {"ok": "✔", "answer": "↩", "fault": "✘", "open": "…", "expired": "⌛"}


def tone(code: str | None, status: int | None = None) -> str:
    """``ok``, ``answer`` or ``fault`` for a message's fault code (or a session's resultaat) and HTTP status."""
    if code in faults.ANSWERS:
        return "answer"
    if code is None or code == faults.GESLAAGD:
        return "ok" if status in (None, 200) else "fault"
    return "fault"


def session_tone(state: str, resultaat: str | None) -> str:
    if resultaat is not None:
        return tone(resultaat)
    return "expired" if state == State.VERLOPEN else "open"


def _shown(value: Any) -> Any:
    """What a template prints for a value: nothing for None, a list as its items (never a Python repr)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(_shown(v)) for v in value)
    return value


def when(iso: str | None) -> str:
    """A stored moment as people read it: to the second, with its offset unless it is UTC."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    offset = moment.strftime("%z")
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    return shown if offset in ("", "+0000") else f"{shown} {offset[:3]}:{offset[3:]}"


def iso_seconds(iso: str) -> str:
    return datetime.fromisoformat(iso).replace(microsecond=0).isoformat()


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    finalize=_shown,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(tone=tone, session_tone=session_tone, symbol=TONE_SYMBOL)
ENV.filters.update(n=lambda number: f"{number:,}", when=when, iso_seconds=iso_seconds)


class BadQuery(OsokitError, ValueError):
    """A filter or page number that cannot be used: the page says which and why (HTTP 400)."""


@dataclass(frozen=True)
class Filters:
    """A list page's query string, parsed once: what to narrow to and which page to show."""

    q: str = ""
    kind: str = ""
    state: str = ""
    operation: str = ""
    result: str = ""
    school: str = ""
    vendor: str = ""
    injected: bool = False
    page: int = 1
    per: int = 50

    @classmethod
    def parse(cls, request: Request) -> Filters:
        q = request.query_params
        values: dict[str, Any] = {f.name: q.get(f.name, "").strip() for f in fields(cls) if f.name in q}
        values["injected"] = q.get("injected") in ("1", "on", "true")
        for name, low in (("page", 1), ("per", 1)):
            raw = values.pop(name, "")
            if raw:
                if not raw.isdigit() or int(raw) < low:
                    raise BadQuery(f"{name} '{raw[:20]}' is not a whole number of at least {low}")
                values[name] = int(raw)
        if values.get("per", 50) not in PAGE_SIZES:
            raise BadQuery(f"per must be one of {', '.join(map(str, PAGE_SIZES))}")
        return cls(**values)

    def check(self, allowed: dict[str, Iterable[str]]) -> Filters:
        """Refuse values outside their choices (a typed URL, an old bookmark): the error names them."""
        for name, choices in allowed.items():
            value = getattr(self, name)
            if value and value not in set(choices):
                raise BadQuery(f"{name} '{value[:40]}' is not one of the choices offered")
        return self

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per

    def link(self, **changes: Any) -> str:
        """This page's query string with ``changes``: the pager's and the school links keep the filters."""
        merged = replace(self, **changes)
        pairs = {f.name: getattr(merged, f.name) for f in fields(merged) if getattr(merged, f.name) != f.default}
        return "?" + urlencode({k: "1" if v is True else v for k, v in pairs.items()})

    @property
    def active(self) -> bool:
        """Anything narrowed (the page and its size aside)."""
        return replace(self, page=1, per=50) != Filters()


@dataclass(frozen=True)
class Pager:
    total: int
    page: int
    per: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per))

    @property
    def first(self) -> int:
        return min(self.total, (self.page - 1) * self.per + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per)


class Ui:
    """The pages of one simulator, and the conformance runs started from them."""

    def __init__(self, sim: Simulator, admin_index: Callable[[Request], Any]) -> None:
        self.sim = sim
        self.admin_index = admin_index

    @functools.cached_property
    def runner(self) -> RunManager:
        """Made on first use: listing the routes needs no simulator (tests/simulator/test_fuzz.py)."""
        return RunManager(self.sim.config.data_dir / "runs")

    def close(self) -> None:
        if "runner" in self.__dict__:
            self.runner.close()

    # --- rendering -------------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        sim = self.sim
        header = {"clock": sim.clock.as_dict(), "fault_profile": sim.faults.name, "run": self.runner.current()}
        html = ENV.get_template(template).render(header=header, **context)
        return HTMLResponse(html, status_code=status)

    def error(self, title: str, message: str, status: int) -> HTMLResponse:
        return self.render("error.html", status, title=title, message=message)

    def parties(self, f: Filters) -> Search:
        """The school and vendor filters as the store's parties: the schools and aanleverpunten they name
        (a vendor's: the schools it is mandated by, and what it sent under its certificate)."""
        if not f.school and not f.vendor:
            return Search()
        register = self.sim.register
        schools = {f.school.upper()} if f.school else set(register.schools)
        if f.vendor:
            schools = {b for b in schools if b in register.schools and register.schools[b].vendor == f.vendor}
        rks = {e.routeringskenmerk for e in register.endpoints.values() if e.brin in schools}
        return Search(
            schools=tuple(sorted(schools)), aanleverpunten=tuple(sorted(rks)), vendor="" if f.school else f.vendor
        )

    def choices(self) -> dict[str, Any]:
        register = self.sim.register
        return {
            "operations": list(t.OPERATIONS),
            "kinds": OVERDRACHTSOORTEN,
            "states": [s.value for s in State],
            "results": RESULTS,
            "codes": [*sorted(faults.CATALOGUE), DROPPED, HTTP_ERROR],  # what fault holds besides codes
            "schools": sorted(register.schools.values(), key=lambda s: s.brin),
            "vendors": sorted(register.vendors),
        }

    def _allowed(self, *names: str) -> dict[str, Iterable[str]]:
        c = self.choices()
        allowed = {
            "kind": c["kinds"],
            "state": c["states"],
            "operation": c["operations"],
            "result": [*RESULTS, *c["codes"], faults.GESLAAGD],
            "vendor": c["vendors"],
        }
        return {n: allowed[n] for n in names}

    # --- pages -----------------------------------------------------------------------------------

    def filters(self, request: Request, *names: str) -> Filters:
        """The page's filters; a vendor's certificate (guarded access) sees only its own schools' traffic,
        whatever vendor its query names."""
        f = Filters.parse(request).check(self._allowed(*names))
        vendor = viewer(request)
        return replace(f, vendor=vendor, school="") if vendor else f

    async def sessions(self, request: Request) -> Response:
        self.sim.tc.expire_idle()
        try:
            f = self.filters(request, "kind", "state", "result", "vendor")
        except BadQuery as exc:
            return self.error("Sessions: bad filter", str(exc), 400)
        search = replace(self.parties(f), text=f.q, kind=f.kind, state=f.state, result=f.result, injected=f.injected)
        total, found = self.sim.store.search_sessions(search, offset=f.offset, limit=f.per)
        # session requests the Traffic Center refused: no session was opened, so they are only messages
        refusals = replace(self.parties(f), operation="overdrachtResponse", result="fault")
        refused, _ = self.sim.store.search_messages(refusals, limit=0)
        return self.render(
            "sessions.html",
            filters=f,
            pager=Pager(total, f.page, f.per),
            sessions=[_session_dict(s) for s in found],
            refused=refused,
            everything=self.sim.store.count("sessions"),
            **self.choices(),
        )

    async def session(self, request: Request) -> Response:
        self.sim.tc.expire_idle()
        found = self.sim.store.get_session(request.path_params["sessie_id"])
        if found is None or not sees_session(request, self.sim.register, found):
            return self.error("No such session", f"There is no session {request.path_params['sessie_id'][:64]}.", 404)
        messages = self.sim.store.messages(sessie_id=found.sessie_id, limit=1000)
        return self.render("session.html", session=_session_dict(found), messages=messages)

    async def messages(self, request: Request) -> Response:
        try:
            f = self.filters(request, "operation", "result", "vendor")
        except BadQuery as exc:
            return self.error("Messages: bad filter", str(exc), 400)
        search = replace(self.parties(f), text=f.q, operation=f.operation, result=f.result, injected=f.injected)
        total, rows = self.sim.store.search_messages(search, offset=f.offset, limit=f.per)
        return self.render(
            "messages.html",
            filters=f,
            pager=Pager(total, f.page, f.per),
            messages=rows,
            everything=self.sim.store.count("messages"),
            **self.choices(),
        )

    async def message(self, request: Request) -> Response:
        message_id = int(request.path_params["message_id"])
        m = self.sim.store.message(message_id) if message_id <= MAX_ID else None
        if m is None or not sees_message(request, self.sim, m):
            return self.error("No such message", f"There is no message {request.path_params['message_id']}.", 404)
        body = m.pop("body")
        headers = m.pop("headers") or {}
        exchange = self.sim.store.messages(after=m["exchange"] - 1, limit=3)
        exchange = [x for x in exchange if x["exchange"] == m["exchange"] and sees_message(request, self.sim, x)]
        return self.render(
            "message.html",
            m=m,
            headers=sorted(headers.items()),
            body=pretty_xml(body) if body else None,
            exchange=exchange,
            spec=faults.CATALOGUE.get(m["fault"] or ""),
        )

    async def transfers(self, request: Request) -> Response:
        try:
            f = Filters.parse(request)
        except BadQuery as exc:
            return self.error("Transfers: bad page", str(exc), 400)
        total, rows = self.sim.records.transfer_page(offset=f.offset, limit=f.per)
        return self.render("transfers.html", filters=f, pager=Pager(total, f.page, f.per), transfers=rows)

    async def admin(self, request: Request) -> Response:
        """``/admin/``: this page for a browser, the admin API's JSON index for everything else."""
        if "text/html" not in request.headers.get("accept", ""):
            return await self.admin_index(request)
        sim = self.sim
        profiles = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SHIPPED_DIR.glob("*.toml"))}
        return self.render(
            "admin.html",
            clock=sim.clock.as_dict(),
            faults={"name": sim.faults.name, "seed": sim.faults.seed, "rules": len(sim.faults.rules)},
            profiles=profiles,
            register=sim.register.as_dict(),
            sectors=SECTORS,
            **self.choices(),
        )

    # --- conformance runs ------------------------------------------------------------------------

    async def runs(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                run = self.runner.start(await read_object(request))
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            except RunError as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            return JSONResponse({"id": run.id, "url": f"/runs/{run.id}"}, status_code=201)
        from simulator.mutants import MUTANTS

        return self.render("runs.html", runs=self.runner.list(), mutants=sorted(MUTANTS), kinds=self.runner.kinds)

    async def run(self, request: Request) -> Response:
        run = self.runner.get(request.path_params["run_id"])
        if run is None:
            return self.error("No such run", "There is no conformance run with that id.", 404)
        return self.render("run.html", run=run.status())

    async def run_status(self, request: Request) -> Response:
        run = self.runner.get(request.path_params["run_id"])
        if run is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        return JSONResponse(run.status())

    async def run_file(self, request: Request) -> Response:
        """A file the run wrote to its --out folder, read-only; nothing outside that folder."""
        run = self.runner.get(request.path_params["run_id"])
        path = run.report_file(request.path_params["name"]) if run else None
        if path is None:
            return self.error("No such file", "That run wrote no such report.", 404)
        return FileResponse(path, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found\n", status_code=404, media_type="text/plain")
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name])

    def routes(self) -> list[Route]:
        return [
            Route("/", self.sessions),
            Route("/sessions/{sessie_id}", self.session),
            Route("/messages", self.messages),
            Route("/messages/{message_id:int}", self.message),
            Route("/transfers", self.transfers),
            Route("/admin/", self.admin),
            Route("/runs", self.runs, methods=["GET", "POST"]),
            Route("/runs/{run_id}", self.run),
            Route("/runs/{run_id}/status", self.run_status),
            Route("/runs/{run_id}/report/{name}", self.run_file),
            Route("/static/{name}", self.static),
        ]
