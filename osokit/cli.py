"""The ``osokit`` command: thin subcommands that parse arguments and call one package each.

Exit codes: 0 success; 1 the checked thing failed (invalid dossiers, failed conformance, SLO
breach); 2 usage or setup errors (bad arguments, unreadable files, unreachable target); 3 a
conformance run that is INCOMPLETE (no MUST check failed, but a MUST rule was not tested).
Errors are one line on stderr; ``OSOKIT_DEBUG=1`` adds the traceback of an internal error.

Arguments are checked in two steps before any work starts (:func:`parse`): argparse for syntax, then
each subcommand's ``check`` for ranges, combinations and the files named, which turns them into
typed values. Both end, on bad input, in that subcommand's usage and one ``error:`` line.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from conformance.options import RunOptions
from oso.errors import UserError
from oso.profiles import Profile, Role, TransferKind
from reports.i18n import LANGUAGES

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class UsageError(UserError):
    """Arguments that cannot be used together or as given; like every UserError, one line and exit code 2."""


def invalid(flag: str, value: object, valid: str) -> UsageError:
    """The one shape of an argument error: the flag, the value given, and what would be valid."""
    return UsageError(f"{flag} {value}: {valid}")


def at_least(flag: str, value: float | None, low: float, high: float | None = None) -> None:
    """``value`` (unless None) within ``low`` .. ``high``; else :func:`invalid`."""
    if value is not None and (value < low or (high is not None and value > high)):
        raise invalid(flag, value, f"use {low}..{high}" if high is not None else f"use at least {low}")


Handler = Callable[[argparse.Namespace], int]
Check = Callable[[argparse.Namespace], None]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors show the usage of the (sub)command they are about.

    argparse hands a subcommand's unrecognised arguments up to the top-level parser, which reports
    them with the top-level usage; here the deepest parser reports them itself. It also remembers
    itself in the namespace (``args.command_parser``) so that :func:`parse` reports check errors the
    same way.
    """

    def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 - argparse's signature
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        if not hasattr(namespace, "command_parser"):
            namespace.command_parser = self
        return namespace, extras

    def error(self, message: str) -> NoReturn:
        """One line, whatever the value quoted in it holds (newlines, control characters are escaped)."""
        super().error("".join(c if c.isprintable() else repr(c)[1:-1] for c in message))


# --- fixtures ------------------------------------------------------------------------------------


def check_generate(args: argparse.Namespace) -> None:
    from fixtures.cohort import resolve
    from fixtures.generator import Size

    at_least("--count", args.count, 1)
    args.profile, args.size = Profile(args.profile), Size(args.size) if args.size else None
    if args.after_eindtoets and args.profile is not Profile.POVO:
        raise invalid("--after-eindtoets", f"with --profile {args.profile.value}", "only povo has an eindtoets update")
    resolve(args.profile, args.size, args.case, school_year=args.school_year)


def fixtures_generate(args: argparse.Namespace) -> int:
    from fixtures.cohort import write_cohort
    from osokit.progress import Progress

    summary = write_cohort(
        args.out,
        args.profile,
        args.count,
        seed=args.seed,
        size=args.size,
        case=args.case,
        school_year=args.school_year,
        after_eindtoets=args.after_eindtoets,
        force=args.force,
        progress=Progress(args.count, f"generating {args.profile.value}") if args.count >= 1000 else None,
    )
    size = f"{summary.bytes / 1e6:,.1f} MB"
    print(f"wrote {summary.count:,} {args.profile.value} dossiers ({size}) to {summary.directory}")
    print(f"manifest: {summary.manifest}")
    return EXIT_OK


def fixtures_validate(args: argparse.Namespace) -> int:
    from fixtures.validate import validate_paths
    from oso.schema import dossier_schema
    from oso.validation import failed

    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    schema = dossier_schema(args.schema_dir)
    files = bad = 0
    for path, problems in validate_paths(args.paths, schema):
        files += 1
        for problem in problems:
            print(problem.format(str(path)))
        bad += failed(problems)
    source = args.schema_dir or "osokit's own schema set"
    print(
        f"{files} file(s) checked against {source} and the business rules: {files - bad} valid, {bad} invalid",
        file=sys.stderr,
    )
    if files == 0:
        raise UsageError("no .xml files found in " + " ".join(map(str, args.paths)))
    return EXIT_FAILED if bad else EXIT_OK


def fixtures_cases(args: argparse.Namespace) -> int:
    from fixtures.cases import CASES, NOT_ALONE

    width = max(map(len, CASES))
    for title, known_bad in (("Edge cases (valid dossiers)", False), ("Known-bad variants (one rule each)", True)):
        print(title + ":")
        for case in CASES.values():
            if case.known_bad is known_bad:
                profiles = ",".join(p.value for p in case.profiles)
                needs = f" [{case.size.value}]" if case.size else ""
                print(f"  {case.name:<{width}}  {case.description} ({profiles}){needs}")
    print("Rules without a known-bad variant:")
    for rule, why in NOT_ALONE.items():
        print(f"  {rule:<{width}}  {why}")
    return EXIT_OK


# --- simulator --------------------------------------------------------------------------------------

