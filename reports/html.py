"""Results as one self-contained HTML page that a vendor can open, mail, or attach to a ticket.

Self-contained means: inline CSS, one small inline script, no fonts, images or scripts from
anywhere, and a Content-Security-Policy that forbids fetching anything, so the page renders the
same offline, inside a CI artifact viewer, or years later. The script only adds conveniences
(filter the checks table, expand all evidence); without it the page is complete: evidence uses
``<details>``, which browsers open natively.

Every string from the results is escaped: evidence bodies are SOAP messages a vendor's system sent
(XML full of ``<`` and ``&``, possibly hostile), and rule texts or messages may quote them. The
CSP pins the inline style and script by hash, so even markup that slipped through could not run.

Pass and fail are told apart by symbol (✔ ✘ ⊘ ⚠ ○ ◐) and by word, colour only adds to that; the
colours are from the Okabe-Ito palette, which stays distinct for colour-blind readers. What was
not tested comes first, right under the verdict: an INCOMPLETE page opens with why.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html import escape

from reports.results import PASSTHROUGH_NOTE, SCHEMA_VERSION, Check, Evidence, Results, RuleResult
from reports.text import MASKED_HINT, expected_found, first_line, pretty_xml, printable, shorten

SYMBOL = {
    "passed": "✔",
    "pass": "✔",
    "failed": "✘",
    "fail": "✘",
    "skipped": "⊘",
    "skip": "⊘",
    "error": "⚠",
    "untested": "○",
    "not-applicable": "–",
    "incomplete": "◐",
}
_RULE_ORDER = {"fail": 0, "error": 1, "untested": 2, "skip": 3, "pass": 4, "not-applicable": 5}

CSS = """
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6875; --line: #d8dee4; --head: #f3f5f7;
  --pass: #00694d; --pass-bg: #dcf1ea; --fail: #a63a00; --fail-bg: #fde3d3; --error: #7d2e62; --error-bg: #f6e1ee;
  --skip: #4a5560; --skip-bg: #eceff2; --untested: #6e4d00; --untested-bg: #fdf0cf; --link: #005a91;
  --na: #5b6875; --na-bg: #f6f7f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
  background: #fff; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
