"""capacity.json and capacity.html: what a capacity run found, for a program and for a person.

capacity.json follows ``load/schemas/capacity-v1.schema.json`` (``"schema": "osokit-capacity/1"``),
checked with the reports package's validator before it is written; its ``$ref``s are resolved here.
capacity.html is one file that needs nothing else: inline CSS, the charts as inline SVG
(``load/charts.py``), no script, and a Content-Security-Policy that forbids fetching anything.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from load import charts, knee, slo
from load.demand import Demand
from reports.results import errors_against, write_atomic

SCHEMA_PATH = Path(__file__).parent / "schemas" / "capacity-v1.schema.json"
SCHEMA_VERSION = "osokit-capacity/1"


class ReportError(ValueError):
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


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def html(document: dict[str, Any]) -> str:
    run = document["run"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>osokit capacity · {_e(run['vendor'])}</title><style>{CSS}</style></head><body>",
        f"<header><h1>Capacity of {_e(run['vendor'])}'s LAS for the spring intake peak</h1>",
        f"<p>target <code>{_e(run['target'])}</code> · SLO <code>{_e(run['slo'])}</code> · "
        f"{_e(run['started'])}</p></header><main>",
    ]
    for role, result in document["roles"].items():
        parts.append(_role(role, result, run["slo"]))
    parts.append(_run(run))
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _latency_limits(spec: str) -> dict[str, float]:
    return {o.text: o.value for o in slo.parse(spec) if o.metric in ("p50", "p95", "p99") and o.op in ("<", "<=")}


def _role(role: str, result: dict[str, Any], spec: str) -> str:
    k, demand = result["knee"], result["demand"]
    ok = result["headroom"] >= 1
    line = (
        f"{role} sustains <b>{k['sustainable_per_s']:,.1f} transfers/s</b> at p99 {k['p99_ms']:,.0f} ms "
        f"(SLO {_e(spec)}); needed at the national peak: {demand['needed_per_s']:,.2f}/s; "
        f"headroom <b>{result['headroom']:,.1f}</b>"
    )
    broke = (
        f"the SLO broke at step {k['breaking_step']} ({k['breaking_offered']:g} {_e(result['offered_unit'])}): "
        + "; ".join(_e(b) for b in k["breaches"])
        if k["found"]
        else "no step broke the SLO: the knee lies above the highest load offered"
    )
    out = [
        f'<section id="{role}"><h2>{"Bron" if role == "bron" else "Doel"}: {_e(_what(role))}</h2>',
        f'<p class="headline {"ok" if ok else "bad"}">{"✔" if ok else "✘"} {line}</p>',
        f"<p>{broke}</p>",
        *(f'<p class="warning">⚠ {_e(w)}</p>' for w in result["warnings"]),
        '<div class="charts">',
        f"<figure>{charts.latency(result, _latency_limits(spec))}</figure>",
        f"<figure>{charts.throughput(result)}</figure>",
        f"<figure>{charts.series(result)}</figure>",
        "</div>",
        _steps(result),
        _doel(result) if role == "doel" else "",
        _demand(demand),
        "</section>",
    ]
    return "\n".join(out)


def _what(role: str) -> str:
    if role == "bron":
        return "simulated vo schools ask the LAS for the pupils it prepared"
    return "simulated vo schools make the LAS fetch their intake"


def _steps(result: dict[str, Any]) -> str:
    head = (
        f"<tr><th>step</th><th>offered ({_e(result['offered_unit'])})</th><th>users</th><th>transfers/s</th>"
        "<th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>requests</th><th>errors</th>"
        '<th>conformance</th><th>simulator CPU</th><th>locust CPU</th><th class="text">verdict</th></tr>'
    )
    rows = []
    for s in result["steps"]:
        x = s["extra"]
        verdict = "holds" if s["holds"] else "breaks: " + "; ".join(s["breaches"])
        failures = "".join(f"<br>{_e(what)} ×{n}" for what, n in list(x.get("failures", {}).items())[:5])
        rows.append(
            f'<tr class="{"holds" if s["holds"] else "breaks"}"><td>{s["index"]}</td><td>{s["offered"]:g}</td>'
            f"<td>{s['users']}</td><td>{s['throughput_per_s']:,.1f}</td><td>{s['p50_ms']:,.0f}</td>"
            f"<td>{s['p95_ms']:,.0f}</td><td>{s['p99_ms']:,.0f}</td><td>{s['max_ms']:,.0f}</td>"
            f"<td>{s['requests']:,}</td><td>{s['errors']:,}</td><td>{s['conformance']:,}</td>"
            f"<td>{x.get('simulator_cores', 0):.0%}</td><td>{x.get('generator_cores', 0):.0%}</td>"
            f'<td class="text">{_e(verdict)}{failures}</td></tr>'
        )
    return f"<h3>Steps</h3><table>{head}{''.join(rows)}</table>"


def _doel(result: dict[str, Any]) -> str:
    sessions, batches = result.get("sessions", {}), result.get("batches", {})
    results = ", ".join(f"{_e(k)} {v:,}" for k, v in sorted(sessions.get("results", {}).items())) or "none"
    return (
        "<h3>Sessions and intakes</h3><dl>"
        f"<dt>sessions opened</dt><dd>{sessions.get('opened', 0):,}</dd>"
        f"<dt>closed (afmelding)</dt><dd>{sessions.get('closed', 0):,}</dd>"
        f"<dt>left open</dt><dd>{sessions.get('left_open', 0):,}</dd>"
        f"<dt>afmelding results</dt><dd>{results}</dd>"
        f"<dt>intakes</dt><dd>{batches.get('intakes', 0):,} ({batches.get('failed', 0):,} not complete); "
        f"p99 of the slowest step {batches.get('p99_s_worst_step', 0):,.1f} s</dd>"
        f"<dt>fault profile</dt><dd>{_e(result.get('faults') or 'none')}</dd></dl>"
    )


def _demand(d: dict[str, Any]) -> str:
    share = f"{d['share']:.1%}"
    if d["schools"]:
        share = f"{d['schools']:,} of {d['sector_schools']:,} {d['sector']} schools"
    rows = "".join(
        f'<tr><td class="text">{_e(w["name"])}</td><td class="text">{_e(w["what"])}</td><td>{w["share"]:.0%}</td>'
        f"<td>{w['days']}</td><td>{w['peak_day_factor']:g}</td><td>{w['peak_hour_share']:.0%}</td>"
        f"<td>{w['peak_day']:,.0f}</td><td>{w['peak_hour']:,.0f}</td><td>{w['peak_hour_per_s']:,.3f}</td></tr>"
        for w in d["waves"]
    )
    sources = "".join(f"<li>{_e(s)}</li>" for s in d["sources"])
    return (
        f"<h3>Demand: {d['national_pupils']:,} po-vo pupils a year, the vendor's share {share}</h3>"
        '<table><tr><th class="text">wave</th><th class="text">what</th><th>of the pupils</th><th>school days</th>'
        "<th>peak day ×</th><th>in the peak hour</th><th>peak day</th><th>peak hour</th><th>per second</th></tr>"
        f"{rows}</table><p>Sources and assumptions:</p><ul>{sources}</ul>"
    )


def _run(run: dict[str, Any]) -> str:
    facts = {
        "command": run["command"],
        "started": run["started"],
        "finished": run["finished"],
        "step duration": f"{run['step_s']:g} s",
        "locust workers": f"{run['processes']} ({run['remote_workers']} on other machines)",
        "simulator": f"{run['simulator']['url']}, fault profile {run['simulator']['faults'] or 'none'}",
        "cores here": run["cores"],
    }
    rows = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd>" for k, v in facts.items())
    return f"<h2>The run</h2><dl>{rows}</dl>"
