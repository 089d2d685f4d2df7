"""The conformance suite as a pytest plugin.

Options (``--oso-target``, ``--oso-role``, ...), the ``oso_rule`` marker that ties each check to the
rule it verifies, the session-wide :class:`~conformance.harness.Harness`, and the hooks that give
every report its rule, role, transfer, evidence (the messages the check caused) and a command to
re-run it. ``--oso-results FILE`` writes the run as ``results.json`` (schema osokit-results/1).

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

from conformance.catalogue import catalogue
from conformance.harness import ROLES, TRANSFERS, Harness, Options
from reports.results import Check, Results, RuleResult, Run, Summary, rule_outcome
from simulator.store import mask_pgns

EVIDENCE_MESSAGES, EVIDENCE_CHARS = 40, 20_000
_RESULTS = pytest.StashKey[dict[str, dict[str, Any]]]()  # by check id
_STARTED = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("osokit", "OSO conformance (osokit)")
    group.addoption(
        "--oso-target",
        default="reference",
        help="the LAS under test: reference, mutant:<name>, or the URL of its control API",
    )
    group.addoption("--oso-role", default="both", choices=["doel", "bron", "both"], help="which role to check")
    group.addoption("--oso-transfer", default=",".join(TRANSFERS), help="transfer kinds, e.g. popo,povo,vovo")
    group.addoption("--oso-adapter", default=None, help="http (default), manual:INFO.json, or package.module:Class")
    group.addoption("--oso-seed", type=int, default=0, help="seed for the dossiers the suite prepares")
    group.addoption("--oso-results", default=None, help="write the results as JSON (osokit-results/1) here")
    group.addoption("--oso-show-pgn", action="store_true", help="keep pupil numbers in clear in the evidence")
    group.addoption(
        "--oso-tls",
        default="auto",
        choices=["auto", "on", "off"],
        help="mutual TLS between the parties (auto: on for hosted targets, off for a URL)",
    )
    group.addoption(
        "--oso-keep",
        action="store_true",
        help="keep the run's simulator data and test keys (the folder is printed) instead of removing them",
    )
    group.addoption("--oso-command", default=None, help="the osokit command that started the run (set by osokit)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oso_rule(id): the catalogue rule this check verifies")
    config.addinivalue_line("markers", "oso_role(role): the role (doel or bron) a check module tests")
    config.stash[_RESULTS] = {}
    config.stash[_STARTED] = time.time()


def pytest_report_header(config: pytest.Config) -> str | None:
    """What a conformance run checks, first thing in its output (as pytest-randomly shows its seed)."""
    if not any(str(arg).startswith("--oso-") for arg in config.invocation_params.args):
        return None  # not a conformance run (osokit's own tests load the plugin too)
    return f"osokit conformance: target {config.getoption('--oso-target')}, seed {config.getoption('--oso-seed')}"


def options(config: pytest.Config) -> Options:
    role = config.getoption("--oso-role")
    transfers = tuple(x.strip() for x in config.getoption("--oso-transfer").split(",") if x.strip())
    unknown = set(transfers) - set(TRANSFERS)
    if unknown:
        raise pytest.UsageError(
            f"--oso-transfer: unknown transfer(s) {', '.join(sorted(unknown))}; choose from {', '.join(TRANSFERS)}"
        )
    return Options(
        target=config.getoption("--oso-target"),
        roles=ROLES if role == "both" else (role,),
        transfers=transfers,
        seed=config.getoption("--oso-seed"),
        adapter=config.getoption("--oso-adapter"),
        show_pgn=config.getoption("--oso-show-pgn"),
        tls={"auto": None, "on": True, "off": False}[config.getoption("--oso-tls")],
    )


def _marker_arg(item: pytest.Item, name: str) -> str | None:
    marker = item.get_closest_marker(name)
    return str(marker.args[0]) if marker and marker.args else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the checks of the chosen roles and transfers; every check must name a known rule."""
    if not any(item.get_closest_marker("oso_role") for item in items):
        return  # not a conformance run
    o = options(config)
    rules = catalogue()
    keep, drop = [], []
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