a { color: var(--link); }
main { max-width: 1400px; margin: 0 auto; padding: 0 24px 48px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; }
header.top { display: flex; gap: 24px; align-items: center; padding: 20px 24px; color: #fff; }
header.pass { background: #00795a; } header.fail { background: #b53f00; } header.error { background: #8a3b72; }
header.incomplete { background: #7a5500; }
.verdict { font-size: 44px; font-weight: 800; letter-spacing: 2px; line-height: 1; padding: 10px 22px;
  border: 3px solid rgba(255,255,255,.85); border-radius: 10px; white-space: nowrap; }
header h1 { font-size: 22px; margin: 0 0 4px; font-weight: 600; }
header p { margin: 0; opacity: .95; }
header code { font-size: 14px; background: rgba(255,255,255,.16); padding: 1px 6px; border-radius: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 18px 0 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.cmd { background: #1f2933; color: #f0f4f8; padding: 10px 14px; border-radius: 6px; }
nav.toc { position: sticky; top: 0; z-index: 3; background: #fff; border-bottom: 1px solid var(--line);
  padding: 8px 0; margin-top: 18px; display: flex; gap: 20px; flex-wrap: wrap; }
nav.toc a { text-decoration: none; font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 8px 16px; min-width: 110px; }
.tile b { display: block; font-size: 26px; line-height: 1.2; } .tile span { color: var(--muted); }
.tile.passed b { color: var(--pass); } .tile.failed b { color: var(--fail); } .tile.error b { color: var(--error); }
.tile.skipped b { color: var(--skip); } .tile.untested b { color: var(--untested); }
svg.bar { display: block; width: 100%; height: 14px; margin-top: 12px; border-radius: 4px; }
svg.bar .passed { fill: #009e73; } svg.bar .failed { fill: #d55e00; } svg.bar .error { fill: #cc79a7; }
svg.bar .skipped { fill: #b7c0c8; }
table { width: 100%; border-collapse: separate; border-spacing: 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
thead th { position: sticky; top: 41px; z-index: 2; background: var(--head); box-shadow: inset 0 -2px 0 var(--line);
  font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
tbody tr:hover td { background: #f8fafb; }
tr.group th { background: #fff; font-size: 15px; padding-top: 18px; color: var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { white-space: nowrap; } td.small, .small { font-size: 12.5px; color: var(--muted); }
.badge { display: inline-block; white-space: nowrap; font-weight: 700; font-size: 12.5px; padding: 1px 8px;
  border-radius: 10px; border: 1px solid currentColor; }
.passed, .pass { color: var(--pass); } .badge.passed, .badge.pass { background: var(--pass-bg); }
.failed, .fail { color: var(--fail); } .badge.failed, .badge.fail { background: var(--fail-bg); }
.error { color: var(--error); } .badge.error { background: var(--error-bg); }
.skipped, .skip { color: var(--skip); } .badge.skipped, .badge.skip { background: var(--skip-bg); }
.untested { color: var(--untested); } .badge.untested { background: var(--untested-bg); }
.not-applicable { color: var(--na); } .badge.not-applicable { background: var(--na-bg); }
section#untested { border: 2px solid #e69f00; border-radius: 8px; padding: 4px 18px 12px; margin-top: 22px;
  background: #fffaf0; }
section#untested h2 { border-bottom-color: #f2d49b; }
section#untested li { margin: 0 0 10px; }
dl.said { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0;
  background: var(--fail-bg); padding: 8px 12px; border-radius: 4px; }
dl.said dt { font-weight: 700; } dl.said dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
details.offending { border: 2px solid #d55e00; } details.offending > summary { background: var(--fail-bg); }
.mark { font-weight: 700; color: var(--fail); }
pre.headers { padding: 6px 12px; background: var(--head); border-bottom: 1px solid var(--line); }
.level { font-size: 11.5px; font-weight: 700; padding: 0 6px; border-radius: 4px; border: 1px solid; }
.level.MUST { color: #1d2733; border-color: #1d2733; } .level.SHOULD { color: var(--muted); border-color: #aab4bd; }
article.failure { border: 1px solid var(--line); border-left: 6px solid #d55e00; border-radius: 6px;
  padding: 12px 16px; margin: 0 0 14px; }
article.failure.is-error { border-left-color: #cc79a7; }
article.failure .meta { margin: 2px 0 8px; color: var(--muted); }
pre.message { background: var(--fail-bg); color: #3d1500; padding: 8px 12px; border-radius: 4px; margin: 6px 0; }
article.is-error pre.message { background: var(--error-bg); color: #3a0f2b; }
.label { display: block; font-size: 12px; font-weight: 600; color: var(--muted); margin: 10px 0 3px; }
details { border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; }
details > summary { cursor: pointer; padding: 4px 10px; background: var(--head); overflow-wrap: anywhere; }
details[open] > summary { border-bottom: 1px solid var(--line); }
pre.body { padding: 8px 12px; max-height: 480px; overflow: auto; background: #fbfcfd; }
.dir { font-weight: 700; }
.filter { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 0 0 10px; }
.filter input, .filter select, .filter button { font: inherit; padding: 4px 8px; }
.filter input { min-width: 320px; }
footer { max-width: 1400px; margin: 0 auto; padding: 16px 24px 32px; color: var(--muted); font-size: 12.5px; }
@media print { nav.toc, .filter { display: none; } thead th { position: static; } pre.body { max-height: none; } }
"""

SCRIPT = """
(function () {
  var bar = document.getElementById("filter");
  if (!bar) return;
  bar.hidden = false;
  var query = document.getElementById("q"), outcome = document.getElementById("o");
  var shown = document.getElementById("n");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#checks-table tbody tr"));
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  function apply() {
    var q = query.value.trim().toLowerCase(), o = outcome.value, k = 0;
    rows.forEach(function (r, i) {
      var show = (!o || r.getAttribute("data-outcome") === o) && (!q || texts[i].indexOf(q) >= 0);
      r.hidden = !show; if (show) k++;
    });
    shown.textContent = k + " of " + rows.length + " checks shown";
  }
  query.addEventListener("input", apply);
  outcome.addEventListener("change", apply);
  function openAll(open) {
    document.querySelectorAll("#failures details").forEach(function (d) { d.open = open; });
  }
  document.getElementById("expand").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse").addEventListener("click", function () { openAll(false); });
  apply();
})();
"""


PREPARE = {
    "export": "export: the suite gave the LAS pupil data; the dossiers checked are the LAS's own export",
    "passthrough": "passthrough: the suite handed the LAS dossier XML to serve; "
    "the LAS's own export (klaarzetten) was not tested",
}


def html_report(results: Results) -> str:
    """The report page for ``results``: one string of HTML, everything inline."""
    rule_anchor = {r.id: f"r{n}" for n, r in enumerate(results.rules)}
    failing = [n for n, c in enumerate(results.checks) if c.failing]
    failing.sort(key=lambda n: results.checks[n].level != "MUST")
    parts = [
        _head(results),
        "<body>",
        _header(results),
        "<main>",
        _untested(results, rule_anchor),
        _run(results),
        _toc(results, len(failing)),
        _summary(results),
        _rules(results, rule_anchor),
        _failures(results, failing, rule_anchor),
        _checks(results, rule_anchor),
        "</main>",
        f"<footer>Generated by osokit from results.json ({_e(_read_as(results))}). "
        "This page is self-contained: it loads nothing from anywhere.</footer>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _read_as(results: Results) -> str:
    if results.schema == SCHEMA_VERSION:
        return SCHEMA_VERSION
    return f"{results.schema}, judged again as {SCHEMA_VERSION}"


def _e(value: object) -> str:
    """Escaped for HTML text and attribute values alike, after making it printable."""
    return escape(printable(str(value)), quote=True)


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def _head(results: Results) -> str:
    csp = (
        f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    title = f"{results.summary.verdict.upper()} · osokit conformance · {results.run.target}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="osokit reports">',
            f"<title>{_e(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
        ]
    )


def _header(results: Results) -> str:
    summary, verdict = results.summary, results.summary.verdict
    word = {"pass": "✔ PASS", "fail": "✘ FAIL", "incomplete": "◐ INCOMPLETE", "error": "⚠ ERROR"}[verdict]
    stopped = results.run.stopped
    if verdict == "pass":
        why = "every MUST rule that applies ran and passed"
    elif verdict == "fail":
        why = f"{summary.must_failed} MUST check{'s' if summary.must_failed != 1 else ''} failed"
    elif verdict == "incomplete":
        why = f"{summary.untested} MUST rule{'s' if summary.untested != 1 else ''} not tested (listed first below)"
    elif stopped is not None:
        why = f"the run stopped: {stopped.message}"
    elif summary.total:
        why = f"no check reached a verdict: all {summary.total} ended in an error"
    else:
        why = "the run produced no checks"
    if verdict in ("fail", "error") and summary.untested:
        why += f"; {summary.untested} MUST rule{'s' if summary.untested != 1 else ''} not tested"
    if summary.should_failed:
        why += f"; {summary.should_failed} SHOULD check{'s' if summary.should_failed != 1 else ''} failed"
    if results.run.export_untested:
        why += f"; {PASSTHROUGH_NOTE}"
    return (
        f'<header class="top {verdict}"><div class="verdict" role="status">{word}</div>'
        f"<div><h1>osokit conformance report</h1>"
        f"<p>{_e(why)} · target <code>{_e(results.run.target)}</code></p></div></header>"
    )


def _untested(results: Results, anchor: dict[str, str]) -> str:
    """What was not tested, first: per rule, why, and what would make it testable."""
    if not results.untested:
        return ""
    items = []
    for u in results.untested:
        rule = f'<a href="#{anchor[u.rule]}"><code>{_e(u.rule)}</code></a>' if u.rule in anchor else _e(u.rule)
        checks = (
            '<br><span class="small">checks: ' + ", ".join(f"<code>{_e(c)}</code>" for c in u.checks) + "</span>"
            if u.checks
            else ""
        )
        items.append(
            f'<li>{_badge("untested")} {rule} <span class="level {u.level}">{u.level}</span> '
            f"{_e(u.reason)}<br><b>To test it:</b> {_e(u.remedy)}{checks}</li>"
        )
    must = sum(u.level == "MUST" for u in results.untested)
    return (
        f'<section id="untested"><h2>Not tested ({must} MUST, {len(results.untested) - must} SHOULD)</h2>'
        "<p>These rules apply to the roles and transfer kinds of this run, but no check of theirs ran and "
        "passed: the run cannot vouch for them.</p>"
        f"<ul>{''.join(items)}</ul></section>"
    )


def _run(results: Results) -> str:
    run = results.run
    facts: list[tuple[str, str]] = [
        ("Target", f"<code>{_e(run.target)}</code>"),
        ("Mutant", f"<code>{_e(run.mutant)}</code>" if run.mutant else "none (the target as is)"),
        ("Seed", f"<code>{run.seed}</code>"),
        ("Run", f"<code>{_e(run.id)}</code>"),
        ("Started", f"{_e(run.started)} → {_e(run.finished)} ({run.duration_s:,.1f} s)"),
        ("Roles", _e(", ".join(run.roles) or "none")),
        ("Transfers", _e(", ".join(run.transfers) or "none")),
        ("Adapter", f"<code>{_e(run.adapter)}</code>"),
    ]
    if run.prepare:
        facts.append(("Bron pupils", _e(PREPARE[run.prepare])))
    if run.simulator:
        facts.append(("Simulator", _pairs(run.simulator.items())))
    facts.append(("Versions", _pairs(run.versions.items())))
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return (
        f'<section id="run"><dl class="facts">{rows}</dl>'
        '<span class="label">Reproduce this run (same checks, same seed)</span>'
        f'<pre class="cmd"><code>{_e(run.command)}</code></pre></section>'
    )


def _pairs(items: Iterable[tuple[str, object]]) -> str:
    shown = []
    for key, value in sorted(items):
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        shown.append(f"<code>{_e(key)}</code> {_e(text)}")
    return " · ".join(shown) or "none"


def _toc(results: Results, failures: int) -> str:
    untested = f'<a href="#untested">Not tested ({len(results.untested)})</a>' if results.untested else ""
    return (
        '<nav class="toc">'
        f'{untested}<a href="#summary">Summary</a><a href="#rules">Rules ({len(results.rules)})</a>'
        f'<a href="#failures">Failures ({failures})</a><a href="#checks">All checks ({len(results.checks)})</a>'
        "</nav>"
    )


def _summary(results: Results) -> str:
    s = results.summary
    tiles = [
        ("total", s.total, "checks"),
        ("passed", s.passed, f"{SYMBOL['passed']} passed"),
        ("failed", s.failed, f"{SYMBOL['failed']} failed"),
        ("error", s.errors, f"{SYMBOL['error']} errors"),
        ("skipped", s.skipped, f"{SYMBOL['skipped']} skipped"),
        ("failed", s.must_failed, "MUST failed"),
        ("failed" if s.should_failed else "passed", s.should_failed, "SHOULD failed"),
        ("untested", s.untested, f"{SYMBOL['untested']} MUST rules not tested"),
    ]
    html_tiles = "".join(f'<div class="tile {cls}"><b>{n:,}</b><span>{label}</span></div>' for cls, n, label in tiles)
    by_rule = {k: sum(r.result == k for r in results.rules) for k in _RULE_ORDER}
    rule_line = (
        f"Rules: {len(results.rules)} in the catalogue, {by_rule['pass']} pass, {by_rule['fail']} fail, "
        f"{by_rule['error']} error, {by_rule['skip']} skipped, {by_rule['untested']} untested, "
        f"{by_rule['not-applicable']} not applicable to this run's transfer kinds."
    )
    return (
        f'<section id="summary"><h2>Summary</h2><div class="tiles">{html_tiles}</div>'
        f"{_bar(s.passed, s.failed, s.errors, s.skipped)}<p>{_e(rule_line)}</p></section>"
    )


def _bar(passed: int, failed: int, errors: int, skipped: int) -> str:
    """The outcomes as one stacked bar; SVG attributes, not inline styles, so the CSP stays strict."""
    total = passed + failed + errors + skipped
    if not total:
        return ""
    x, rects = 0.0, []
    for cls, n in (("passed", passed), ("failed", failed), ("error", errors), ("skipped", skipped)):
        width = 1000 * n / total
        if width:
            rects.append(f'<rect class="{cls}" x="{x:.2f}" y="0" width="{width:.2f}" height="14"/>')
        x += width
    label = f"{passed} passed, {failed} failed, {errors} errors, {skipped} skipped"
    return (
        f'<svg class="bar" viewBox="0 0 1000 14" preserveAspectRatio="none" role="img" aria-label="{label}">'
        f"{''.join(rects)}</svg>"
    )


def _badge(outcome: str) -> str:
    return f'<span class="badge {outcome}">{SYMBOL[outcome]} {outcome}</span>'


def _rules(results: Results, anchor: dict[str, str]) -> str:
    rows = []
    for level in ("MUST", "SHOULD"):
        rules = [r for r in results.rules if r.level == level]
        if not rules:
            continue
        rules.sort(key=lambda r: _RULE_ORDER[r.result])  # stable: failing first, else catalogue order
        failing = sum(r.result == "fail" for r in rules)
        rows.append(
            f'<tbody><tr class="group"><th colspan="6">{level} rules ({len(rules)}, {failing} failing)</th></tr>'
        )
        rows += [_rule_row(r, anchor[r.id]) for r in rules]
        rows.append("</tbody>")
    head = (
        "<thead><tr><th>Result</th><th>Rule</th><th>Level</th><th>Text</th><th>Source</th>"
        '<th class="num">Checks</th></tr></thead>'
    )
    return f'<section id="rules"><h2>Rules</h2><table id="rules-table">{head}{"".join(rows)}</table></section>'


def _rule_row(rule: RuleResult, anchor: str) -> str:
    roles = f'<br><span class="small">{_e(", ".join(rule.roles))}</span>' if rule.roles else ""
    return (
        f'<tr id="{anchor}"><td>{_badge(rule.result)}</td><td class="id"><code>{_e(rule.id)}</code>{roles}</td>'
        f'<td><span class="level {rule.level}">{rule.level}</span></td><td>{_e(rule.text)}</td>'
        f'<td class="small">{_e(rule.source)}</td><td class="num">{len(rule.checks)}</td></tr>'
    )


def _failures(results: Results, failing: list[int], anchor: dict[str, str]) -> str:
    if not failing:
        body = "<p>No check failed.</p>"
    else:
        body = (
            '<p class="small">MUST first. Each failure says what was expected and found, the command that re-runs '
            "exactly that check with the same seed, and the messages exchanged (click to open).</p>"
            + "".join(_failure(n, results.checks[n], results.rule(results.checks[n].rule), anchor) for n in failing)
        )
    return f'<section id="failures"><h2>Failures ({len(failing)})</h2>{body}</section>'


def _failure(n: int, check: Check, rule: RuleResult | None, anchor: dict[str, str]) -> str:
    rule_link = f'<a href="#{anchor[check.rule]}">{_e(check.rule)}</a>' if check.rule in anchor else _e(check.rule)
    meta = [f"role {_e(check.role)}" if check.role else "dossier", f"transfer {_e(check.transfer or 'any')}"]
    meta += [f"{check.duration_s:.2f} s", f'<a href="#c{n}">row in all checks</a>']
    rule_text = f'<p class="small">{_e(first_line(rule.text, 400))} <em>({_e(rule.source)})</em></p>' if rule else ""
    evidence = "".join(_evidence(e) for e in check.evidence)
    marked = sum(e.offending for e in check.evidence)
    shows = f", {marked} marked ▶ show the failure" if marked else ""
    evidence_block = (
        f'<span class="label">Evidence ({len(check.evidence)} message{"s" if len(check.evidence) != 1 else ""}'
        f"{shows})</span>{evidence}"
        if check.evidence
        else f'<span class="label">Evidence</span><p class="small">none recorded: {_e(check.no_evidence or "")}</p>'
    )
    said = expected_found(check)
    what = (
        '<dl class="said">' + "".join(f"<dt>{label}</dt><dd>{_e(text)}</dd>" for label, text in said) + "</dl>"
        if said
        else f'<pre class="message">{_e(check.message or "(no message)")}</pre>'
    )
    hint = f'<p class="small">{_e(MASKED_HINT)}</p>' if check.masked else ""
    return (
        f'<article class="failure{" is-error" if check.outcome == "error" else ""}" id="f{n}">'
        f'<h3>{_badge(check.outcome)} {rule_link} <span class="level {check.level}">{check.level}</span> '
        f"{_e(check.name)}</h3>"
        f'<div class="meta">{" · ".join(meta)}</div>{rule_text}'
        f"{what}"
        f'<span class="label">Check id</span><code>{_e(check.id)}</code>'
        '<span class="label">Re-run this check alone (same seed)</span>'
        f'<pre class="cmd"><code>{_e(check.rerun)}</code></pre>{hint}'
        f"{evidence_block}</article>"
    )


def _evidence(evidence: Evidence) -> str:
    summary = ['<span class="mark">▶ shows the failure</span>'] if evidence.offending else []
    summary.append(f'<span class="dir">{_e(evidence.direction)}</span>')
    summary += [_e(p) for p in (f"#{evidence.id}" if evidence.id is not None else None, evidence.operation) if p]
    summary.append(f"<code>{_e(evidence.endpoint)}</code>")
    if evidence.status is not None:
        summary.append(f"HTTP {evidence.status}")
    if evidence.fault:
        summary.append(f"fault <code>{_e(evidence.fault)}</code>")
    if evidence.vendor:
        summary.append(f"vendor {_e(evidence.vendor)}")
    if evidence.at:
        summary.append(f'<span class="small">{_e(evidence.at)}</span>')
    if evidence.body is None:
        body = '<p class="small">&nbsp;(no body recorded)</p>'
    else:
        text, cut = shorten(pretty_xml(printable(evidence.body)))
        note = f"\n… {cut:,} more characters in results.json" if cut else ""
        body = f'<pre class="body">{_e(text)}{_e(note)}</pre>'
    if evidence.headers:
        headers = "\n".join(f"{name}: {value}" for name, value in evidence.headers.items())
        body = f'<pre class="headers">{_e(headers)}</pre>{body}'
    marked = ' class="offending" open' if evidence.offending else ""
    return f"<details{marked}><summary>{' '.join(summary)}</summary>{body}</details>"


def _checks(results: Results, anchor: dict[str, str]) -> str:
    options = "".join(f'<option value="{o}">{SYMBOL[o]} {o}</option>' for o in ("passed", "failed", "error", "skipped"))
    controls = (
        '<div class="filter" id="filter" hidden>'
        '<input id="q" type="search" placeholder="filter by id, rule, role, transfer…" aria-label="filter checks">'
        f'<select id="o" aria-label="outcome"><option value="">all outcomes</option>{options}</select>'
        '<button type="button" id="expand">expand all evidence</button>'
        '<button type="button" id="collapse">collapse all evidence</button>'
        '<span id="n" class="small"></span></div>'
    )
    head = (
        "<thead><tr><th>Outcome</th><th>Check</th><th>Rule</th><th>Level</th><th>Role</th><th>Transfer</th>"
        '<th class="num">Duration</th></tr></thead>'
    )
    rows = "\n".join(_check_row(n, c, anchor) for n, c in enumerate(results.checks))
    return (
        f'<section id="checks"><h2>All checks ({len(results.checks)})</h2>{controls}'
        f'<table id="checks-table">{head}<tbody>\n{rows}\n</tbody></table></section>'
    )


def _check_row(n: int, check: Check, anchor: dict[str, str]) -> str:
    name = f'<a href="#f{n}">{_e(check.name)}</a>' if check.failing else _e(check.name)
    note = f'<br><span class="small">{_e(first_line(check.message))}</span>' if check.message else ""
    rule = f'<a href="#{anchor[check.rule]}">{_e(check.rule)}</a>' if check.rule in anchor else _e(check.rule)
    return (
        f'<tr id="c{n}" data-outcome="{check.outcome}"><td>{_badge(check.outcome)}</td>'
        f'<td>{name}<br><code class="small">{_e(check.id)}</code>{note}</td><td class="id">{rule}</td>'
        f'<td><span class="level {check.level}">{check.level}</span></td><td>{_e(check.role or "—")}</td>'
        f'<td>{_e(check.transfer or "—")}</td><td class="num">{check.duration_s:.3f} s</td></tr>'
    )
