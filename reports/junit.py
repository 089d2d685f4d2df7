"""Results as JUnit XML, the one test-report format every CI reads (GitLab, Jenkins, GitHub reporters).

The pytest run writes its own junitxml too; this renderer regenerates an equivalent file from
``results.json`` alone (``osokit report junit``), so a vendor can feed an old run to CI, and the
CI view is named by rules rather than by pytest functions:

- one ``<testsuite name="osokit conformance">`` per run, inside ``<testsuites>``;
- one ``<testcase>`` per check, ``classname="osokit.<role or dossier>.<rule id, dots as _>"`` (CI
  tools split classname on dots into package and class, so the rule id must not add levels) and
  ``name="<rule id>: <check name>"``, so the rule is visible wherever only the name is shown;
- ``<properties>`` on the suite (seed, target, versions, the reproduce command) and on each
  testcase (rule, level, role, transfer, rerun). Testcase properties are what pytest's "xunit1"
  family writes; Jenkins and the GitHub reporters read them, GitLab ignores them harmlessly.

SHOULD checks that fail are ``<failure>`` too (their ``type`` says SHOULD): Jenkins then marks a
build unstable, which is the right signal for a recommendation that is not met.

What was not tested is never shown green: a rule that applies but had no check that ran gets a
``<testcase>`` of its own, ``<skipped>`` with the reason and what would make it testable, as do
skipped checks; CI then shows "250 tests, 4 skipped", not "250/250 passed".
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC

from lxml import etree

from reports.results import Check, Results, RuleResult, Run, Untested
from reports.text import MASKED_HINT, expected_found, first_line, printable

SUITE_NAME = "osokit conformance"


def junit_xml(results: Results) -> bytes:
    """The JUnit XML document for ``results``: UTF-8 bytes with an XML declaration."""
    counts = Counter(c.outcome for c in results.checks)
    rules = {r.id: r for r in results.rules}
    without_checks = [u for u in results.untested if not u.checks]
    totals = {
        "tests": str(len(results.checks) + len(without_checks)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + len(without_checks)),
        "time": _seconds(results.run.duration_s),
    }
    attrs = {"name": SUITE_NAME, **totals}  # built apart: lxml's stubs type an inline attribute dict too narrowly
    root = etree.Element("testsuites", attrs)
    attrs = {**attrs, "timestamp": _timestamp(results.run), "id": "0"}
    suite = etree.SubElement(root, "testsuite", attrs)
    _properties(suite, _suite_properties(results))
    for item in without_checks:
        suite.append(_untested_case(item, rules.get(item.rule), results.run))
    untested = {c: u for u in results.untested for c in u.checks}
    for check, name in zip(results.checks, _unique_names(results.checks), strict=True):
        suite.append(_testcase(check, name, rules.get(check.rule), untested.get(check.id)))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def classname(check: Check) -> str:
    """``osokit.<role or dossier>.<rule id with dots as underscores>``."""
    return f"osokit.{check.role or 'dossier'}.{check.rule.replace('.', '_')}"


def _unique_names(checks: tuple[Check, ...]) -> list[str]:
    """``"<rule>: <name>"``, with the check id added where two checks would share classname and name."""
    names = [f"{c.rule}: {c.name}" for c in checks]
    seen = Counter((classname(c), n) for c, n in zip(checks, names, strict=True))
    return [n if seen[(classname(c), n)] == 1 else f"{n} [{c.id}]" for c, n in zip(checks, names, strict=True)]


def not_tested(item: Untested) -> str:
    """One line: why a rule was not tested and what would make it testable."""
    return f"[{item.level}] not tested: {item.reason}; to test it: {item.remedy}"


def _untested_case(item: Untested, rule: RuleResult | None, run: Run) -> etree._Element:
    """A rule that applies but had no check that ran: a skipped testcase, so CI counts it as not tested."""
    roles: list[str] = [r for r in (rule.roles if rule else ()) if r in run.roles] or ["dossier"]
    case = etree.Element(
        "testcase",
        {
            "classname": printable(f"osokit.{roles[0]}.{item.rule.replace('.', '_')}"),
            "name": printable(f"{item.rule}: not tested"),
            "time": _seconds(0),
        },
    )
    _properties(case, [("rule", item.rule), ("level", item.level), ("remedy", item.remedy)])
    etree.SubElement(case, "skipped", {"message": printable(not_tested(item))})
    return case


def _testcase(check: Check, name: str, rule: RuleResult | None, untested: Untested | None = None) -> etree._Element:
    case = etree.Element(
        "testcase",
        {"classname": printable(classname(check)), "name": printable(name), "time": _seconds(check.duration_s)},
    )
    _properties(
        case,
        [
            ("check", check.id),
            ("rule", check.rule),
            ("level", check.level),
            ("role", check.role or ""),
            ("transfer", check.transfer or ""),
            ("rerun", check.rerun),
        ],
    )
    if check.outcome == "failed":
        outcome = etree.SubElement(case, "failure", {"type": f"osokit.{check.level}", "message": _message(check)})
        outcome.text = printable(_details(check, rule))
    elif check.outcome == "error":
        outcome = etree.SubElement(case, "error", {"type": "osokit.error", "message": _message(check)})
        outcome.text = printable(_details(check, rule))
    elif check.outcome == "skipped":
        message = not_tested(untested) if untested else f"[{check.level}] {check.message or 'skipped'}"
        etree.SubElement(case, "skipped", {"message": printable(message)})
    return case


def _message(check: Check) -> str:
    return printable(f"[{check.level}] {check.message or check.outcome}")


def _details(check: Check, rule: RuleResult | None) -> str:
    """The failure's text: message, rule, how to re-run it, and one line per evidence message."""
    said = expected_found(check)
    lines = [f"{key + ':':<9} {value}" for key, value in said] or [check.message or f"check {check.outcome}"]
    lines.append("")
    if rule is not None:
        lines.append(f"rule:  {rule.id} ({rule.level}, {rule.source}): {first_line(rule.text, 300)}")
    else:
        lines.append(f"rule:  {check.rule} ({check.level})")
    lines += [f"check: {check.id}", f"rerun: {check.rerun}"]
    if check.masked:
        lines.append(f"       {MASKED_HINT}")
    if check.evidence:
        marked = any(e.offending for e in check.evidence)
        lines += ["", "evidence (>> marks the messages that show the failure):" if marked else "evidence:"]
        lines += [f"  {e.summary()}" for e in check.evidence]
    elif check.no_evidence:
        lines += ["", f"evidence: none ({check.no_evidence})"]
    return "\n".join(lines) + "\n"


def _suite_properties(results: Results) -> list[tuple[str, str]]:
    run = results.run
    props = [
        ("run", run.id),
        ("seed", str(run.seed)),
        ("target", run.target),
        ("mutant", run.mutant or ""),
        ("adapter", run.adapter),
        ("roles", ",".join(run.roles)),
        ("transfers", ",".join(run.transfers)),
        ("verdict", results.summary.verdict),
        ("command", run.command),
    ]
    props += [(f"version.{name}", version) for name, version in sorted(run.versions.items())]
    return props


def _properties(parent: etree._Element, props: list[tuple[str, str]]) -> None:
    element = etree.SubElement(parent, "properties")
    for name, value in props:
        etree.SubElement(element, "property", {"name": printable(name), "value": printable(value)})


def _timestamp(run: Run) -> str:
    """The start in UTC without offset: the strictest JUnit schemas (Ant's) allow no time zone."""
    started = run.started_at
    if started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    return started.isoformat(timespec="seconds")


def _seconds(value: float) -> str:
    return f"{value:.3f}"