DEFAULT_PORT = 8700
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def _non_negative(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of 0 or more")
    return int(value)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds (0 or more, less than a day)")
    return seconds


MAX_COHORT = 1_000_000
"""Generated pupils per profile a simulator holds (the national po-vo cohort is 185,000)."""
MAX_PROCESSES = 64
"""Processes, threads or simulator shards at most: a guard against a typo, above any machine osokit runs on."""


def _cohort(values: list[str] | None) -> dict[str, int] | None:
    if not values:
        return None
    profiles = [p.value for p in Profile]
    out = {}
    for item in values:
        profile, _, count = item.partition("=")
        if profile not in profiles or not count.isdigit() or int(count) > MAX_COHORT:
            raise invalid(
                "--cohort", item, f"use PROFILE=N with PROFILE one of {', '.join(profiles)} and N 0..{MAX_COHORT:,}"
            )
        out[profile] = int(count)
    return out


def _host(flag: str, host: str, allow_remote: bool) -> None:
    """An IP address or host name; loopback unless ``allow_remote``."""
    import ipaddress
    import re

    from simulator.server import is_loopback

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*", host):
            raise invalid(flag, host, "not an IP address or host name") from None
    if not is_loopback(host) and not allow_remote:
        raise invalid(flag, host, "not a loopback address; use 127.0.0.1 or ::1, or add --allow-remote")


def _readable_file(flag: str, path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise invalid(flag, path, "no such file" if not path.exists() else "not a file")


def _fault_profile(flag: str, given: Path | None) -> Path | None:
    """A fault-profile file, or the name of one that ships with osokit (so it works outside the checkout)."""
    from simulator.faultinject import shipped_profiles

    shipped = {path.stem: path for path in shipped_profiles()}
    if given is None or given.is_file() or str(given) not in shipped:
        _readable_file(flag, given)
        return given
    return shipped[str(given)]


def check_serve(args: argparse.Namespace) -> None:
    from simulator.faultinject import FaultProfile, FaultProfileError
    from simulator.register import ScenarioError, load_scenario

    _host("--host", args.host, args.allow_remote)
    at_least("--port", args.port, 0, 65535)
    at_least("--evidence-bodies", args.evidence_bodies, 0)
    args.cohort = _cohort(args.cohort)
    if args.vut:
        from simulator.mutants import vendor_under_test

        try:
            args.vut = vendor_under_test(args.vut)  # the LAS class for the slot, from the mutant registry
        except UserError:
            valid = "use reference or mutant:<name> (`osokit conformance mutants --list`)"
            raise invalid("--vut", args.vut, valid) from None
    _readable_file("--scenario", args.scenario)
    args.faults = _fault_profile("--faults", args.faults)
    try:
        if args.scenario:
            load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(f"--scenario: {exc}") from None
    try:
        if args.faults:
            FaultProfile.load(args.faults)
    except FaultProfileError as exc:
        raise UsageError(f"--faults: {exc}") from None
    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise invalid("--data-dir", args.data_dir, "is a file; give a folder")


def serve(args: argparse.Namespace) -> int:
    from simulator.server import banner, prepare
    from simulator.server import serve as run
    from simulator.service import Config

    config = Config(
        data_dir=args.data_dir,
        scenario=args.scenario,
        faults=args.faults,
        tls=args.tls,
        pki_dir=args.pki_dir,
        fsync=args.fsync,
        evidence_bodies=args.evidence_bodies,
        show_pgn=args.show_pgn,
        evidence_max_mb=args.evidence_max_mb,
        disk_floor_mb=args.disk_floor_mb,
        header_timeout=args.header_timeout,
        max_connections_per_client=args.max_connections_per_client,
        zoeksleutel_scheme=args.zoeksleutel_scheme,
        cohort=args.cohort,
        vut=args.vut,
    )
    prepared = prepare(
        config,
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        log_level=args.log_level,
        admin_token_file=args.admin_token_file,
    )
    banner(prepared, sys.stdout)
    run(prepared)
    return EXIT_OK


def _url(flag: str, url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(flag, url, "use an http:// or https:// URL, e.g. http://127.0.0.1:8700")


def check_zoeksleutel(args: argparse.Namespace) -> None:
    _url("--url", args.url)


def zoeksleutel(args: argparse.Namespace) -> int:
    import httpx

    from simulator.access import client_headers, read_token

    token = read_token(args.admin_token_file) if args.admin_token_file else None
    try:
        response = httpx.post(
            f"{args.url.rstrip('/')}/admin/zoeksleutel",
            json={"pgn": args.pgn},
            headers=client_headers(token),
            timeout=10,
        )
        data = response.json()
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise UsageError(f"no simulator at {args.url}: {exc} (start one with `osokit serve`)") from None
    except ValueError:
        raise UsageError(f"{args.url} is not an osokit simulator (HTTP {response.status_code}, not JSON)") from None
    if response.status_code != 200:
        raise UsageError(data.get("error", response.text) if isinstance(data, dict) else response.text)
    print(data["pgnfrag"] if args.pgnfrag else data["zoeksleutel"])
    return EXIT_OK


def check_pki(args: argparse.Namespace) -> None:
    from simulator.pki import PkiError, check_vendor_id

    for vendor in args.vendor:
        try:
            check_vendor_id(vendor)
        except PkiError as exc:
            raise UsageError(f"--vendor: {exc}") from None
    if args.dir.exists() and not args.dir.is_dir():
        raise invalid("--dir", args.dir, "is a file; give a folder")


def pki_init(args: argparse.Namespace) -> int:
    from simulator.pki import init_pki

    vendors = ["reference", *[v for v in args.vendor if v != "reference"]]
    pki = init_pki(args.dir, vendors, force=args.force)
    print(f"test PKI in {pki.directory} (never use it outside tests)")
    print(f"  CA          {pki.ca_cert}")
    print(f"  server      {pki.server_cert}  {pki.server_key}")
    for vendor in vendors:
        print(f"  {vendor:<11} {pki.vendor_cert(vendor)}  {pki.vendor_key(vendor)}")
    print(f"serve with: osokit serve --tls --pki-dir {pki.directory}")
    for vendor in vendors[1:]:  # what a vendor's LAS needs for mutual TLS (docs/conformance.md, Mutual TLS)
        print(
            f"vendor {vendor}: trust {pki.ca_cert}, present {pki.vendor_cert(vendor)} (key {pki.vendor_key(vendor)}) "
            f"to the Traffic Center and schools, serve the aanleverpunten with {pki.server_cert} "
            f"(key {pki.server_key}); certify with: osokit conformance run --target URL --tls on "
            f"--pki-dir {pki.directory}"
        )
    return EXIT_OK


# --- conformance ------------------------------------------------------------------------------------


def conformance_run(args: argparse.Namespace) -> int:
    import dataclasses
    import shlex
    import time

    from conformance.run import describe, run

    options = RunOptions.from_values(lambda dest: getattr(args, dest))
    options = dataclasses.replace(options, command=shlex.join(["osokit", *sys.argv[1:]]))
    started = time.monotonic()
    outcome = run(options, quiet=True)  # pytest's own progress dots stay out of the console
    print(describe(outcome, time.monotonic() - started))
    if outcome.error:
        print(f"osokit: error: {outcome.error}", file=sys.stderr)
    return outcome.code


def conformance_rules(args: argparse.Namespace) -> int:
    import json

    from conformance.run import rules_with_coverage
    from reports.results import Results, ResultsError

    last = None
    if args.results:
        try:
            last = Results.load(args.results)
        except (ResultsError, OSError) as exc:  # named by its flag
            raise UsageError(f"--results: {exc}") from None
    rows = rules_with_coverage(last)
    if args.role:
        rows = [r for r in rows if args.role in r.rule.roles]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.rule.id,
                        "text": r.rule.text,
                        "source": r.rule.source,
                        "level": r.rule.level,
                        "roles": list(r.rule.roles),
                        "kind": r.rule.kind,
                        "transfers": [p.value for p in r.rule.profiles],
                        "checks": list(r.checks),
                        "last": r.last,
                    }
                    for r in rows
                ],
                indent=1,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    width = max(len(r.rule.id) for r in rows)
    for r in rows:
        last_result = f"  last: {r.last}" if r.last else ""
        print(f"{r.rule.id:<{width}}  {r.rule.level:<6} {'/'.join(r.rule.roles):<9} {r.rule.text}")
        print(f"{'':<{width}}  {len(r.checks)} check(s){last_result}; source: {r.rule.source}")
        for check in r.checks if args.verbose else ():
            print(f"{'':<{width}}    {check}")
    untested = [r.rule.id for r in rows if not r.checks]
    bron_only = [k.value for k in TransferKind if Role.DOEL not in k.roles]
    print(
        f"\nthe doel role is certified for {', '.join(k for k in TransferKind if Role.DOEL in k.roles)}; "
        f"{', '.join(bron_only)} in the bron role only (the doel rules do not concern them)",
        file=sys.stderr,
    )
    print(
        f"\n{len(rows)} rules, {sum(len(r.checks) for r in rows)} checks; "
        f"rules without a check: {', '.join(untested) or 'none'}",
        file=sys.stderr,
    )
    return EXIT_OK


def check_mutants(args: argparse.Namespace) -> None:
    at_least("--jobs", args.jobs, 1, MAX_PROCESSES)


def conformance_mutants(args: argparse.Namespace) -> int:
    import time

    from conformance.mutation import MutantResult, run_mutants, workers
    from conformance.run import SETUP_ERROR, run
    from simulator.mutants import MUTANTS, conformance_mutants

    names = args.only or (list(MUTANTS) if args.list else conformance_mutants())
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        raise UsageError(f"unknown mutant(s): {', '.join(unknown)} (`osokit conformance mutants --list`)")
    width = max(map(len, names))
    if args.list:
        for name in names:
            m = MUTANTS[name]
            note = "  (performance: not in the mutation run)" if m.performance else ""
            print(f"{name:<{width}}  {m.role:<4}  {m.defect}{note}")
        return EXIT_OK
    # the reference must pass every transfer kind a mutant plays, the bron-only ones included
    every_kind = RunOptions(seed=args.seed, out=args.out / "reference", transfers=tuple(TransferKind))
    reference = run(every_kind, quiet=True)
    if reference.code != 0:
        print(
            f"the reference LAS does not pass the suite ({reference.error or 'see ' + str(args.out)}); "
            "a mutation score would mean nothing",
            file=sys.stderr,
        )
        return SETUP_ERROR if reference.code == SETUP_ERROR else EXIT_FAILED
    assert reference.results is not None, "a run that passed has results"
    print(
        f"reference LAS: PASS ({reference.results.summary.total} checks); running {len(names)} mutants, "
        f"{workers(args.jobs, len(names))} at a time",
        file=sys.stderr,
    )

    def show(r: MutantResult) -> None:
        verdict = (
            ("CAUGHT by " + ", ".join(r.caught_by)) if r.caught else f"SURVIVED{': ' + r.error if r.error else ''}"
        )
        print(f"{r.name:<{width}}  {verdict}", flush=True)

    started = time.monotonic()
    results = run_mutants(names, args.out, seed=args.seed, jobs=args.jobs, on_result=show)
    caught = sum(r.caught for r in results)
    print(f"details: {args.out / 'mutants.json'}; {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(f"mutation score: {caught}/{len(results)}")
    return EXIT_OK if caught == len(results) else EXIT_FAILED


# --- load ------------------------------------------------------------------------------------------


USER_CLASSES = ("DoelLas", "BatchDoelLas", "ReRequestLas", "NotifyingBron", "BronHammer")
"""The user classes of load/locustfile.py (named here so that checking them does not import locust)."""


def check_load_run(args: argparse.Namespace) -> None:
    from load import slo
    from load.run import seconds

    if args.target is not None:
        _url("--target", args.target)
    at_least("--users", args.users, 1)
    at_least("--processes", args.processes, 1, MAX_PROCESSES)
    at_least("--max-requests", args.max_requests, 1)
    if args.spawn_rate is not None and not args.spawn_rate > 0:  # also NaN
        raise invalid("--spawn-rate", args.spawn_rate, "use a number of users per second above 0")
    args.duration = seconds(args.duration)
    if args.slo is not None:
        slo.parse(args.slo)
    if not 0 < args.duration <= 7 * 24 * 3600:
        raise invalid("--duration", f"{args.duration:g}s", "use more than 0 and at most 7 days")
    for name in args.user_class:
        if name not in USER_CLASSES:
            raise invalid("--user-class", name, f"choose from {', '.join(USER_CLASSES)}")
    at_least("--port", args.port, 0, 65535)
    if not args.start_simulator:
        for flag, given in (("--faults", args.faults), ("--cohort", args.cohort), ("--port", args.port)):
            if given is not None:
                raise invalid(flag, given, "only with --start-simulator (a running --target keeps its own)")
    args.faults = _fault_profile("--faults", args.faults)
    at_least("--cohort", args.cohort, 1, MAX_COHORT)
    args.cohort = 10_000 if args.cohort is None else args.cohort


def load_run(args: argparse.Namespace) -> int:
    from load.run import LoadRun, load_run

    return load_run(
        LoadRun(
            shape=args.shape,
            users=args.users,
            duration=args.duration,
            out=args.out,
            target=args.target,
            start_simulator=args.start_simulator,
            slo_spec=args.slo,
            processes=args.processes,
            spawn_rate=args.spawn_rate,
            faults=args.faults,
            cohort=args.cohort,
            user_classes=tuple(args.user_class),
            seed=args.seed,
            max_requests=args.max_requests,
            port=args.port or 0,
        )
    )


def check_replay(args: argparse.Namespace) -> None:
    at_least("--cohort", args.cohort, 1, MAX_COHORT)
    at_least("--processes", args.processes, 1, MAX_PROCESSES)
    at_least("--users", args.users, 0)
    at_least("--shards", args.shards, 0, MAX_PROCESSES)
    at_least("--port", args.port, 0, 65535 - MAX_PROCESSES)


def load_replay(args: argparse.Namespace) -> int:
    from load.run import Replay, replay

    return replay(
        Replay(
            cohort=args.cohort,
            processes=args.processes,
            users=args.users,
            shards=args.shards,
            out=args.out,
            port=args.port,
        )
    )


def _ports(flag: str, text: str) -> tuple[int, int]:
    """``P`` or ``P-Q``: the first port and the next (or Q); ``0``: free ones."""
    first, _, last = text.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise invalid(flag, text, "use a port, e.g. 8700, or a range, e.g. 8700-8701 (0: free ports)")
    low, high = int(first), int(last) if last else (int(first) + 1 if int(first) else 0)
    if not low <= 65535 or not high <= 65535 or (low and high <= low) or (last and not low):
        raise invalid(flag, text, "use ports 1..65535, a range low-high with high above low, or 0 (free ports)")
    return low, high


def check_capacity(args: argparse.Namespace) -> None:
    from load import slo
    from load.demand import parse_share
    from load.run import seconds

    _url("--target", args.target)
    _host("--host", args.host, args.allow_remote)
    if not args.allow_remote:
        _host("--target", urlsplit(args.target).hostname or "", False)
    at_least("--processes", args.processes, 1, MAX_PROCESSES)
    at_least("--remote-workers", args.remote_workers, 0, MAX_PROCESSES)
    if args.remote_workers and args.remote_workers > args.processes:
        raise invalid("--remote-workers", args.remote_workers, f"at most --processes ({args.processes})")
    at_least("--schools", args.schools, 1)
    at_least("--pupils", args.pupils, 1, 100_000)
    at_least("--batch", args.batch, 0, 10_000)
    at_least("--cohort", args.cohort, 1, MAX_COHORT)
    if not args.max_rate > 0:  # also NaN
        raise invalid("--max-rate", args.max_rate, "use a number of transfers per second above 0")
    args.ports = _ports("--port", args.port)
    args.step_duration = seconds(args.step_duration)
    slo.parse(args.slo)
    args.share = parse_share(args.share) if args.share is not None else None
    if not 1 <= args.step_duration <= 3600:
        raise invalid("--step-duration", f"{args.step_duration:g}s", "use 1s to 1h")
    args.faults = _fault_profile("--faults", args.faults)
    _readable_file("--control-token-file", args.control_token_file)


def load_capacity(args: argparse.Namespace) -> int:
    import shlex

    from load.capacity import CapacityRun, capacity

    return capacity(
        CapacityRun(
            target=args.target,
            role=args.role,
            out=args.out,
            slo_spec=args.slo,
            max_rate=args.max_rate,
            step_s=args.step_duration,
            schools=args.schools,
            share=args.share,
            processes=args.processes,
            remote_workers=args.remote_workers,
            host=args.host,
            ports=args.ports,
            allow_remote=args.allow_remote,
            pupils=args.pupils,
            batch=args.batch,
            cohort=args.cohort,
            faults=args.faults,
            seed=args.seed,
            control_token_file=args.control_token_file,
            command=shlex.join(["osokit", *sys.argv[1:]]),
        )
    )


def check_worker(args: argparse.Namespace) -> None:
    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise invalid("--master", args.master, "use HOST:PORT, as `osokit load capacity` printed it")
    _host("--master", host.strip("[]"), True)
    at_least("--processes", args.processes, 1, MAX_PROCESSES)
    args.master_host, args.master_port = host.strip("[]"), int(port)


def load_worker(args: argparse.Namespace) -> int:
    import subprocess

    from load.capacity import LOCUSTFILE

    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker"]
    command += ["--master-host", args.master_host, "--master-port", str(args.master_port)]
    command += ["--processes", str(args.processes)] if args.processes > 1 else []
    print(f"locust worker(s) for the capacity run at {args.master}; they stop when it does", file=sys.stderr)
    return subprocess.run(command, check=False).returncode


# --- reports ----------------------------------------------------------------------------------------


def report(args: argparse.Namespace) -> int:
    from reports import write_all
    from reports.diff import diff, render_diff_text
    from reports.results import Results

    if args.report_command == "diff":
        d = diff(Results.load(args.old), Results.load(args.new))
        print(render_diff_text(d))
        return EXIT_FAILED if d.regressed else EXIT_OK
    results = Results.load(args.results)
    if args.report_command == "validate":
        from reports.results import consistency

        problems = consistency(results)
        for problem in problems:
            print(f"{args.results}: {problem}")
        print(
            f"{args.results}: {'valid' if not problems else f'{len(problems)} problem(s)'} ({results.schema})",
            file=sys.stderr,
        )
        return EXIT_FAILED if problems else EXIT_OK
    for kind, path in write_all(results, args.out, lang=args.lang).items():
        print(f"{kind:<5} {path}")
    return EXIT_OK


# --- demo ------------------------------------------------------------------------------------------


def demo(args: argparse.Namespace) -> int:
    from osokit.demo import run_demo

    return run_demo(args.out, seed=args.seed)


# --- the parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    parser = Parser(
        prog="osokit",
        description="Test harness for OSO (Overstapservice Onderwijs): synthetic dossiers, a simulated "
        "broker, a conformance suite and load tests.",
    )
    parser.add_argument("--version", action="version", version=f"osokit {version('osokit')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fx = sub.add_parser("fixtures", help="generate, validate and list synthetic dossiers")
    fxs = fx.add_subparsers(dest="fixtures_command", metavar="SUBCOMMAND", required=True)

    gen = fxs.add_parser("generate", help="write a cohort of synthetic dossiers and manifest.json")
    gen.add_argument("--profile", required=True, choices=[p.value for p in Profile], help="transfer profile")
    gen.add_argument("--count", required=True, type=int, metavar="N", help="number of dossiers")
    gen.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0); same arguments, same bytes")
    gen.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created if needed)")
    gen.add_argument(
        "--size",
        choices=["opt-out", "full"],
        default=None,
        help="opt-out: optional categories left out (default); full: all categories, PDF attachments",
    )
    gen.add_argument("--case", metavar="NAME", help="an edge case or known-bad variant (see `osokit fixtures cases`)")
    gen.add_argument(
        "--school-year",
        type=int,
        default=2025,
        metavar="YEAR",
        help="first calendar year of the school year the dossiers are made in (default 2025)",
    )
    gen.add_argument(
        "--after-eindtoets",
        action="store_true",
        help="POVO: the updated dossier prepared after the eindtoets (May), with its results",
    )
    gen.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that holds an earlier cohort: its dossiers and manifest are removed first",
    )
    gen.set_defaults(handler=fixtures_generate, check=check_generate)

    val = fxs.add_parser("validate", help="check dossiers against the XSD and the business rules")
    val.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="dossier files or folders")
    val.add_argument(
        "--schema-dir",
        type=Path,
        metavar="DIR",
        help="validate with the official schema files in DIR instead of osokit's own",
    )
    val.set_defaults(handler=fixtures_validate)

    cases = fxs.add_parser("cases", help="list the edge cases and known-bad variants")
    cases.set_defaults(handler=fixtures_cases)

    sv = sub.add_parser("serve", help="run the OSO simulator (Traffic Center + reference LAS) under uvicorn")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only, default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    sv.add_argument(
        "--data-dir",
        type=Path,
        default=Path("out/simulator"),
        metavar="DIR",
        help="where the SQLite state lives (default out/simulator); reused across restarts",
    )
    sv.add_argument("--scenario", type=Path, metavar="FILE", help="scenario TOML (default: the shipped default)")
    sv.add_argument(
        "--faults",
        type=Path,
        metavar="FILE",
        help="fault-injection profile TOML, or the name of one that ships with osokit (e.g. flaky-bron)",
    )
    sv.add_argument("--tls", action="store_true", help="HTTPS with one client certificate per vendor (mTLS)")
    sv.add_argument("--pki-dir", type=Path, default=Path("pki"), metavar="DIR", help="test PKI (osokit pki init)")
    sv.add_argument("--fsync", action="store_true", help="fsync every commit: durable against a machine crash too")
    sv.add_argument(
        "--evidence-bodies",
        type=int,
        default=1,
        metavar="N",
        help="keep message bodies of every Nth exchange (1 = all, default; 0 = none)",
    )
    sv.add_argument("--show-pgn", action="store_true", help="keep pupil numbers in clear in the evidence log")
    sv.add_argument(
        "--evidence-max-mb",
        type=_non_negative,
        default=1024,
        metavar="MB",
        help="cap on the evidence log: past it the oldest exchanges are deleted first (default 1024; 0 = no cap)",
    )
    sv.add_argument(
        "--disk-floor-mb",
        type=_non_negative,
        default=64,
        metavar="MB",
        help="refuse new sessions (TijdelijkNietBeschikbaar) while the data dir's disk has less free space "
        "(default 64; 0 = no floor)",
    )
    sv.add_argument(
        "--zoeksleutel-scheme",
        default="hmac-sha256",
        choices=["hmac-sha256", "plain"],
        help="how a PGN becomes a zoeksleutel (plain puts it in clear: debugging only)",
    )
    sv.add_argument(
        "--header-timeout",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="close a connection whose request headers are not complete within S seconds (default 10; 0 = never)",
    )
    sv.add_argument(
        "--max-connections-per-client",
        type=_non_negative,
        default=256,
        metavar="N",
        help="connections one client (IP address) may hold at once; more get HTTP 503 (default 256; 0 = no limit)",
    )
    sv.add_argument("--cohort", action="append", metavar="PROFILE=N", help="generated pupils, e.g. povo=185000")
    sv.add_argument(
        "--vut",
        metavar="LAS",
        help="also host a vendor under test (reference or mutant:<name>) with its "
        "control API at /control: a stand-in for a vendor's test environment",
    )
    sv.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve on a --host that is not loopback (for a vendor's test LAS on another machine; "
        "osokit's own tests and load runs still send only to loopback)",
    )
    sv.add_argument(
        "--admin-token-file",
        type=Path,
        metavar="FILE",
        help="the admin token (one word, 16+ characters) the admin API, pages and control API then require; "
        "without it a token is generated and printed whenever access is guarded (--tls, not loopback, several vendors)",
    )
    sv.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    sv.set_defaults(handler=serve, check=check_serve)

    zk = sub.add_parser("zoeksleutel", help="print the zoeksleutel of a pupil number for a running simulator")
    zk.add_argument("--pgn", required=True, help="the BSN or onderwijsnummer")
    zk.add_argument(
        "--admin-token-file", type=Path, metavar="FILE", help="the simulator's admin token (else $OSOKIT_ADMIN_TOKEN)"
    )
    zk.add_argument("--url", default=DEFAULT_URL, help=f"the simulator (default {DEFAULT_URL})")
    zk.add_argument("--pgnfrag", action="store_true", help="print the pgnfrag instead")
    zk.set_defaults(handler=zoeksleutel, check=check_zoeksleutel)

    pk = sub.add_parser("pki", help="test certificates for mTLS")
    pks = pk.add_subparsers(dest="pki_command", metavar="SUBCOMMAND", required=True)
    pki = pks.add_parser("init", help="create a test CA, a server certificate and one client certificate per vendor")
    pki.add_argument("--dir", type=Path, default=Path("pki"), metavar="DIR", help="where to write (default pki)")
    pki.add_argument("--vendor", action="append", default=[], metavar="ID", help="a vendor id (repeatable)")
    pki.add_argument("--force", action="store_true", help="make a new CA even if one exists")
    pki.set_defaults(handler=pki_init, check=check_pki)

    cf = sub.add_parser("conformance", help="certify a LAS: run the suite, list the rules, run the mutants")
    cfs = cf.add_subparsers(dest="conformance_command", metavar="SUBCOMMAND", required=True)
    cr = cfs.add_parser(
        "run",
        help="run the conformance suite against a LAS and write the reports",
        description="Exit 0 (PASS) when every MUST rule that applies ran and passed, 1 (FAIL) when a MUST "
        "check failed, 2 when the run cannot be set up (unknown target, unreachable control API, bad "
        "adapter, --out not writable) or the LAS stops answering, 3 (INCOMPLETE) when no MUST check "
        "failed but a MUST rule was not tested (listed first, with why).",
    )
    RunOptions.add_arguments(cr.add_argument)
    cr.set_defaults(handler=conformance_run)

    cl = cfs.add_parser("rules", help="print the rules catalogue with its coverage (rule -> checks -> last result)")
    cl.add_argument("--results", type=Path, metavar="FILE", help="a results.json to take the last results from")
    cl.add_argument("--role", choices=["doel", "bron"], help="only the rules of this role")
    cl.add_argument("-v", "--verbose", action="store_true", help="list each rule's checks")
    cl.add_argument("--json", action="store_true", help="print JSON instead of text")
    cl.set_defaults(handler=conformance_rules)

    cm = cfs.add_parser("mutants", help="run the suite against every built-in faulty LAS; exit 0 only at 100%%")
    cm.add_argument("--list", action="store_true", help="list the mutants and their defects")
    cm.add_argument("--only", action="append", default=[], metavar="NAME", help="this mutant only; repeatable")
    cm.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes running mutants side by side (default: one per CPU); 1 runs them one after the "
        "other; the output and mutants.json are the same for every N",
    )
    cm.add_argument("--seed", type=int, default=0, metavar="S")
    cm.add_argument("--out", type=Path, default=Path("out/mutants"), metavar="DIR", help="per-mutant results")
    cm.set_defaults(handler=conformance_mutants, check=check_mutants)

    ld = sub.add_parser("load", help="capacity tests: locust scenarios, the spring-intake shapes, the national replay")
    lds = ld.add_subparsers(dest="load_command", metavar="SUBCOMMAND", required=True)
    lr = lds.add_parser(
        "run",
        help="a headless locust run with an SLO gate (exit 1 when it fails)",
        description="Runs load/locustfile.py headless against a simulator: CSV and HTML under --out, "
        "a summary with the conformance-failure rate, and the SLO gate. Loopback targets only.",
    )
    where = lr.add_mutually_exclusive_group(required=True)
    where.add_argument("--target", metavar="URL", help="a running osokit simulator, e.g. http://127.0.0.1:8700")
    where.add_argument("--start-simulator", action="store_true", help="start one for this run (in --out/simulator)")
    lr.add_argument(
        "--shape",
        default="steady",
        choices=["spring-peak", "steady", "spike", "constant"],
        help="the load shape (default steady); spring-peak plays February to June in --duration",
    )
    lr.add_argument("--users", type=int, default=20, metavar="N", help="users at the peak (default 20)")
    lr.add_argument("--duration", default="60s", metavar="T", help="run time, e.g. 90s, 10m (default 60s)")
    lr.add_argument("--spawn-rate", type=float, metavar="R", help="users started per second (default users/5)")
    lr.add_argument("--out", type=Path, default=Path("out/load"), metavar="DIR", help="where CSV, HTML and JSON go")
    lr.add_argument("--slo", metavar="SPEC", help='objectives, e.g. "p99<250ms,errors=0,conformance=0"')
    lr.add_argument("--processes", type=int, default=1, metavar="K", help="locust processes (master + workers)")
    lr.add_argument(
        "--faults", type=Path, metavar="FILE", help="with --start-simulator: a fault profile (file or shipped name)"
    )
    lr.add_argument("--cohort", type=int, metavar="N", help="with --start-simulator: povo pupils (default 10,000)")
    lr.add_argument(
        "--user-class",
        action="append",
        default=[],
        metavar="NAME",
        help="only these user classes (DoelLas, BatchDoelLas, ReRequestLas, NotifyingBron, BronHammer)",
    )
    lr.add_argument("--seed", type=int, default=0, metavar="S")
    lr.add_argument("--max-requests", type=int, default=2_000_000, metavar="N", help="stop after N requests")
    lr.add_argument("--port", type=int, metavar="P", help="with --start-simulator: its port (default: a free one)")
    lr.set_defaults(handler=load_run, check=check_load_run)
    lp = lds.add_parser("replay", help="the national po-vo cohort, each pupil one full transfer; zero lost or exit 1")
    lp.add_argument("--cohort", type=int, default=185_000, metavar="N", help="pupils (default 185,000)")
    lp.add_argument("--processes", type=int, default=1, metavar="K", help="locust processes")
    lp.add_argument(
        "--shards",
        type=int,
        default=0,
        metavar="S",
        help="simulator instances sharing the cohort (default: one per core)",
    )
    lp.add_argument(
        "--users", type=int, default=0, metavar="N", help="concurrent transfers (default: 2 per simulator shard)"
    )
    lp.add_argument("--out", type=Path, default=Path("out/replay"), metavar="DIR")
    lp.add_argument(
        "--port", type=int, default=0, metavar="P", help="simulator shard k listens on P+k (default: free ports)"
    )
    lp.set_defaults(handler=load_replay, check=check_replay)
    lc = lds.add_parser(
        "capacity",
        help="step the load on a vendor's LAS until the SLO breaks; the knee beside the spring peak's demand",
        description="Runs a simulator and locust (load/capacityfile.py) against the LAS behind a control API: "
        "as bron, simulated vo schools ask for pupils it prepared; as doel, they make it fetch their intake. "
        "Writes capacity.json and capacity.html under --out. Exit 0 when every role has headroom (sustains "
        "at least what the national peak needs), 1 when one has not, 2 when the run cannot start.",
    )
    lc.add_argument(
        "--target", required=True, metavar="URL", help="the LAS's control API, e.g. http://127.0.0.1:9000/control"
    )
    lc.add_argument("--role", required=True, choices=["bron", "doel", "both"], help="the role(s) to load")
    lc.add_argument("--out", required=True, type=Path, metavar="DIR", help="where capacity.json, capacity.html go")
    lc.add_argument(
        "--slo",
        default="p99<250ms,errors=0,conformance=0",
        metavar="SPEC",
        help="what every step must hold (default %(default)s)",
    )
    lc.add_argument(
        "--max-rate",
        type=float,
        default=200.0,
        metavar="R",
        help="bron: the highest transfers/s offered; doel: stop once this is reached (default 200)",
    )
    lc.add_argument(
        "--step-duration", default="30s", metavar="T", help="how long each step holds its load (default 30s)"
    )
    demand = lc.add_mutually_exclusive_group()
    demand.add_argument(
        "--schools", type=int, metavar="N", help="the vendor's schools (po as bron, vo as doel): the demand's share"
    )
    demand.add_argument(
        "--share", metavar="P", help="the vendor's share of the schools, e.g. 25%% or 0.25 (default: the whole country)"
    )
    lc.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="K",
        help="locust workers in all (1: one process; more: a master and K workers)",
    )
    lc.add_argument(
        "--remote-workers",
        type=int,
        default=0,
        metavar="N",
        help="of the --processes, this many join from other machines (osokit load worker)",
    )
    lc.add_argument(
        "--host", default="127.0.0.1", help="where the run's simulator and locust's master listen (default 127.0.0.1)"
    )
    lc.add_argument(
        "--port",
        default="0",
        metavar="P",
        help="the simulator's port and the master's (P+1), or a range P-Q; 0 (default): free ports",
    )
    lc.add_argument(
        "--allow-remote", action="store_true", help="a target, --host or aanleverpunten that are not loopback"
    )
    lc.add_argument("--pupils", type=int, default=100, metavar="N", help="bron: pupils the LAS prepares (default 100)")
    lc.add_argument(
        "--batch", type=int, default=0, metavar="N", help="doel: pupils per intake (default: 40 to 240, drawn)"
    )
    lc.add_argument(
        "--cohort",
        type=int,
        default=5_000,
        metavar="N",
        help="doel: pupils at the simulator's po schools (default 5,000)",
    )
    lc.add_argument(
        "--faults",
        type=Path,
        metavar="FILE",
        help="doel: a fault profile for the simulator's schools and TC (file or shipped name)",
    )
    lc.add_argument("--seed", type=int, default=0, metavar="S")
    lc.add_argument(
        "--control-token-file",
        type=Path,
        metavar="FILE",
        help="a file holding the token the LAS's control API asks for (Authorization: Bearer), as in "
        "`osokit conformance run`; e.g. the admin token of an `osokit serve --vut ...` beyond loopback",
    )
    lc.set_defaults(handler=load_capacity, check=check_capacity)
    lw = lds.add_parser("worker", help="locust worker(s) for a capacity run on another machine")
    lw.add_argument("--master", required=True, metavar="HOST:PORT", help="the capacity run's master, as it printed it")
    lw.add_argument("--processes", type=int, default=1, metavar="K", help="worker processes here (default 1)")
    lw.set_defaults(handler=load_worker, check=check_worker)

    rp = sub.add_parser("report", help="render, validate or compare results.json files")
    rps = rp.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    ra = rps.add_parser("all", help="write results.json, junit.xml and report.html from a results.json")
    ra.add_argument("results", type=Path, metavar="RESULTS")
    ra.add_argument("--out", type=Path, required=True, metavar="DIR")
    ra.add_argument("--lang", default="en", choices=LANGUAGES, help="the language of report.html (default en)")
    rv = rps.add_parser("validate", help="check a results.json against the schema and itself")
    rv.add_argument("results", type=Path, metavar="RESULTS")
    rd = rps.add_parser("diff", help="what changed between two runs; exit 1 when something regressed")
    rd.add_argument("old", type=Path, metavar="OLD")
    rd.add_argument("new", type=Path, metavar="NEW")
    for p in (ra, rv, rd):
        p.set_defaults(handler=report)

    dm = sub.add_parser("demo", help="run the whole harness once and say where the reports are")
    dm.add_argument("--out", type=Path, default=Path("out/demo"), metavar="DIR", help="output folder")
    dm.add_argument("--seed", type=int, default=0, metavar="S")
    dm.set_defaults(handler=demo)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Arguments as typed, checked values; nothing is started or written. Bad input exits 2 (SystemExit)
    with the usage of the subcommand concerned and one ``error:`` line naming the flag and value."""
    args = build_parser().parse_args(argv)
    check: Check | None = getattr(args, "check", None)
    if check is not None:
        try:
            check(args)
        except UserError as exc:  # a check's own, or one of the code it asks (a case, a duration, an SLO)
            args.command_parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        build_parser().print_help()
        return EXIT_OK
    try:
        args = parse(argv)
    except SystemExit as exc:  # argparse's way out: --help, --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    # SIGTERM (CI time-outs, `kill`) unwinds like Ctrl-C, so child simulators and locusts are stopped too
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return handler(args)
    except UserError as exc:  # every error about what the user asked for or gave: one line, exit 2
        print(f"osokit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("osokit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        print(f"osokit: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a clear line
        print(f"osokit: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("OSOKIT_DEBUG"):
            traceback.print_exc()
        else:
            print("osokit: set OSOKIT_DEBUG=1 for the traceback, and please report it", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
