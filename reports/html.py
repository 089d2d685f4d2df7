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

The page is one Jinja2 template (``reports/templates/report.html``) in English or Dutch: its words
come from :mod:`reports.i18n`; this module only arranges the results for it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from pathlib import Path

import jinja2
from markupsafe import Markup

from reports.i18n import DEFAULT, Words, words
from reports.results import SCHEMA_VERSION, Results, RuleResult
from reports.text import expected_found, first_line, pretty_xml, printable, shorten

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
  var query = document.getElementById("q"), outcome = document.getElementById("o"), said = bar.dataset.shown;
  var shown = document.getElementById("n");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#checks-table tbody tr"));
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  function apply() {
    var q = query.value.trim().toLowerCase(), o = outcome.value, k = 0;
    rows.forEach(function (r, i) {
      var show = (!o || r.getAttribute("data-outcome") === o) && (!q || texts[i].indexOf(q) >= 0);
      r.hidden = !show; if (show) k++;
    });
    shown.textContent = said.replace("{shown}", k).replace("{total}", rows.length);
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


def _shown(value: object) -> Markup:
    """Every value the template prints: made printable, then escaped for text and attributes alike
    (html.escape, quotes too); markup the template made itself (its macros) passes as it is."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(printable("" if value is None else str(value)), quote=True))


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    finalize=_shown,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def html_report(results: Results, lang: str = DEFAULT) -> str:
    """The report page for ``results`` in ``lang`` (en or nl): one string of HTML, everything inline."""
    w = words(lang)
    s = results.summary
    failing = [n for n, c in enumerate(results.checks) if c.failing]
    failing.sort(key=lambda n: results.checks[n].level != "MUST")
    csp = (
        f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return ENV.get_template("report.html").render(
        w=w,
        r=results,
        s=s,
        why=_why(results, w),
        csp=csp,
        css=Markup(CSS),
        script=Markup(SCRIPT),
        symbol=SYMBOL,
        schema=_read_as(results),
        anchor={r.id: f"r{n}" for n, r in enumerate(results.rules)},
        simulator=_pairs(results.run.simulator),
        versions=_pairs(results.run.versions),
        tiles=[
            ("total", s.total, w.t("tile.total")),
            ("passed", s.passed, f"{SYMBOL['passed']} {w.t('tile.passed')}"),
            ("failed", s.failed, f"{SYMBOL['failed']} {w.t('tile.failed')}"),
            ("error", s.errors, f"{SYMBOL['error']} {w.t('tile.error')}"),
            ("skipped", s.skipped, f"{SYMBOL['skipped']} {w.t('tile.skipped')}"),
            ("failed", s.must_failed, w.t("tile.must_failed")),
            ("failed" if s.should_failed else "passed", s.should_failed, w.t("tile.should_failed")),
            ("untested", s.untested, f"{SYMBOL['untested']} {w.t('tile.untested')}"),
        ],
        bar=_bar(s.passed, s.failed, s.errors, s.skipped),
        by_rule={k.replace("-", "_"): sum(r.result == k for r in results.rules) for k in _RULE_ORDER},
        rule_groups=_rule_groups(results.rules),
        failing=[(n, results.checks[n], results.rule(results.checks[n].rule)) for n in failing],
        first_line=first_line,
        said=expected_found,
        body=lambda text: shorten(pretty_xml(printable(text))),
    )


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def _read_as(results: Results) -> str:
    if results.schema == SCHEMA_VERSION:
        return SCHEMA_VERSION
    return f"{results.schema}, judged again as {SCHEMA_VERSION}"


def _why(results: Results, w: Words) -> str:
    summary, verdict, stopped = results.summary, results.summary.verdict, results.run.stopped
    if verdict == "pass":
        why = w.t("why.pass")
    elif verdict == "fail":
        why = w.t("why.fail", n=summary.must_failed)
    elif verdict == "incomplete":
        why = w.t("why.incomplete", n=summary.untested)
    elif stopped is not None:
        why = w.t("why.stopped", message=stopped.message)
    elif summary.total:
        why = w.t("why.error", n=summary.total)
    else:
        why = w.t("why.empty")
    if verdict in ("fail", "error") and summary.untested:
        why += w.t("why.untested", n=summary.untested)
    if summary.should_failed:
        why += w.t("why.should", n=summary.should_failed)
    if results.run.export_untested:
        why += w.t("why.passthrough")
    return why


def _pairs(items: Mapping[str, object]) -> list[tuple[str, str]]:
    """Key and value as results.json has them (null, true, false), sorted by key."""
    return [
        (key, "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in sorted(items.items())
    ]


def _bar(passed: int, failed: int, errors: int, skipped: int) -> list[tuple[str, float, float]]:
    """The outcomes as one stacked bar of (class, x, width) in a 1000-wide box; SVG attributes, not inline
    styles, so the CSP stays strict. Empty when there is nothing to show."""
    total = passed + failed + errors + skipped
    x, rects = 0.0, []
    for cls, n in (("passed", passed), ("failed", failed), ("error", errors), ("skipped", skipped)):
        width = 1000 * n / total if total else 0
        if width:
            rects.append((cls, x, width))
        x += width
    return rects


def _rule_groups(rules: tuple[RuleResult, ...]) -> list[tuple[str, list[RuleResult]]]:
    """MUST rules, then SHOULD rules; in each, failing first, else catalogue order."""
    groups = []
    for level in ("MUST", "SHOULD"):
        chosen = sorted((r for r in rules if r.level == level), key=lambda r: _RULE_ORDER[r.result])
        if chosen:
            groups.append((level, chosen))
    return groups
