"""capacity.json and capacity.html: what a capacity run found, for a program and for a person.

capacity.json follows ``load/schemas/capacity-v1.schema.json`` (``"schema": "osokit-capacity/1"``),
checked with the reports package's validator before it is written; its ``$ref``s are resolved here.
capacity.html is one file that needs nothing else: inline CSS, the charts as inline SVG
(``load/charts.py``), no script, and a Content-Security-Policy that forbids fetching anything; a
Jinja2 template (``load/templates/capacity.html``) with autoescape, as osokit's other pages.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from load import charts, knee, slo
from load.demand import Demand
from oso.errors import OsokitError
from reports.results import errors_against, write_atomic

SCHEMA_PATH = Path(__file__).parent / "schemas" / "capacity-v1.schema.json"
SCHEMA_VERSION = "osokit-capacity/1"


class ReportError(OsokitError, ValueError):
    """A document that does not match the capacity schema (a bug in the run, never the vendor's)."""


@cache
def schema() -> dict[str, Any]:
    """The schema with every ``$ref`` to ``#/$defs/...`` replaced by its definition."""
    loaded = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    defs = loaded.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        return node

    return resolve(loaded)


def role_document(
    role: str, steps: list[knee.Step], found: knee.Knee, demand: Demand, warnings: list[str], extra: dict[str, Any]
) -> dict[str, Any]:
    """One role's part of capacity.json: its steps, the knee, the demand and the headroom."""
    return {
        "offered_unit": knee.UNITS[role],
        "steps": [s.as_dict() for s in steps],
        "knee": found.as_dict(),
        "demand": demand.as_dict(),
        "headroom": round(demand.headroom(found.rate), 2),
        "warnings": warnings,
        **extra,
    }


def validate(document: Any) -> list[str]:
    return errors_against(document, schema())


def write(document: dict[str, Any], out: Path) -> dict[str, Path]:
    problems = validate(document)
    if problems:
        raise ReportError("capacity.json does not match its schema: " + "; ".join(problems[:10]))
    paths = {"json": out / "capacity.json", "html": out / "capacity.html"}
    write_atomic(paths["json"], (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode())
    write_atomic(paths["html"], html(document).encode())
    return paths


# --- the page -------------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6875; --line: #d8dee4; --head: #f3f5f7;
  --ok: #00694d; --ok-bg: #dcf1ea; --bad: #a63a00; --bad-bg: #fde3d3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); }
main { max-width: 1200px; margin: 0 auto; padding: 0 24px 48px; }
header { padding: 18px 24px; background: #1d2733; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; opacity: .9; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.headline { font-size: 16px; padding: 10px 14px; border-radius: 8px; margin: 8px 0; }
.ok { background: var(--ok-bg); color: var(--ok); } .bad { background: var(--bad-bg); color: var(--bad); }
.warning { background: #fdf0cf; color: #6e4d00; padding: 6px 12px; border-radius: 6px; margin: 4px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts figure { margin: 0; } .charts svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: right; vertical-align: top; }
th { background: var(--head); } td.text, th.text { text-align: left; }
tr.breaks td { background: var(--bad-bg); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# 'unsafe-inline' styles because matplotlib's SVG styles its elements inline; no script may run at all.


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
WHAT = {
    "bron": "simulated vo schools ask the LAS for the pupils it prepared",
    "doel": "simulated vo schools make the LAS fetch their intake",
}


def html(document: dict[str, Any]) -> str:
    """The page (``load/templates/capacity.html``); every value escaped, the charts as they are drawn."""
    limits = _latency_limits(document["run"]["slo"])
    roles = [
        {
            "name": name,
            "what": WHAT[name],
            "result": result,
            "charts": [
                Markup(c) for c in (charts.latency(result, limits), charts.throughput(result), charts.series(result))
            ],
        }
        for name, result in document["roles"].items()
    ]
    return ENV.get_template("capacity.html").render(run=document["run"], roles=roles, css=Markup(CSS), csp=Markup(CSP))


def _latency_limits(spec: str) -> dict[str, float]:
    return {o.text: o.value for o in slo.parse(spec) if o.metric in ("p50", "p95", "p99") and o.op in ("<", "<=")}
