"""Running the suite: one conformance run, the rules catalogue with coverage, the mutation run.

A run is pytest over :mod:`conformance.scenarios` with the osokit plugin, then the three reports.
Exit codes follow the CLI: 0 every MUST check passed, 1 a MUST check failed, 2 the run could not
be set up (unknown target, unreachable control API, bad adapter).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.adapter import AdapterError, load_adapter
from conformance.catalogue import Rule, catalogue
from oso.errors import UserError
from reports import write_all
from reports.results import Results, ResultsError
from simulator.register import REFERENCE

SCENARIOS = Path(__file__).parent / "scenarios"
PASSED, FAILED, SETUP_ERROR = 0, 1, 2


class SetupError(UserError):
    """The run cannot start: what is wrong and how to fix it, in one line (exit code 2)."""


@dataclass(frozen=True)
class RunRequest:
    target: str = REFERENCE
    role: str = "both"
    transfers: tuple[str, ...] = ("popo", "povo", "vovo")
    adapter: str | None = None
    seed: int = 0
    out: Path = Path("out/conformance")
    only: tuple[str, ...] = ()  # check ids to run alone (as a report's rerun line gives them)
    tls: str = "auto"
    show_pgn: bool = False
    keep: bool = False  # keep the run's simulator data and test keys
    lang: str = "en"  # the language of report.html
    command: str | None = None  # the osokit command line, kept in results.json

    def pytest_args(self, results: Path) -> list[str]:
        paths = [str(SCENARIOS / check) for check in self.only] or [str(SCENARIOS)]
        args = [
            *paths,
            "--rootdir",
            str(SCENARIOS),
            "-c",
            str(SCENARIOS / "pytest.ini"),
            "--oso-target",
            self.target,
            "--oso-role",
            self.role,
            "--oso-transfer",
            ",".join(self.transfers),
            "--oso-seed",
            str(self.seed),
            "--oso-results",
            str(results),
            "--oso-tls",
            self.tls,
        ]
        if self.adapter:
            args += ["--oso-adapter", self.adapter]
        if self.show_pgn:
            args.append("--oso-show-pgn")
        if self.keep:
            args.append("--oso-keep")
        if self.command:
            args += ["--oso-command", self.command]
        return args


@dataclass
class Outcome:
    code: int
    results: Results | None
    reports: dict[str, Path] = field(default_factory=dict)
    error: str | None = None


def preflight(request: RunRequest, *, allow_remote: bool = False) -> None:
    """Fail fast, with the fix, on what would otherwise error every check."""
    for check in request.only:
        if not (SCENARIOS / check.partition("::")[0]).is_file() or "::" not in check:
            raise SetupError(
                f"--only {check}: no such check; give its id as a report does, e.g. "
                "test_bron.py::test_dossier_verzameldatum_is_honoured"
            )
    target = request.target
    if target.startswith("mutant:"):
        from simulator.mutants import MUTANTS

        if target.removeprefix("mutant:") not in MUTANTS:
            raise SetupError(f"--target {target}: no such mutant (`osokit conformance mutants --list` lists them)")
    elif target.startswith(("http://", "https://")):
        host = urlsplit(target).hostname or ""
        if host not in ("127.0.0.1", "::1", "localhost") and not allow_remote:
            raise SetupError(
                f"--target {target}: osokit talks to loopback only (127.0.0.1 or ::1); "
                "run the LAS's test environment on this machine"
            )
        if request.adapter in (None, "", "http"):
            with contextlib.closing(load_adapter("http", target, target)) as adapter:
                try:
                    adapter.info()
                except AdapterError as exc:
                    raise SetupError(f"--target {target} is not reachable as a control API: {exc}") from None
    elif target != REFERENCE:
        raise SetupError(
            f"--target {target!r}: use reference, mutant:<name>, or the http(s) URL of the LAS's "
            "control API (conformance/control-api.yaml)"
        )
    if request.adapter and not request.adapter.startswith(("http", "manual")):
        try:
            load_adapter(request.adapter, "http://127.0.0.1:9", "http://127.0.0.1:9").close()
        except AdapterError as exc:
            raise SetupError(str(exc)) from None
        except Exception:  # noqa: BLE001, S110 - constructed fine; only loading errors are setup errors
            pass


def run(request: RunRequest, *, quiet: bool = False) -> Outcome:
    """One conformance run: pytest in this process, then results.json, junit.xml and report.html in ``out``."""
    preflight(request)
    with tempfile.TemporaryDirectory(prefix="osokit-run-") as tmp:
        raw = Path(tmp) / "results.json"
        args = request.pytest_args(raw) + (["-p", "no:terminal"] if quiet else ["-q", "--tb=no", "-rfE"])
        code = pytest.main(args)
        if code == pytest.ExitCode.INTERRUPTED:  # Ctrl-C or SIGTERM: what ran is not a verdict
            raise KeyboardInterrupt
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not raw.exists():
            return Outcome(SETUP_ERROR, None, error=f"pytest could not run the suite (exit code {int(code)})")
        try:
            results = Results.load(raw)
        except ResultsError as exc:
            return Outcome(SETUP_ERROR, None, error=str(exc))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED or not results.checks:
        return Outcome(
            SETUP_ERROR,
            results,
            write_all(results, request.out, lang=request.lang),
            error="no checks matched (--only, --role and --transfer select nothing)",
        )
    paths = write_all(results, request.out, lang=request.lang)
    if results.summary.verdict == "error":
        first = next((c.message for c in results.checks if c.message), "every check errored")
        return Outcome(SETUP_ERROR, results, paths, error=f"the run could not be set up: {first}")
    return Outcome(FAILED if results.summary.verdict == "fail" else PASSED, results, paths)


def describe(outcome: Outcome, elapsed: float) -> str:
    """What the CLI prints after a run: the verdict, the counts, where the reports are."""
    lines = []
    if outcome.results is not None:
        s = outcome.results.summary
        lines.append(
            f"verdict: {s.verdict.upper()} - {s.total} checks: {s.passed} passed, {s.failed} failed, "
            f"{s.skipped} skipped, {s.errors} errors (MUST failed: {s.must_failed}, SHOULD failed: "
            f"{s.should_failed}) in {elapsed:.1f} s"
        )
    if outcome.reports:
        lines.append("reports:")
        lines += [f"  {kind:<5} {path}" for kind, path in outcome.reports.items()]
    return "\n".join(lines)


# --- the catalogue with coverage ------------------------------------------------------------------


class _Collector:
    """A pytest plugin that only remembers which checks exist and the rule each names."""

    def __init__(self) -> None:
        self.checks: dict[str, list[str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("oso_rule")
            if marker:
                self.checks.setdefault(str(marker.args[0]), []).append(item.nodeid)


def coverage() -> dict[str, list[str]]:
    """rule id -> the ids of the checks that verify it, from collecting the suite (all roles and transfers)."""
    collector = _Collector()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(
            [
                str(SCENARIOS),
                "--rootdir",
                str(SCENARIOS),
                "-c",
                str(SCENARIOS / "pytest.ini"),
                "--collect-only",
                "-p",
                "no:terminal",
            ],
            plugins=[collector],
        )
    if code != pytest.ExitCode.OK:
        raise SetupError(f"collecting the conformance suite failed (pytest exit code {int(code)})")
    return collector.checks


@dataclass(frozen=True)
class RuleCoverage:
    rule: Rule
    checks: tuple[str, ...]
    last: str | None  # the rule's result in the given results.json, when there is one


def rules_with_coverage(last_run: Results | None = None) -> list[RuleCoverage]:
    covered = coverage()
    last = {r.id: r.result for r in last_run.rules} if last_run else {}
    return [RuleCoverage(rule, tuple(covered.get(rule.id, ())), last.get(rule.id)) for rule in catalogue().values()]


# --- the mutation run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MutantResult:
    name: str
    defect: str
    role: str
    caught_by: tuple[str, ...]  # the rules with a failing check; a SHOULD rule as "<id> (SHOULD)"
    checks: int
    error: str | None = None

    @property
    def caught(self) -> bool:
        return bool(self.caught_by) and self.error is None


def _run_in_subprocess(request: RunRequest, results: Path, timeout: float) -> tuple[Results | None, str | None]:
    """A run in a fresh interpreter: mutants run side by side and one mutant's crash stays its own."""
    args = [sys.executable, "-m", "pytest", *request.pytest_args(results), "-p", "no:terminal"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return None, f"did not finish within {timeout:.0f} s"
    if not results.exists():
        return None, f"pytest exit code {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"
    try:
        return Results.load(results), None
    except ResultsError as exc:
        return None, str(exc)


def run_mutant(name: str, out: Path, seed: int = 0, timeout: float = 300.0) -> MutantResult:
    from simulator.mutants import MUTANTS

    m = MUTANTS[name]
    request = RunRequest(target=f"mutant:{name}", role=m.role, transfers=m.transfers, seed=seed)
    results, error = _run_in_subprocess(request, out / f"{name}.json", timeout)
    if results is None:
        return MutantResult(name, m.defect, m.role, (), 0, error)
    if results.summary.verdict == "error":
        error = next((c.message for c in results.checks if c.message), "every check errored")
    caught_by = sorted({c.rule + ("" if c.level == "MUST" else " (SHOULD)") for c in results.checks if c.failing})
    return MutantResult(name, m.defect, m.role, tuple(caught_by), results.summary.total, error)


def run_mutants(
    names: list[str],
    out: Path,
    *,
    seed: int = 0,
    jobs: int | None = None,
    on_result: Callable[[MutantResult], None] | None = None,
) -> list[MutantResult]:
    """Every mutant through the suite of its role, ``jobs`` at a time; results in the order given."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = jobs or max(1, os.cpu_count() or 1)
    found: dict[str, MutantResult] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_mutant, name, out, seed): name for name in names}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            found[result.name] = result
            if on_result:
                on_result(result)
    ordered = [found[n] for n in names]
    (out / "mutants.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "score": [sum(r.caught for r in ordered), len(ordered)],
                "mutants": [
                    {
                        "name": r.name,
                        "defect": r.defect,
                        "role": r.role,
                        "caught": r.caught,
                        "caught_by": list(r.caught_by),
                        "checks": r.checks,
                        "error": r.error,
                    }
                    for r in ordered
                ],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return ordered
