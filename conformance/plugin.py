"""The conformance suite as a pytest plugin.

Options (``--oso-target``, ``--oso-role``, ..., declared once in :mod:`conformance.options`), the
``oso_rule`` marker that ties each check to the rule it verifies, the session-wide
:class:`~conformance.harness.Harness`, and the hooks that give every report its rule, role,
transfer, its failure in words (expected, found, where), evidence (the messages the check caused,
the LAS's own first, those that show the failure marked) and a command to re-run it.
``--oso-results FILE`` writes the run as ``results.json`` (schema osokit-results/2), with the
verdict and what was not tested.

The run stops early, with the reason in the results, when the LAS's control API stops answering
(:class:`~conformance.adapter.Unreachable`), when the run's world cannot be set up, or when it
passes its ``--oso-deadline``.

Run it as ``osokit conformance run ...`` or as plain pytest:
``pytest --pyargs conformance.scenarios --oso-target reference``.
"""

from __future__ import annotations

import platform
import shlex
import time
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import pytest

from conformance.adapter import AdapterError, NotSupported, Unreachable
from conformance.catalogue import Rule, catalogue
from conformance.expect import CheckFailed, NotTestable
from conformance.harness import Harness
from conformance.options import RunOptions
from reports.results import (
    OPEN,
    ROLES,
    TRANSFERS,
    Check,
    Results,
    RuleResult,
    Run,
    Stopped,
    StopReason,
    Summary,
    Untested,
    one_of,
    rule_outcome,
)
from simulator.store import mask_pgns

EVIDENCE_MESSAGES, EVIDENCE_CHARS = 40, 20_000
_RESULTS = pytest.StashKey[dict[str, dict[str, Any]]]()  # by check id
_REMEDIES = pytest.StashKey[dict[str, str]]()  # check id -> what would make the skipped or errored check testable
_SELECTED = pytest.StashKey[list[dict[str, Any]]]()  # the checks selected for the run, as skipped ones
_STOPPED = pytest.StashKey[list[Stopped]]()  # why the run stopped early (at most one)
_STARTED = pytest.StashKey[tuple[float, float]]()  # wall clock and monotonic clock at the start
_OPTIONS = pytest.StashKey[RunOptions]()
_MARK = pytest.StashKey[int]()
_FIXTURE_WINDOWS = pytest.StashKey[dict[str, tuple[int, int]]]()  # shared fixture -> the messages of its set-up
_WINDOW_ROWS = pytest.StashKey[dict[tuple[int, int], list[dict[str, Any]]]]()  # those messages, read once


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("osokit", "OSO conformance (osokit)")
    RunOptions.add_arguments(group.addoption, pytest=True)
    group.addoption("--oso-results", default=None, help="write the results as JSON (osokit-results/2) here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oso_rule(id): the catalogue rule this check verifies")
    config.addinivalue_line("markers", "oso_role(role): the role (doel or bron) a check module tests")
    config.stash[_RESULTS] = {}
    config.stash[_REMEDIES] = {}
    config.stash[_SELECTED] = []
    config.stash[_STOPPED] = []
    config.stash[_STARTED] = (time.time(), time.monotonic())
    config.stash[_FIXTURE_WINDOWS] = {}
    config.stash[_WINDOW_ROWS] = {}


def pytest_report_header(config: pytest.Config) -> str | None:
    """What a conformance run checks, first thing in its output (as pytest-randomly shows its seed)."""
    if not any(str(arg).startswith("--oso-") for arg in config.invocation_params.args):
        return None  # not a conformance run (osokit's own tests load the plugin too)
    return f"osokit conformance: target {config.getoption('--oso-target')}, seed {config.getoption('--oso-seed')}"


def options(config: pytest.Config) -> RunOptions:
    if _OPTIONS not in config.stash:
        config.stash[_OPTIONS] = RunOptions.from_values(config.getoption, pytest=True)
    return config.stash[_OPTIONS]


