"""The results of one conformance run, as typed values, and the JSON file that carries them.

``reports/schemas/results-v2.schema.json`` is the contract between the conformance suite that
writes results and everything that reads them (the renderers here, vendors' own tooling). It is
the single source of truth: ``validate`` reads it at run time and interprets the small subset of
JSON Schema it uses, so the project needs no jsonschema dependency and the file cannot drift
from the checker. A schema keyword the checker does not know is an error, never silently ignored.

The dataclasses mirror the schema one to one; ``Results.from_dict`` validates first, so a value
of these types always came from a valid document. ``to_dict`` writes every field, optional ones
as null or empty, in the schema's order, so two runs' files diff cleanly.

Files of version 1 (``results-v1.schema.json``) are still read: validated against their own
schema, then judged again under version 2's rules (:func:`upgrade_v1`), so an old PASS with
skipped MUST checks reads as INCOMPLETE.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from oso.errors import OsokitError, UserError

SCHEMA_VERSION = "osokit-results/2"
V1 = "osokit-results/1"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_PATH = SCHEMAS / "results-v2.schema.json"
SCHEMA_PATHS = {V1: SCHEMAS / "results-v1.schema.json", SCHEMA_VERSION: SCHEMA_PATH}
"""Every version this osokit reads, and its schema file."""

Role = Literal["doel", "bron"]
Transfer = Literal["popo", "povo", "vovo", "binnenbrin", "poswv", "voswv"]
Level = Literal["MUST", "SHOULD"]
Outcome = Literal["passed", "failed", "skipped", "error"]
RuleOutcome = Literal["pass", "fail", "error", "skip", "untested", "not-applicable"]
Verdict = Literal["pass", "fail", "incomplete", "error"]
StopReason = Literal["unreachable", "setup", "deadline"]

_L = TypeVar("_L", bound=str)
ROLES: tuple[Role, ...] = get_args(Role)
TRANSFERS: tuple[Transfer, ...] = get_args(Transfer)
LEVELS: tuple[Level, ...] = get_args(Level)


def one_of(allowed: tuple[_L, ...], value: str) -> _L:
    """``value`` as the Literal it is one of: where oso.profiles' enums and the rules' levels enter a result."""
    for known in allowed:
        if known == value:
            return known
    raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")


FAILING: frozenset[str] = frozenset({"failed", "error"})
"""Check outcomes that count against the target."""


class ResultsError(UserError, ValueError):
    """A results document that cannot be read: invalid against the schema, or not JSON."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        shown = "".join(f"\n  {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(message + shown + more)


class UnsupportedVersion(ResultsError):
    """A results document of another schema version than this osokit reads."""


# --- the values ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """One logged message (request or response) that shows why a check came out as it did."""

    direction: str
    endpoint: str
    id: int | None = None
    at: str | None = None
    operation: str | None = None
    vendor: str | None = None
    status: int | None = None
    fault: str | None = None
    headers: dict[str, str] | None = None
    offending: bool = False  # this message shows the failure
    body: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(
            id=d.get("id"),
            at=d.get("at"),
            direction=d["direction"],
            endpoint=d["endpoint"],
            operation=d.get("operation"),
            vendor=d.get("vendor"),
            status=d.get("status"),
            fault=d.get("fault"),
            headers=dict(d["headers"]) if d.get("headers") is not None else None,
            offending=bool(d.get("offending", False)),
            body=d.get("body"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "direction": self.direction,
            "endpoint": self.endpoint,
            "operation": self.operation,
            "vendor": self.vendor,
            "status": self.status,
            "fault": self.fault,
            "headers": self.headers,
            "offending": self.offending,
            "body": self.body,
        }

    def summary(self) -> str:
        """One line: ``#12 in overdracht /tc HTTP 500 fault TijdelijkNietBeschikbaar (1,234 chars)``;
        a message that shows the failure starts with ``>>``."""
        parts = [">>"] if self.offending else []
        parts += ([f"#{self.id}"] if self.id is not None else []) + [self.direction]
        parts += [p for p in (self.operation, self.endpoint) if p]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.fault:
            parts.append(f"fault {self.fault}")
        if self.vendor:
            parts.append(f"vendor {self.vendor}")
        if self.body is not None:
            parts.append(f"({len(self.body):,} chars)")
        return " ".join(parts)


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """One executed check: a pytest test that verifies one rule, for one role and transfer."""

    id: str
    name: str
    rule: str
    level: Level
    outcome: Outcome
    duration_s: float
    rerun: str
    role: Role | None = None
    transfer: Transfer | None = None
    message: str | None = None
    expected: str | None = None
    found: str | None = None
    where: str | None = None
    masked: bool = False  # pupil numbers in the message or evidence were masked
    no_evidence: str | None = None  # a failure without evidence: why there is none
    evidence: tuple[Evidence, ...] = ()

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Check:
        return cls(
            id=d["id"],
            name=d["name"],
            rule=d["rule"],
            level=d["level"],
            role=d.get("role"),
            transfer=d.get("transfer"),
            outcome=d["outcome"],
            duration_s=float(d["duration_s"]),
            message=d.get("message"),
            expected=d.get("expected"),
            found=d.get("found"),
            where=d.get("where"),
            masked=bool(d.get("masked", False)),
            no_evidence=d.get("no_evidence"),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence") or ()),
            rerun=d["rerun"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "rule": self.rule,
            "level": self.level,
            "role": self.role,
            "transfer": self.transfer,
            "outcome": self.outcome,
            "duration_s": self.duration_s,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "where": self.where,
            "masked": self.masked,
            "no_evidence": self.no_evidence,
            "evidence": [e.to_dict() for e in self.evidence],
            "rerun": self.rerun,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleResult:
    """One rule of the catalogue with what this run found: its checks' ids and a result."""

    id: str
    text: str
    source: str
    level: Level
    checks: tuple[str, ...]
    result: RuleOutcome
    roles: tuple[Role, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuleResult:
        return cls(
            id=d["id"],
            text=d["text"],
            source=d["source"],
            level=d["level"],
            roles=tuple(d.get("roles") or ()),
            checks=tuple(d["checks"]),
            result=d["result"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "level": self.level,
            "roles": list(self.roles),
            "checks": list(self.checks),
            "result": self.result,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Untested:
    """A rule that applies to the run but did not run and pass: why, and what would make it testable."""

    rule: str
    level: Level
    reason: str
    remedy: str
    checks: tuple[str, ...] = ()  # its checks that were skipped or ended in an error

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Untested:
        return cls(rule=d["rule"], level=d["level"], reason=d["reason"], remedy=d["remedy"], checks=tuple(d["checks"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "reason": self.reason,
            "remedy": self.remedy,
            "checks": list(self.checks),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Stopped:
    """Why a run ended before its last check."""

    why: StopReason
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"why": self.why, "message": self.message}


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """Counts over the checks and the verdict (pass: every MUST rule that applies ran and passed)."""

    total: int
    passed: int
    failed: int
    skipped: int
    errors: int
    must_failed: int
    should_failed: int
    untested: int
    verdict: Verdict

    @classmethod
    def of(cls, checks: Iterable[Check], untested: Iterable[Untested] = (), stopped: Stopped | None = None) -> Summary:
        """The summary the checks imply, as the conformance plugin computes it: ``error`` when the run
        reached no verdict at all (no checks, every check errored, or it stopped because the LAS or
        the run's world could not be reached), else ``fail`` when a MUST check failed, else
        ``incomplete`` when a MUST rule was not tested, else ``pass``. SHOULD failures never fail a run."""
        checks = list(checks)
        count = {o: sum(c.outcome == o for c in checks) for o in ("passed", "failed", "skipped", "error")}
        must_failed = sum(c.outcome == "failed" and c.level == "MUST" for c in checks)
        should_failed = sum(c.outcome == "failed" and c.level == "SHOULD" for c in checks)
        must_untested = sum(u.level == "MUST" for u in untested)
        no_verdict = not checks or count["error"] == len(checks) or (stopped is not None and stopped.why != "deadline")
        verdict: Verdict = (
            "error" if no_verdict else "fail" if must_failed else "incomplete" if must_untested else "pass"
        )
        return cls(
            total=len(checks),
            passed=count["passed"],
            failed=count["failed"],
            skipped=count["skipped"],
            errors=count["error"],
            must_failed=must_failed,
            should_failed=should_failed,
            untested=must_untested,
            verdict=verdict,
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Summary:
        return cls(**{k: d[k] for k in _SUMMARY_FIELDS})

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _SUMMARY_FIELDS}


_SUMMARY_FIELDS = (
    "total",
    "passed",
    "failed",
    "skipped",
    "errors",
    "must_failed",
    "should_failed",
    "untested",
    "verdict",
)


PASSTHROUGH_NOTE = "passthrough mode: the LAS's own export (klaarzetten) was not tested"


@dataclass(frozen=True, kw_only=True, slots=True)
class Run:
    """Which run this was: when, against what, with which seed, and how to reproduce it."""

    id: str
    started: str
    finished: str
    duration_s: float
    seed: int
    target: str
    roles: tuple[Role, ...]
    transfers: tuple[Transfer, ...]
    adapter: str
    versions: dict[str, str]
    command: str
    mutant: str | None = None
    simulator: dict[str, str | bool | None] = field(default_factory=dict)
    prepare: str | None = None  # export | passthrough: how the LAS got its pupils as bron (None: not recorded)
    stopped: Stopped | None = None

    @property
    def export_untested(self) -> bool:
        """The bron checks ran on dossiers the suite handed in, not on the LAS's own export."""
        return self.prepare == "passthrough" and "bron" in self.roles

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.started)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Run:
        return cls(
            id=d["id"],
            started=d["started"],
            finished=d["finished"],
            duration_s=float(d["duration_s"]),
            seed=int(d["seed"]),
            target=d["target"],
            mutant=d.get("mutant"),
            roles=tuple(d["roles"]),
            transfers=tuple(d["transfers"]),
            adapter=d["adapter"],
            simulator=dict(d.get("simulator") or {}),
            prepare=d.get("prepare"),
            versions=dict(d["versions"]),
            command=d["command"],
            stopped=Stopped(why=d["stopped"]["why"], message=d["stopped"]["message"]) if d.get("stopped") else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": self.started,
            "finished": self.finished,
            "duration_s": self.duration_s,
            "seed": self.seed,
            "target": self.target,
            "mutant": self.mutant,
            "roles": list(self.roles),
            "transfers": list(self.transfers),
            "adapter": self.adapter,
            **({"prepare": self.prepare} if self.prepare else {}),
            "simulator": dict(sorted(self.simulator.items())),
            "versions": dict(sorted(self.versions.items())),
            "command": self.command,
            "stopped": self.stopped.to_dict() if self.stopped else None,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Results:
    """One ``results.json``: the run, its summary, what was not tested, every rule and every check."""

    run: Run
    summary: Summary
    rules: tuple[RuleResult, ...]
    checks: tuple[Check, ...]
    untested: tuple[Untested, ...] = ()
    schema: str = SCHEMA_VERSION  # the version the document was read from; always written as the current one

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Results:
        """Validated against the schema of its version first; raises ``ResultsError`` listing every problem."""
        problems = validate(d)
        if problems:
            error = UnsupportedVersion if problems[0].startswith(_VERSION_PREFIX) else ResultsError
            version = d.get("schema") if isinstance(d, Mapping) and d.get("schema") in SCHEMA_PATHS else SCHEMA_VERSION
            raise error(f"results do not match the {version} schema:", problems)
        read_as = d["schema"]
        if read_as == V1:
            d = upgrade_v1(d)
        return cls(
            run=Run.from_dict(d["run"]),
            summary=Summary.from_dict(d["summary"]),
            untested=tuple(Untested.from_dict(u) for u in d["untested"]),
            rules=tuple(RuleResult.from_dict(r) for r in d["rules"]),
            checks=tuple(Check.from_dict(c) for c in d["checks"]),
            schema=read_as,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "run": self.run.to_dict(),
            "summary": self.summary.to_dict(),
            "untested": [u.to_dict() for u in self.untested],
            "rules": [r.to_dict() for r in self.rules],
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_json(self) -> str:
        """The file's text: UTF-8 as is (no \\u escapes), indent 1, the schema's key order, final newline."""
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Results:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{path}: not JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ResultsError(f"{path}: not UTF-8: {exc}") from None
        try:
            return cls.from_dict(data)
        except ResultsError as exc:
            raise type(exc)(f"{path}: {exc.args[0].splitlines()[0]}", exc.problems) from None

    def dump(self, path: str | os.PathLike[str]) -> Path:
        """Written atomically (temporary file, then rename): a reader never sees half a file."""
        return write_atomic(Path(path), self.to_json().encode("utf-8"))

    def rule(self, rule_id: str) -> RuleResult | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def failures(self) -> tuple[Check, ...]:
        """Failed and errored checks, MUST before SHOULD, otherwise in run order."""
        return tuple(sorted((c for c in self.checks if c.failing), key=lambda c: c.level != "MUST"))


def rule_outcome(checks: Iterable[Check]) -> RuleOutcome:
    """A rule's result from its checks, for producers: ``fail`` when one failed, else ``error`` when one
    ended in an error, else ``skip`` when one was skipped, else ``pass`` when all passed, ``untested``
    when there were none. (``not-applicable`` is the producer's to give: the rule concerns nothing run.)"""
    outcomes = {c.outcome for c in checks}
    for outcome, result in (("failed", "fail"), ("error", "error"), ("skipped", "skip"), ("passed", "pass")):
        if outcome in outcomes:
            return result  # type: ignore[return-value]
    return "untested"


_COUNTS = ("total", "passed", "failed", "skipped", "errors")
OPEN: frozenset[str] = frozenset({"error", "skip", "untested"})
"""Rule results that leave the rule not tested: each such rule that applies is listed in ``untested``."""


def consistency(results: Results) -> list[str]:
    """What the schema cannot say: the summary and rule results match the checks, every rule left open is
    listed as not tested (and nothing else is), ids are unique and resolve."""
    problems: list[str] = []
    implied = Summary.of(results.checks, results.untested, results.run.stopped)
    for name in _SUMMARY_FIELDS:
        given, expected = getattr(results.summary, name), getattr(implied, name)
        if given != expected:
            problems.append(f"summary.{name}: {given!r}, but the checks give {expected!r}")
    check_ids = [c.id for c in results.checks]
    rule_ids = [r.id for r in results.rules]
    for kind, ids in (("check", check_ids), ("rule", rule_ids)):
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                problems.append(f"{kind} id {i!r} appears more than once")
            seen.add(i)
    known_checks, known_rules = set(check_ids), set(rule_ids)
    for n, check in enumerate(results.checks):
        if check.rule not in known_rules:
            problems.append(f"checks[{n}].rule: {check.rule!r} is not in rules")
    by_id = {c.id: c for c in results.checks}
    for n, rule in enumerate(results.rules):
        for cid in rule.checks:
            if cid not in known_checks:
                problems.append(f"rules[{n}].checks: {cid!r} is not in checks")
        implied_result = rule_outcome(by_id[c] for c in rule.checks if c in by_id)
        if rule.result != implied_result and not (rule.result == "not-applicable" and not rule.checks):
            problems.append(f"rules[{n}].result: {rule.result!r}, but its checks give {implied_result!r}")
    listed = {u.rule for u in results.untested}
    by_rule = {r.id: r for r in results.rules}
    for n, rule in enumerate(results.rules):
        if rule.result in OPEN and rule.id not in listed:
            problems.append(f"rules[{n}]: {rule.id} ({rule.result}) is not listed in untested")
    for n, item in enumerate(results.untested):
        found = by_rule.get(item.rule)
        if found is None:
            problems.append(f"untested[{n}].rule: {item.rule!r} is not in rules")
        elif found.result not in OPEN:
            problems.append(f"untested[{n}].rule: {item.rule} has result {found.result!r}, so it was tested")
    return problems


def upgrade_v1(document: Mapping[str, Any]) -> dict[str, Any]:
    """A valid osokit-results/1 document as version 2, judged again under version 2's rules.

    Version 1 counted errors as failures and gave PASS with MUST checks skipped or rules untested;
    here its rules get their results from their checks again, and every rule left open is listed as
    not tested. Version 1 did not record whether a rule without checks applied to the run, so such
    a rule is listed too: an old file never reads as more than it showed.
    """
    checks = [Check.from_dict(c) for c in document["checks"]]
    by_id = {c.id: c for c in checks}
    rules, untested = [], []
    for r in document["rules"]:
        own = [by_id[c] for c in r["checks"] if c in by_id]
        result = rule_outcome(own)
        rules.append({**r, "result": result})
        if result in OPEN:
            open_checks = [c for c in own if c.outcome in ("skipped", "error")]
            reason = "; ".join(dict.fromkeys(c.message or c.outcome for c in open_checks)) or (
                "no check ran for it, and osokit-results/1 did not record whether it applied to the run"
            )
            untested.append(
                Untested(
                    rule=r["id"],
                    level=r["level"],
                    reason=reason,
                    remedy="run the suite again with this osokit version",
                    checks=tuple(c.id for c in open_checks),
                )
            )
    untested.sort(key=lambda u: u.level != "MUST")
    return {
        **document,
        "schema": SCHEMA_VERSION,
        "run": {**document["run"], "stopped": None},
        # the counts as written (consistency still checks them), what follows from them judged again
        "summary": Summary.of(checks, untested).to_dict() | {k: document["summary"][k] for k in _COUNTS},
        "untested": [u.to_dict() for u in untested],
        "rules": rules,
    }


def write_atomic(path: Path, data: bytes) -> Path:
    """``data`` to ``path`` (mode 0644) through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600; CI artifact uploaders and web servers read reports
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --- the validator -------------------------------------------------------------------------------
# Exactly the JSON Schema (2020-12) keywords the results schemas use. ``format: date-time`` is
# asserted (RFC 3339), stricter than the spec's annotation-only default: the renderers rely on it.

_ASSERTIONS = frozenset(
    {"type", "required", "properties", "additionalProperties", "enum", "const", "minimum", "items", "format"}
)
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples"})
_FORMATS = frozenset({"date-time"})
_VERSION_PREFIX = "schema: this osokit reads"
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SchemaFeatureError(OsokitError, RuntimeError):
    """The schema file uses a keyword the built-in checker does not implement: extend the checker."""


@cache
def schema(version: str = SCHEMA_VERSION) -> dict[str, Any]:
    """A results schema, read once from ``reports/schemas`` and checked to be within the subset."""
    path = SCHEMA_PATH if version == SCHEMA_VERSION else SCHEMA_PATHS[version]
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    _check_subset(loaded, "#")
    if loaded.get("properties", {}).get("schema", {}).get("const") != version:
        raise SchemaFeatureError(f"{path}: properties.schema.const is not {version!r}")
    return loaded


def _check_subset(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        raise SchemaFeatureError(f"{where}: a schema must be an object here, not {node!r}")
    unknown = set(node) - _ASSERTIONS - _ANNOTATIONS
    if unknown:
        raise SchemaFeatureError(f"{where}: keyword(s) {sorted(unknown)} are not supported by reports.results")
    if "format" in node and node["format"] not in _FORMATS:
        raise SchemaFeatureError(f"{where}: format {node['format']!r} is not supported")
    for name, sub in node.get("properties", {}).items():
        _check_subset(sub, f"{where}/properties/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _check_subset(node[key], f"{where}/{key}")


def validate(document: Any) -> list[str]:
    """Every way ``document`` breaks the results schema, as ``path: problem`` lines; empty if valid.

    Paths read like Python: ``checks[2].outcome: 'weird' not in ['passed', 'failed', 'skipped', 'error']``.
    A document of a version this osokit reads is checked against that version's schema; one of
    another version gets one line saying so, not a cascade of mismatches.
    """
    found = document.get("schema") if isinstance(document, dict) else None
    if found in SCHEMA_PATHS:
        return list(_errors(document, schema(found), ""))
    if isinstance(found, str) and found.startswith("osokit-results/"):
        readable = " and ".join(repr(v) for v in SCHEMA_PATHS)
        return [
            f"{_VERSION_PREFIX} {readable}, these results are {found!r}"
            " (written by another osokit version: use a matching osokit to read them)"
        ]
    return list(_errors(document, schema(), ""))


def errors_against(value: Any, node: Mapping[str, Any]) -> list[str]:
    """``value`` against another schema in the same keyword subset (say, one of the control API's)."""
    _check_subset(node, "#")
    return list(_errors(value, node, ""))


def _errors(value: Any, node: Mapping[str, Any], path: str) -> Iterator[str]:
    where = path or "(document)"
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_is_type(value, t) for t in types):
            yield f"{where}: expected {' or '.join(types)}, got {_json_type(value)} {_show(value)}"
            return
    if "const" in node and not _json_equal(value, node["const"]):
        yield f"{where}: {_show(value)} is not {_show(node['const'])}"
    if "enum" in node and not any(_json_equal(value, option) for option in node["enum"]):
        yield f"{where}: {_show(value)} not in {_show(node['enum'])}"
    if "minimum" in node and _is_type(value, "number") and value < node["minimum"]:
        yield f"{where}: {_show(value)} is less than the minimum {_show(node['minimum'])}"
    if node.get("format") == "date-time" and isinstance(value, str) and not _is_datetime(value):
        yield f"{where}: {_show(value)} is not an RFC 3339 date-time"
    if isinstance(value, dict):
        yield from _object_errors(value, node, path)
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            yield from _errors(item, node["items"], f"{path}[{i}]")


def _object_errors(value: dict[str, Any], node: Mapping[str, Any], path: str) -> Iterator[str]:
    where = path or "(document)"
    for name in node.get("required", ()):
        if name not in value:
            yield f"{where}: missing required property {name!r}"
    properties: Mapping[str, Any] = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for name, item in value.items():
        child = _join(path, name)
        if name in properties:
            yield from _errors(item, properties[name], child)
        elif extra is False:
            yield f"{where}: unexpected property {name!r}"
        elif isinstance(extra, dict):
            yield from _errors(item, extra, child)


def _is_type(value: Any, name: str) -> bool:
    match name:
        case "null":
            return value is None
        case "boolean":
            return isinstance(value, bool)
        case "string":
            return isinstance(value, str)
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list | tuple)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        case "integer":
            return _is_type(value, "number") and float(value).is_integer()
    raise SchemaFeatureError(f"unknown JSON type {name!r}")


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "object", "array"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b) and (a is None) == (b is None)


def _is_datetime(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{...}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _join(path: str, name: str) -> str:
    if _IDENTIFIER.fullmatch(name):
        return f"{path}.{name}" if path else name
    return f"{path}[{name!r}]"
