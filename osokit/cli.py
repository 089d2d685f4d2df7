"""The ``osokit`` command: thin subcommands that parse arguments and call one package each.

Exit codes: 0 success; 1 the checked thing failed (invalid dossiers, failed conformance, SLO
breach); 2 usage or setup errors (bad arguments, unreadable files, unreachable target).
Errors are one line on stderr; ``OSOKIT_DEBUG=1`` adds the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from oso.profiles import Profile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


Handler = Callable[[argparse.Namespace], int]


# --- fixtures ------------------------------------------------------------------------------------


def fixtures_generate(args: argparse.Namespace) -> int:
    from fixtures.cohort import CaseError, write_cohort
    from fixtures.generator import Size
    from osokit.progress import Progress

    if args.count < 1:
        raise UsageError("--count must be at least 1")
    try:
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
    except CaseError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {summary.count:,} {args.profile} dossiers ({summary.bytes / 1e6:,.1f} MB) to {summary.directory}")
    print(f"manifest: {summary.manifest}")
    return EXIT_OK


def fixtures_validate(args: argparse.Namespace) -> int:
    from fixtures.validate import validate_paths
    from oso.schema import SchemaError, dossier_schema
    from oso.validation import failed

    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    try:
        schema = dossier_schema(args.schema_dir)
    except SchemaError as exc:
        raise UsageError(str(exc)) from None
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
    from simulator.faultinject import FaultProfileError
    from simulator.register import ScenarioError
    from simulator.server import ServeError, banner, prepare
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
    )
    try:
        prepared = prepare(config, args.host, args.port, allow_remote=args.allow_remote, log_level=args.log_level)
    except (ServeError, ScenarioError, FaultProfileError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    banner(prepared, sys.stdout)
    run(prepared)
    return EXIT_OK


def zoeksleutel(args: argparse.Namespace) -> int:
    import httpx

    try:
        response = httpx.post(f"{args.url.rstrip('/')}/admin/zoeksleutel", json={"pgn": args.pgn}, timeout=10)
    except httpx.HTTPError as exc:
        raise UsageError(f"no simulator at {args.url}: {exc} (start one with `osokit serve`)") from None
    data = response.json()
    if response.status_code != 200:
        raise UsageError(data.get("error", response.text))
    print(data["pgnfrag"] if args.pgnfrag else data["zoeksleutel"])
    return EXIT_OK


def pki_init(args: argparse.Namespace) -> int:
    from simulator.pki import PkiError, init_pki

    vendors = ["reference", *[v for v in args.vendor if v != "reference"]]
    try:
        pki = init_pki(args.dir, vendors, force=args.force)
    except PkiError as exc:
        raise UsageError(str(exc)) from None
    print(f"test PKI in {pki.directory} (never use it outside tests)")
    print(f"  CA          {pki.ca_cert}")
    print(f"  server      {pki.server_cert}  {pki.server_key}")
    for vendor in vendors:
        print(f"  {vendor:<11} {pki.vendor_cert(vendor)}  {pki.vendor_key(vendor)}")
    print(f"serve with: osokit serve --tls --pki-dir {pki.directory}")
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
    sv.add_argument("--allow-remote", action="store_true", help=argparse.SUPPRESS)
    sv.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    sv.set_defaults(handler=serve)

    zk = sub.add_parser("zoeksleutel", help="print the zoeksleutel of a pupil number for a running simulator")
    zk.add_argument("--pgn", required=True, help="the BSN or onderwijsnummer")
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

    dm = sub.add_parser("demo", help="run the whole harness once and say where the reports are")
    dm.add_argument("--out", type=Path, default=Path("out/demo"), metavar="DIR", help="output folder")
    dm.add_argument("--seed", type=int, default=0, metavar="S")
    dm.set_defaults(handler=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as exc:
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