def _marker_arg(item: pytest.Item, name: str) -> str | None:
    marker = item.get_closest_marker(name)
    return str(marker.args[0]) if marker and marker.args else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the checks of the chosen roles and transfers; every check must name a known rule."""
    if not any(item.get_closest_marker("oso_role") for item in items):
        return  # not a conformance run
    o = options(config)
    if (unfit := o.unfit()) is not None:
        raise pytest.UsageError(unfit)
    rules = catalogue()
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        rule = _marker_arg(item, "oso_rule")
        if rule not in rules:
            raise pytest.UsageError(f"{item.nodeid}: oso_rule({rule!r}) is not in the rules catalogue")
        transfer = _transfer(item)
        wanted = _marker_arg(item, "oso_role") in o.roles and (transfer is None or transfer in o.transfers)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember every check selected (after all deselection), so one that never ran is reported as not run."""
    o = options(session.config)
    for item in session.items:
        rule_id = _marker_arg(item, "oso_rule")
        if rule_id in catalogue():  # (an unknown one has stopped the run as a usage error)
            session.config.stash[_SELECTED].append(
                {
                    "id": item.nodeid,
                    "name": item.name,
                    "rule": rule_id,
                    "level": catalogue()[rule_id].level,
                    "role": _marker_arg(item, "oso_role"),
                    "transfer": _transfer(item),
                    "outcome": "skipped",
                    "duration_s": 0.0,
                    "rerun": o.rerun(item.nodeid),
                }
            )