def _transfer(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("transfer") if callspec else None
    return str(value) if value is not None else None


@pytest.fixture(scope="session")
def oso(request: pytest.FixtureRequest) -> Any:
    """The running harness: the simulator, the adapter, the suite's own SOAP client."""
    harness = Harness(options(request.config))
    harness.own_workdir = not request.config.getoption("--oso-keep")
    if not harness.own_workdir:
        print(f"\nkeeping the run's simulator data and test keys in {harness.workdir}")
    try:
        harness.start()
    except Exception:
        harness.stop()
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


_MARK = pytest.StashKey[int]()


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
    transfer, role = _transfer(item), _marker_arg(item, "oso_role")
    rerun = _rerun(o, item.nodeid)
    for key, value in (
        ("rule", rule_id),
        ("level", rule.level),
        ("role", role or ""),
        ("transfer", transfer or ""),
        ("rerun", rerun),
    ):
        if (key, value) not in item.user_properties:
            item.user_properties.append((key, value))
    outcome_name = (
        "passed" if report.passed else "skipped" if report.skipped else ("error" if report.when != "call" else "failed")
    )
    message = None
    if report.failed:
        message = _message(report, o)
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]) if o.show_pgn else mask_pgns(str(report.longrepr[2]).encode()).decode()
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
        "message": message,
        "evidence": _evidence(item, o) if not report.passed else [],
        "rerun": rerun,
    }


def _message(report: pytest.TestReport, o: Options) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = (crash.message if crash is not None else str(report.longrepr))[:4000]
    return text if o.show_pgn else mask_pgns(text.encode()).decode()


def _evidence(item: pytest.Item, o: Options) -> list[dict[str, Any]]:
    mark = item.stash.get(_MARK, None)
    harness = getattr(item, "funcargs", {}).get("oso")
    if mark is None or harness is None:
        return []
    try:
        rows = harness.messages(mark)[:EVIDENCE_MESSAGES]
    except Exception:  # noqa: BLE001 - evidence is best effort; the outcome stands without it
        return []
    out = []
    for m in rows:
        body = m.get("body") or ""
        if not o.show_pgn:
            body = mask_pgns(body.encode()).decode()
        out.append(
            {
                "id": m["id"],
                "at": m["at"],
                "direction": m["direction"],
                "endpoint": m["endpoint"],
                "operation": m["operation"],
                "vendor": m["vendor"],
                "status": m["http_status"],
                "fault": m["fault"],
                "body": body[:EVIDENCE_CHARS],
            }
        )
    return out


def _rerun(o: Options, nodeid: str) -> str:
    parts = [
        "osokit",
        "conformance",
        "run",
        "--target",
        o.target,
        "--role",
        "both" if len(o.roles) == 2 else o.roles[0],
        "--transfer",
        ",".join(o.transfers),
        "--seed",
        str(o.seed),
    ]
    if o.adapter:
        parts += ["--adapter", o.adapter]
    parts += ["--only", nodeid, "--out", "out/rerun"]
    return shlex.join(parts)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--oso-results", None)
    if path:
        results(session.config).dump(path)


def results(config: pytest.Config) -> Results:
    """The run as osokit-results/1: the run, a summary, every rule with its coverage, every check."""
    o = options(config)
    checks = [Check.from_dict(c) for c in config.stash[_RESULTS].values()]
    by_rule: dict[str, list[Check]] = {}
    for c in checks:
        by_rule.setdefault(c.rule, []).append(c)
    rules = tuple(
        RuleResult(
            id=rule.id,
            text=rule.text,
            source=rule.source,
            level=rule.level,
            roles=rule.roles,
            checks=tuple(c.id for c in by_rule.get(rule.id, [])),
            result=rule_outcome(by_rule.get(rule.id, [])),
        )
        for rule in catalogue().values()
        if set(rule.roles) & set(o.roles)
    )
    started, finished = config.stash[_STARTED], time.time()
    run = Run(
        id=str(uuid.uuid4()),
        started=datetime.fromtimestamp(started, UTC).isoformat(),
        finished=datetime.fromtimestamp(finished, UTC).isoformat(),
        duration_s=round(finished - started, 3),
        seed=o.seed,
        target=o.target,
        mutant=o.target.removeprefix("mutant:") if o.target.startswith("mutant:") else None,
        roles=o.roles,
        transfers=o.transfers,
        adapter=o.adapter or "http",
        simulator={"scenario": "default", "zoeksleutel": "hmac-sha256", "tls": o.secure},
        versions={
            "osokit": version("osokit"),
            "python": platform.python_version(),
            "lxml": version("lxml"),
            "pytest": version("pytest"),
            "faker": version("faker"),
            "gegevensset": "2019.1",
        },
        command=config.getoption("--oso-command") or "pytest " + shlex.join(config.invocation_params.args),
    )
    return Results(run=run, summary=Summary.of(checks), rules=rules, checks=tuple(checks))
