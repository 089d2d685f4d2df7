"""Running the suite: one conformance run, the rules catalogue with coverage (the mutation run:
:mod:`conformance.mutation`).

A run is pytest over :mod:`conformance.scenarios` with the osokit plugin, then the three reports.
Exit codes follow the CLI: 0 every MUST rule that applies ran and passed (PASS), 1 a MUST check
failed (FAIL), 2 the run could not be set up or its LAS stopped answering, 3 no MUST check failed
but a MUST rule was not tested (INCOMPLETE).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.adapter import AdapterError, HttpAdapter, VendorInfo, control_headers, load_adapter
from conformance.catalogue import Rule, catalogue
from conformance.harness import check_vendor_certificate, vendor_pki
from conformance.options import RunOptions, Target
from oso.errors import UserError
from oso.profiles import Role, TransferKind
from reports import write_all
from reports.results import PASSTHROUGH_NOTE, Results, ResultsError, Untested
from simulator.client import tls_context

SCENARIOS = Path(__file__).parent / "scenarios"
PASSED, FAILED, SETUP_ERROR, INCOMPLETE = 0, 1, 2, 3
EXIT_CODES = {"pass": PASSED, "fail": FAILED, "error": SETUP_ERROR, "incomplete": INCOMPLETE}
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SetupError(UserError):
    """The run cannot start: what is wrong and how to fix it, in one line (exit code 2)."""


def pytest_args(options: RunOptions, results: Path) -> list[str]:
    """pytest's arguments for this run: the checks (all, or those of --only), the suite's own ini, the options."""
    paths = [str(SCENARIOS / check) for check in options.only] or [str(SCENARIOS)]
    ini = ["--rootdir", str(SCENARIOS), "-c", str(SCENARIOS / "pytest.ini")]
    return [*paths, *ini, "--oso-results", str(results), *options.pytest_args()]


@dataclass
class Outcome:
    code: int
    results: Results | None
    reports: dict[str, Path] = field(default_factory=dict)
    error: str | None = None


def preflight(options: RunOptions, *, allow_remote: bool = False) -> None:
    """Fail fast, with the fix, on what would otherwise error every check: before the first check runs."""
    if (unfit := options.unfit()) is not None:
        raise SetupError(unfit)
    for check in options.only:
        if not (SCENARIOS / check.partition("::")[0]).is_file() or "::" not in check:
            raise SetupError(
                f"--only {check}: no such check; give its id as a report does, e.g. "
                "test_bron.py::test_dossier_verzameldatum_is_honoured"
            )
    target = options.target
    if target.mutant is not None:
        from simulator.mutants import MUTANTS

        if target.mutant not in MUTANTS:
            raise SetupError(f"--target {target}: no such mutant (`osokit conformance mutants --list` lists them)")
    if target.url is not None:
        _preflight_url(options, target.url, allow_remote)
    _preflight_adapter(options)
    _preflight_out(options.out)


def _preflight_url(options: RunOptions, url: str, allow_remote: bool) -> None:
    if urlsplit(url).hostname not in LOOPBACK and not allow_remote:
        raise SetupError(
            f"--target {url}: osokit talks to loopback only (127.0.0.1 or ::1); "
            "run the LAS's test environment on this machine"
        )
    pki = vendor_pki(options) if options.secure else None  # its errors are one line, exit 2, as SetupError's
    if options.adapter in (None, "", "http"):
        verify = tls_context(pki.ca_cert) if pki else True
        try:
            headers = control_headers(options.control_token_file)
        except AdapterError as exc:
            raise SetupError(str(exc)) from None
        with contextlib.closing(HttpAdapter(url, timeout=options.timeout, verify=verify, headers=headers)) as adapter:
            try:
                info = adapter.info()
            except AdapterError as exc:
                if adapter.failed_in_row:
                    raise SetupError(f"--target {url} is not reachable as a control API: {exc}") from None
                raise SetupError(f"--target {url}: its GET /info is not usable: {exc}") from None
        if pki:
            check_vendor_certificate(pki, info.vendor)


def _preflight_adapter(options: RunOptions) -> None:
    spec = options.adapter
    if not spec or spec == "http":
        return
    if spec.startswith("manual"):
        _, _, path = spec.partition(":")
        if not path:
            raise SetupError("--adapter manual needs the vendor info file: --adapter manual:vendor.json")
        try:
            VendorInfo.load(Path(path))
        except AdapterError as exc:
            raise SetupError(f"--adapter {spec}: {exc}") from None
        return
    try:
        load_adapter(spec, Target(url="http://127.0.0.1:9"), "http://127.0.0.1:9").close()
    except AdapterError as exc:
        raise SetupError(str(exc)) from None
    except Exception:  # noqa: BLE001, S110 - constructed fine; only loading errors are setup errors
        pass


def _preflight_out(out: Path) -> None:
    """The reports can be written in ``out`` (or in the folder that will hold it): nothing is made yet, so a
    run that never gets to its reports leaves no folder behind."""
    existing = next(p for p in (out, *out.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{existing} is a file")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise SetupError(f"--out {out}: the reports cannot be written there ({exc.strerror or exc})") from None


def run(options: RunOptions, *, quiet: bool = False) -> Outcome:
    """One conformance run: pytest in this process, then results.json, junit.xml and report.html in ``out``."""
    preflight(options)
    with tempfile.TemporaryDirectory(prefix="osokit-run-") as tmp:
        raw = Path(tmp) / "results.json"
        args = pytest_args(options, raw) + (["-p", "no:terminal"] if quiet else ["-q", "--tb=no", "-rfE"])
        code = pytest.main(args)
        interrupted = code == pytest.ExitCode.INTERRUPTED
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not raw.exists():
            if interrupted:
                raise KeyboardInterrupt
            return Outcome(SETUP_ERROR, None, error=f"pytest could not run the suite (exit code {int(code)})")
        try:
            results = Results.load(raw)
        except ResultsError as exc:
            if interrupted:
                raise KeyboardInterrupt from None
            return Outcome(SETUP_ERROR, None, error=str(exc))
    if interrupted and results.run.stopped is None:  # Ctrl-C or SIGTERM: what ran is not a verdict
        raise KeyboardInterrupt  # (a run the suite itself stopped, at its deadline or a LAS gone, says why)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED or not results.checks:
        return Outcome(
            SETUP_ERROR,
            results,
            write_all(results, options.out, lang=options.lang),
            error="no checks matched (--only, --role and --transfer select nothing)",
        )
    paths = write_all(results, options.out, lang=options.lang)
    verdict = results.summary.verdict
    if verdict == "error":
        stopped = results.run.stopped
        first = next((c.message for c in results.checks if c.message), "every check errored")
        error = stopped.message if stopped else f"the run could not be set up: {first}"
        return Outcome(SETUP_ERROR, results, paths, error=error)
    return Outcome(EXIT_CODES[verdict], results, paths)


SHOWN_FAILURES = 20
"""Failing checks ``conformance run`` lists on the console; the reports hold them all."""


def describe(outcome: Outcome, elapsed: float) -> str:
    """What the CLI prints after a run: what was not tested (first), the failing checks, the verdict with
    the counts, the reports."""
    lines = []
    if outcome.results is not None:
        lines += not_tested_lines(outcome.results.untested)
        failures = outcome.results.failures
        for check in failures[:SHOWN_FAILURES]:
            message = (check.message or "").split("\n")[0][:160]
            line = f"{check.outcome.upper():<6} {check.level:<6} {check.id} [{check.rule}]"
            lines.append(f"{line}: {message}" if message else line)
        if len(failures) > SHOWN_FAILURES:
            lines.append(f"... and {len(failures) - SHOWN_FAILURES} more failing checks: see the reports")
        s = outcome.results.summary
        lines.append(
            f"verdict: {s.verdict.upper()} - {s.total} checks: {s.passed} passed, {s.failed} failed, "
            f"{s.skipped} skipped, {s.errors} errors (MUST failed: {s.must_failed}, SHOULD failed: "
            f"{s.should_failed}, MUST rules not tested: {s.untested}) in {elapsed:.1f} s"
        )
    if outcome.results is not None and (
        note := bron_only_note(outcome.results.run.roles, outcome.results.run.transfers)
    ):
        lines.append(note)
    if outcome.results is not None and outcome.results.run.export_untested:
        lines.append(f"note: {PASSTHROUGH_NOTE}; run with --prepare export to test it")
    if outcome.reports:
        lines.append("reports:")
        lines += [f"  {kind:<5} {path}" for kind, path in outcome.reports.items()]
    return "\n".join(lines)


def bron_only_note(roles: tuple[str, ...], transfers: tuple[str, ...]) -> str | None:
    """What a run with the doel role and a kind certified as bron only did not test: its doel side."""
    kinds = [TransferKind(t) for t in transfers]
    bron_only = [k for k in kinds if Role.DOEL not in k.roles]
    if Role.DOEL not in roles or not bron_only:
        return None
    doel = ",".join(k for k in kinds if Role.DOEL in k.roles)
    return (
        f"note: {','.join(bron_only)}: checked in the bron role only (this osokit does not certify the doel of "
        f"these kinds); the doel role was checked with {doel}"
    )


def not_tested_lines(untested: tuple[Untested, ...], shown: int = 8) -> list[str]:
    """What was not tested, grouped by reason: the rules, why, and what would make them testable."""
    if not untested:
        return []
    must = sum(u.level == "MUST" for u in untested)
    lines = [f"not tested: {must} MUST and {len(untested) - must} SHOULD rule(s) that apply to this run:"]
    groups: dict[tuple[str, str], list[Untested]] = {}
    for u in untested:
        groups.setdefault((u.reason, u.remedy), []).append(u)
    for (reason, remedy), items in groups.items():
        ids = [f"{u.rule} ({u.level})" for u in items]
        more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
        lines += [f"  {', '.join(ids[:shown])}{more}:", f"      why: {reason}", f"      to test it: {remedy}"]
    return lines


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
                "--oso-transfer",
                ",".join(TransferKind),  # every kind, not only a run's default ones
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