def _transfer(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("transfer") if callspec else None
    return str(value) if value is not None else None


def _stop(session: pytest.Session, why: StopReason, message: str) -> None:
    """End the run after the current check, saying why (once: the first reason is the story)."""
    stopped = session.config.stash[_STOPPED]
    if not stopped:
        stopped.append(Stopped(why=why, message=message))
        session.shouldstop = message


@pytest.fixture(scope="session")
def oso(request: pytest.FixtureRequest) -> Any:
    """The running harness: the simulator, the adapter, the suite's own SOAP client."""
    harness = Harness(options(request.config))
    harness.own_workdir = not harness.options.keep
    if not harness.own_workdir:
        print(f"\nkeeping the run's simulator data and test keys in {harness.workdir}")
    try:
        harness.start()
    except Exception as exc:
        harness.stop()
        why: StopReason = "unreachable" if isinstance(exc, Unreachable) else "setup"
        _stop(request.session, why, f"the run could not be set up: {exc}")
        raise
    yield harness
    harness.stop()


@pytest.fixture(autouse=True)
def _window(request: pytest.FixtureRequest) -> Any:
    """Each check starts from the same clock and no faults, and knows which messages it caused."""
    if "oso" not in request.fixturenames:
        yield None
        return
    harness: Harness = request.getfixturevalue("oso")
    harness.reset()
    request.node.stash[_MARK] = harness.mark()
    yield None


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
    """A shared fixture that makes the LAS act (the bron's dossiers, fetched once per module) keeps the
    window of messages it caused: they are evidence of every check that uses it."""
    if fixturedef.scope == "function" or "oso" not in fixturedef.argnames:
        yield
        return
    harness: Harness = request.getfixturevalue("oso")
    before = harness.mark()
    yield
    request.config.stash[_FIXTURE_WINDOWS][fixturedef.argname] = (before, harness.mark())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """After each check: past the run's deadline, the checks still to come are not started."""
    yield
    if nextitem is None or _marker_arg(item, "oso_rule") is None:
        return
    o = options(item.config)
    if time.monotonic() - item.config.stash[_STARTED][1] > o.deadline:
        _stop(item.session, "deadline", f"the run passed its deadline of {o.deadline:g} s (--deadline)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """One result per check over its three phases: the call's outcome, unless setup or teardown erred."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    rule_id = _marker_arg(item, "oso_rule")
    if rule_id is None or (report.passed and report.when != "call"):
        return
    checks = item.config.stash[_RESULTS]
    if item.nodeid in checks and checks[item.nodeid]["outcome"] != "passed":
        return  # the first thing that went wrong is the story
    rule = catalogue()[rule_id]
    o = options(item.config)
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, Unreachable):
        _stop(item.session, "unreachable", f"the LAS's control API stopped answering: {exc}")
    transfer, role = _transfer(item), _marker_arg(item, "oso_role")
    rerun = o.rerun(item.nodeid)
    for key, value in (
        ("rule", rule_id),
        ("level", rule.level),
        ("role", role or ""),
        ("transfer", transfer or ""),
        ("rerun", rerun),
    ):
        if (key, value) not in item.user_properties:
            item.user_properties.append((key, value))
    if report.passed:
        outcome_name = "passed"
    elif report.skipped:
        outcome_name = "skipped"
    elif report.when != "call" or isinstance(exc, AdapterError):
        outcome_name = "error"  # the check could not reach a verdict: set-up, or the control API failed
    else:
        outcome_name = "failed"
    said = _said(report, exc, outcome_name)
    if outcome_name in ("skipped", "error"):
        item.config.stash[_REMEDIES][item.nodeid] = _remedy(exc, o)
    evidence, no_evidence = ([], None) if report.passed else _evidence(item, o, _offending(exc))
    masked = any([e.pop("masked") for e in evidence])
    for key, text in said.items():
        if text and not o.show_pgn:
            said[key] = _mask(text)
            masked |= said[key] != text
    duration = report.duration + (checks[item.nodeid]["duration_s"] if item.nodeid in checks else 0)
    checks[item.nodeid] = {
        "id": item.nodeid,
        "name": item.name,
        "rule": rule_id,
        "level": rule.level,
        "role": role,
        "transfer": transfer,
        "outcome": outcome_name,
        "duration_s": round(duration, 4),
        **{key: said.get(key) for key in ("message", "expected", "found", "where")},
        "masked": masked,
        "no_evidence": no_evidence if outcome_name in ("failed", "error") else None,
        "evidence": evidence,
        "rerun": rerun,
    }


def _said(report: pytest.TestReport, exc: BaseException | None, outcome: str) -> dict[str, str | None]:
    """The check's message, and for a failure expected, found and where, in words."""
    if outcome == "passed":
        return {}
    if isinstance(exc, CheckFailed):
        return {"message": exc.text, "expected": exc.expected, "found": exc.found, "where": exc.where}
    if isinstance(exc, NotTestable):
        return {"message": exc.reason}
    if outcome == "skipped":
        text = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return {"message": text.removeprefix("Skipped: ")}
    if isinstance(exc, AssertionError) and exc.args:
        # a plain assert: its own message, without pytest's rewritten explanation ("assert 2 == 1 ...")
        return {"message": str(exc.args[0]).split("\nassert ")[0][:4000]}
    if isinstance(exc, AdapterError):
        return {"message": str(exc)[:4000]}
    if exc is not None and outcome == "failed":
        return {"message": f"the check could not go on: {type(exc).__name__}: {exc}"[:4000]}
    crash = getattr(report.longrepr, "reprcrash", None)
    return {"message": (crash.message if crash is not None else str(exc or report.longrepr))[:4000]}


def _remedy(exc: BaseException | None, o: RunOptions) -> str:
    """What would make a skipped or errored check testable."""
    if isinstance(exc, NotTestable):
        return exc.remedy
    if isinstance(exc, NotSupported) or isinstance(getattr(exc, "__context__", None), NotSupported):
        return (exc if isinstance(exc, NotSupported) else exc.__context__).remedy  # type: ignore[union-attr]
    if isinstance(exc, AdapterError):
        return f"make the LAS's control API answer every call, within --timeout ({o.timeout:g} s), and run again"
    return "remove the cause the reason gives and run again"


def _offending(exc: BaseException | None) -> set[int]:
    return set(exc.messages) if isinstance(exc, CheckFailed) else set()


def _mask(text: str) -> str:
    return mask_pgns(text.encode()).decode()


def _evidence(item: pytest.Item, o: RunOptions, offending: set[int]) -> tuple[list[dict[str, Any]], str | None]:
    """The messages of the check's window and of the shared fixtures it uses, or why there are none: those
    that show the failure and the LAS's own exchanges first, then the rest, at most EVIDENCE_MESSAGES."""
    mark = item.stash.get(_MARK, None)
    harness = getattr(item, "funcargs", {}).get("oso")
    if mark is None or harness is None:
        return [], "the check ended before the simulator was running, so no message was exchanged"
    windows, read = item.config.stash[_FIXTURE_WINDOWS], item.config.stash[_WINDOW_ROWS]
    shared = [windows[name] for name in getattr(item, "fixturenames", ()) if name in windows]
    try:
        for before, after in shared:
            if (before, after) not in read:
                read[(before, after)] = [m for m in harness.messages(before) if m["id"] <= after]
        rows = [m for window in shared for m in read[window]]
        rows = sorted({m["id"]: m for m in [*rows, *harness.messages(mark)]}.values(), key=lambda m: m["id"])
    except Exception as exc:  # noqa: BLE001 - evidence is best effort; the outcome stands without it
        return [], f"the simulator's message log could not be read: {exc}"
    if not rows:
        return [], "no message was exchanged in this check before it ended"
    chosen = evidence_rows(rows, offending, _own_exchanges(rows, harness))
    return [_evidence_item(m, o, m["exchange"] in offending) for m in chosen], None


def evidence_rows(rows: list[dict[str, Any]], *first: set[int], limit: int = EVIDENCE_MESSAGES) -> list[dict[str, Any]]:
    """At most ``limit`` logged messages, in log order: those of the exchanges in ``first`` (in the order of
    the sets given) before the others, so a long window never pushes out what matters."""
    order = [m["id"] for exchanges in first for m in rows if m["exchange"] in exchanges] + [m["id"] for m in rows]
    keep = set(list(dict.fromkeys(order))[:limit])
    return [m for m in rows if m["id"] in keep]


def _own_exchanges(rows: list[dict[str, Any]], harness: Harness) -> set[int]:
    """The exchanges the LAS under test took part in: sent by it, or sent to one of its aanleverpunten."""
    vendor = getattr(harness, "vendor", None)
    if vendor is None:
        return set()
    schools = [*vendor.doel.values(), *vendor.bron.values()]
    marks = {s.routeringskenmerk for s in schools}
    urls = tuple(s.url for s in schools)
    return {
        m["exchange"]
        for m in rows
        if m["vendor"] == vendor.vendor
        or m["endpoint"].startswith(urls)
        or any(rk in (m.get("body") or "") for rk in marks)
    }


def _evidence_item(m: dict[str, Any], o: RunOptions, offending: bool) -> dict[str, Any]:
    body = m.get("body") or ""
    headers = dict(m.get("headers") or {}) or None
    masked = False
    if not o.show_pgn:
        hidden = _mask(body)
        masked = hidden != body
        body = hidden
        if headers:
            shown = {k: _mask(str(v)) for k, v in headers.items()}
            masked |= shown != headers
            headers = shown
    return {
        "id": m["id"],
        "at": m["at"],
        "direction": m["direction"],
        "endpoint": m["endpoint"],
        "operation": m["operation"],
        "vendor": m["vendor"],
        "status": m["http_status"],
        "fault": m["fault"],
        "headers": {k: str(v) for k, v in headers.items()} if headers else None,
        "offending": offending,
        "body": body[:EVIDENCE_CHARS],
        "masked": masked,
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--oso-results", None)
    if path:
        results(session.config).dump(path)


def results(config: pytest.Config) -> Results:
    """The run as osokit-results/2: the run, a summary with the verdict, what was not tested and why,
    every rule of the chosen roles with its coverage, every check."""
    o = options(config)
    stopped = config.stash[_STOPPED][0] if config.stash[_STOPPED] else None
    ran = config.stash[_RESULTS]
    not_run = [c for c in config.stash[_SELECTED] if c["id"] not in ran]
    why = stopped.message if stopped else "the run ended before this check"
    for c in not_run:
        config.stash[_REMEDIES][c["id"]] = {
            "deadline": f"give the run more time (--deadline, now {o.deadline:g} s) or make the LAS answer faster",
            "unreachable": "make the LAS's control API answer and run again",
        }.get(stopped.why if stopped else "", "fix the error that ended the run and run again")
    checks = [Check.from_dict(c) for c in [*ran.values(), *({**c, "message": f"not run: {why}"} for c in not_run)]]
    by_rule: dict[str, list[Check]] = {}
    for check in checks:
        by_rule.setdefault(check.rule, []).append(check)
    rules, untested = [], []
    for rule in catalogue().values():
        if not set(rule.roles) & set(o.roles):
            continue
        own = by_rule.get(rule.id, [])
        applies = rule.applies(o.roles, o.transfers)
        result = rule_outcome(own) if own or applies else "not-applicable"
        rules.append(
            RuleResult(
                id=rule.id,
                text=rule.text,
                source=rule.source,
                level=rule.level,
                roles=rule.roles,
                checks=tuple(c.id for c in own),
                result=result,
            )
        )
        if result in OPEN:
            untested.append(_not_tested(rule, own, config))
    untested.sort(key=lambda u: u.level != "MUST")
    started, finished = config.stash[_STARTED][0], time.time()
    run = Run(
        id=str(uuid.uuid4()),
        started=datetime.fromtimestamp(started, UTC).isoformat(),
        finished=datetime.fromtimestamp(finished, UTC).isoformat(),
        duration_s=round(finished - started, 3),
        seed=o.seed,
        target=str(o.target),
        mutant=o.target.mutant,
        roles=tuple(one_of(ROLES, r) for r in o.roles),
        transfers=tuple(one_of(TRANSFERS, k) for k in o.transfers),
        adapter=o.adapter or "http",
        prepare=o.prepare.value,
        simulator={"scenario": "default", "zoeksleutel": "hmac-sha256", "tls": o.secure},
        versions={
            "osokit": version("osokit"),
            "python": platform.python_version(),
            "lxml": version("lxml"),
            "pytest": version("pytest"),
            "faker": version("faker"),
            "gegevensset": "2019.1",
        },
        command=o.command or "pytest " + shlex.join(config.invocation_params.args),
        stopped=stopped,
    )
    return Results(
        run=run,
        summary=Summary.of(checks, untested, stopped),
        untested=tuple(untested),
        rules=tuple(rules),
        checks=tuple(checks),
    )


def _not_tested(rule: Rule, own: list[Check], config: pytest.Config) -> Untested:
    """Why a rule that applies was not tested, and what would make it testable."""
    remedies = config.stash[_REMEDIES]
    open_checks = [c for c in own if c.outcome in ("skipped", "error")]
    if open_checks:
        reasons = [
            (c.message or "skipped") if c.outcome == "skipped" else f"the check could not reach a verdict: {c.message}"
            for c in open_checks
        ]
        remedy = "; ".join(dict.fromkeys(remedies.get(c.id, "fix what the message says") for c in open_checks))
        reason = "; ".join(dict.fromkeys(reasons))
    elif _narrowed(config):
        reason = "not selected: the run was limited to some checks (--only)"
        remedy = "run without --only"
    else:
        reason = "osokit has no check for this rule yet"
        remedy = "none in this osokit version: the verdict cannot be PASS until osokit checks it"
    return Untested(
        rule=rule.id, level=rule.level, reason=reason, remedy=remedy, checks=tuple(c.id for c in open_checks)
    )


def _narrowed(config: pytest.Config) -> bool:
    """The run was given single checks (``path::test``) or a -k/-m selection, not the whole suite."""
    return any("::" in str(a) for a in config.args) or bool(config.getoption("keyword") or config.getoption("markexpr"))
