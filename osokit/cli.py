"""The ``osokit`` command: thin subcommands that parse arguments and call one package each.

Exit codes: 0 success; 1 the checked thing failed (invalid dossiers, failed conformance, SLO
breach); 2 usage or setup errors (bad arguments, unreadable files, unreachable target).
Errors are one line on stderr; ``OSOKIT_DEBUG=1`` adds the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from oso.errors import UserError
from oso.profiles import Profile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class UsageError(UserError):
    """Arguments that cannot be used together or as given; like every UserError, one line and exit code 2."""


Handler = Callable[[argparse.Namespace], int]


# --- fixtures ------------------------------------------------------------------------------------


def fixtures_generate(args: argparse.Namespace) -> int:
    from fixtures.cohort import write_cohort
    from fixtures.generator import Size
    from osokit.progress import Progress

    if args.count < 1:
        raise UsageError("--count must be at least 1")
    summary = write_cohort(
        args.out,
        Profile(args.profile),
        args.count,
        seed=args.seed,
        size=Size(args.size) if args.size else None,
        case=args.case,
        school_year=args.school_year,
        after_eindtoets=args.after_eindtoets,
        progress=Progress(args.count, f"generating {args.profile}") if args.count >= 1000 else None,
    )
    print(f"wrote {summary.count:,} {args.profile} dossiers ({summary.bytes / 1e6:,.1f} MB) to {summary.directory}")
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


def _cohort(values: list[str] | None) -> dict[str, int] | None:
    if not values:
        return None
    out = {}
    for item in values:
        profile, _, count = item.partition("=")
        if profile not in [p.value for p in Profile] or not count.isdigit():
            raise UsageError(f"--cohort {item}: use PROFILE=N, e.g. povo=185000")
        out[profile] = int(count)
    return out


def serve(args: argparse.Namespace) -> int:
    from simulator.mutants import vendor_under_test
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
        zoeksleutel_scheme=args.zoeksleutel_scheme,
        cohort=_cohort(args.cohort),
        vut=vendor_under_test(args.vut) if args.vut else None,
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
    except httpx.HTTPError as exc:
        raise UsageError(f"no simulator at {args.url}: {exc} (start one with `osokit serve`)") from None
    data = response.json()
    if response.status_code != 200:
        raise UsageError(data.get("error", response.text))
    print(data["pgnfrag"] if args.pgnfrag else data["zoeksleutel"])
    return EXIT_OK


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
    return EXIT_OK


# --- conformance ------------------------------------------------------------------------------------


def _transfers(value: str) -> tuple[str, ...]:
    from conformance.harness import TRANSFERS

    chosen = tuple(x.strip() for x in value.split(",") if x.strip())
    unknown = sorted(set(chosen) - set(TRANSFERS))
    if unknown or not chosen:
        raise UsageError(f"--transfer {value}: choose from {','.join(TRANSFERS)} (comma-separated)")
    return chosen


def conformance_run(args: argparse.Namespace) -> int:
    import shlex
    import time

    from conformance.run import RunRequest, describe, run

    request = RunRequest(
        target=args.target,
        role=args.role,
        transfers=_transfers(args.transfer),
        adapter=args.adapter,
        seed=args.seed,
        out=args.out,
        only=tuple(args.only),
        tls=args.tls,
        show_pgn=args.show_pgn,
        keep=args.keep,
        command=shlex.join(["osokit", *sys.argv[1:]]),
    )
    started = time.monotonic()
    outcome = run(request)
    print(describe(outcome, time.monotonic() - started))
    if outcome.error:
        print(f"osokit: error: {outcome.error}", file=sys.stderr)
    return outcome.code


def conformance_rules(args: argparse.Namespace) -> int:
    import json

    from conformance.run import rules_with_coverage
    from reports.results import Results

    rows = rules_with_coverage(Results.load(args.results) if args.results else None)
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
    print(
        f"\n{len(rows)} rules, {sum(len(r.checks) for r in rows)} checks; "
        f"rules without a check: {', '.join(untested) or 'none'}",
        file=sys.stderr,
    )
    return EXIT_OK


def conformance_mutants(args: argparse.Namespace) -> int:
    import time

    from conformance.run import SETUP_ERROR, RunRequest, run, run_mutants
    from simulator.mutants import MUTANTS

    names = args.only or list(MUTANTS)
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        raise UsageError(f"unknown mutant(s): {', '.join(unknown)} (`osokit conformance mutants --list`)")
    width = max(map(len, names))
    if args.list:
        for name in names:
            m = MUTANTS[name]
            print(f"{name:<{width}}  {m.role:<4}  {m.defect}")
        return EXIT_OK
    reference = run(RunRequest(seed=args.seed, out=args.out / "reference"), quiet=True)
    if reference.code != 0:
        print(
            f"the reference LAS does not pass the suite ({reference.error or 'see ' + str(args.out)}); "
            "a mutation score would mean nothing",
            file=sys.stderr,
        )
        return SETUP_ERROR if reference.code == SETUP_ERROR else EXIT_FAILED
    print(
        f"reference LAS: PASS ({reference.results.summary.total} checks); running {len(names)} mutants, "
        f"{args.jobs or os.cpu_count()} at a time",
        file=sys.stderr,
    )

    def show(r: object) -> None:
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


def load_run(args: argparse.Namespace) -> int:
    from load.run import LoadRun, load_run, seconds

    if args.users < 1 or args.processes < 1:
        raise UsageError("--users and --processes must be at least 1")
    return load_run(
        LoadRun(
            shape=args.shape,
            users=args.users,
            duration=seconds(args.duration),
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
        )
    )


def load_replay(args: argparse.Namespace) -> int:
    from load.run import Replay, replay

    if args.cohort < 1 or args.processes < 1 or args.users < 0 or args.shards < 0:
        raise UsageError("--cohort and --processes must be at least 1, --users and --shards at least 0 (0: automatic)")
    return replay(
        Replay(cohort=args.cohort, processes=args.processes, users=args.users, shards=args.shards, out=args.out)
    )


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
            f"{args.results}: {'valid' if not problems else f'{len(problems)} problem(s)'} (osokit-results/1)",
            file=sys.stderr,
        )
        return EXIT_FAILED if problems else EXIT_OK
    for kind, path in write_all(results, args.out).items():
        print(f"{kind:<5} {path}")
    return EXIT_OK


# --- demo ------------------------------------------------------------------------------------------


def demo(args: argparse.Namespace) -> int:
    from osokit.demo import run_demo

    return run_demo(args.out, seed=args.seed)


# --- the parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="osokit",
        description="Test harness for OSO (Overstapservice Onderwijs): synthetic dossiers, a simulated "
        "broker, a conformance suite and load tests.",
    )
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
    gen.set_defaults(handler=fixtures_generate)

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
    sv.add_argument("--faults", type=Path, metavar="FILE", help="fault-injection profile TOML")
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
        "--zoeksleutel-scheme",
        default="hmac-sha256",
        choices=["hmac-sha256", "plain"],
        help="how a PGN becomes a zoeksleutel (plain puts it in clear: debugging only)",
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
    sv.set_defaults(handler=serve)

    zk = sub.add_parser("zoeksleutel", help="print the zoeksleutel of a pupil number for a running simulator")
    zk.add_argument("--pgn", required=True, help="the BSN or onderwijsnummer")
    zk.add_argument(
        "--admin-token-file", type=Path, metavar="FILE", help="the simulator's admin token (else $OSOKIT_ADMIN_TOKEN)"
    )
    zk.add_argument("--url", default=DEFAULT_URL, help=f"the simulator (default {DEFAULT_URL})")
    zk.add_argument("--pgnfrag", action="store_true", help="print the pgnfrag instead")
    zk.set_defaults(handler=zoeksleutel)

    pk = sub.add_parser("pki", help="test certificates for mTLS")
    pks = pk.add_subparsers(dest="pki_command", metavar="SUBCOMMAND", required=True)
    pki = pks.add_parser("init", help="create a test CA, a server certificate and one client certificate per vendor")
    pki.add_argument("--dir", type=Path, default=Path("pki"), metavar="DIR", help="where to write (default pki)")
    pki.add_argument("--vendor", action="append", default=[], metavar="ID", help="a vendor id (repeatable)")
    pki.add_argument("--force", action="store_true", help="make a new CA even if one exists")
    pki.set_defaults(handler=pki_init)

    cf = sub.add_parser("conformance", help="certify a LAS: run the suite, list the rules, run the mutants")
    cfs = cf.add_subparsers(dest="conformance_command", metavar="SUBCOMMAND", required=True)
    cr = cfs.add_parser(
        "run",
        help="run the conformance suite against a LAS and write the reports",
        description="Exit 0 when every MUST check passes, 1 when one fails, 2 when the run "
        "cannot be set up (unknown target, unreachable control API, bad adapter).",
    )
    cr.add_argument(
        "--target",
        default="reference",
        help="reference (default), mutant:<name>, or the URL of the LAS's control API (conformance/control-api.yaml)",
    )
    cr.add_argument("--role", default="both", choices=["doel", "bron", "both"], help="the role(s) to check")
    cr.add_argument("--transfer", default="popo,povo,vovo", metavar="KINDS", help="transfer kinds (default all)")
    cr.add_argument("--adapter", metavar="SPEC", help="http (default), manual:VENDOR.json, or package.module:Class")
    cr.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the dossiers the suite prepares")
    cr.add_argument(
        "--out",
        type=Path,
        default=Path("out/conformance"),
        metavar="DIR",
        help="where results.json, junit.xml and report.html go (default out/conformance)",
    )
    cr.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="CHECK",
        help="run this check alone (its id "
        "as the report gives it, e.g. test_bron.py::test_dossier_verzameldatum_is_honoured); repeatable",
    )
    cr.add_argument(
        "--tls",
        default="auto",
        choices=["auto", "on", "off"],
        help="mutual TLS between the parties (auto: on for reference and mutants, off for a URL)",
    )
    cr.add_argument("--show-pgn", action="store_true", help="keep pupil numbers in clear in the evidence")
    cr.add_argument("--keep", action="store_true", help="keep the run's simulator data and test keys for inspection")
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
    cm.add_argument("--jobs", type=int, default=None, metavar="N", help="mutants run side by side (default: CPUs)")
    cm.add_argument("--seed", type=int, default=0, metavar="S")
    cm.add_argument("--out", type=Path, default=Path("out/mutants"), metavar="DIR", help="per-mutant results")
    cm.set_defaults(handler=conformance_mutants)

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
    lr.add_argument("--faults", type=Path, metavar="FILE", help="with --start-simulator: a fault profile")
    lr.add_argument("--cohort", type=int, default=10_000, metavar="N", help="with --start-simulator: povo pupils")
    lr.add_argument(
        "--user-class",
        action="append",
        default=[],
        metavar="NAME",
        help="only these user classes (DoelLas, BatchDoelLas, ReRequestLas, NotifyingBron, BronHammer)",
    )
    lr.add_argument("--seed", type=int, default=0, metavar="S")
    lr.add_argument("--max-requests", type=int, default=2_000_000, metavar="N", help="stop after N requests")
    lr.set_defaults(handler=load_run)
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
    lp.set_defaults(handler=load_replay)

    rp = sub.add_parser("report", help="render, validate or compare results.json files")
    rps = rp.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    ra = rps.add_parser("all", help="write results.json, junit.xml and report.html from a results.json")
    ra.add_argument("results", type=Path, metavar="RESULTS")
    ra.add_argument("--out", type=Path, required=True, metavar="DIR")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
