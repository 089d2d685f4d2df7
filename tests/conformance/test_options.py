"""Run options, declared once: the CLI flags, the plugin's --oso-* options, pytest's arguments and the re-run
line all spell the same values."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.options import RunOptions, Target, parse_transfers
from conformance.run import SCENARIOS, bron_only_note, pytest_args
from oso.profiles import DEFAULT_TRANSFERS, Role, TransferKind
from tests.conformance.conftest import osokit


def parser(*, pytest_side: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(exit_on_error=False)
    RunOptions.add_arguments(p.add_argument, pytest=pytest_side)
    return p


def cli(*args: str) -> RunOptions:
    return RunOptions.from_values(lambda dest: getattr(parser().parse_args(args), dest))


def plugin(*args: str) -> RunOptions:
    parsed = parser(pytest_side=True).parse_args(args)
    return RunOptions.from_values(lambda dest: getattr(parsed, dest), pytest=True)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("reference", Target()),
        ("mutant:doel-closes-twice", Target(mutant="doel-closes-twice")),
        ("http://127.0.0.1:9000/control", Target(url="http://127.0.0.1:9000/control")),
        ("https://[::1]:9000/control", Target(url="https://[::1]:9000/control")),
    ],
)
def test_a_target_is_parsed_once_and_spelled_back_as_given(text, target):
    assert Target.parse(text) == target and str(target) == text
    assert target.hosted is (target.url is None)


@pytest.mark.parametrize("text", ["", "mutant:", "ftp://x", "http://", "Reference", "127.0.0.1:9000"])
def test_what_is_not_a_target_says_what_is(text):
    with pytest.raises(ValueError, match="reference|mutant"):
        Target.parse(text)


def test_the_defaults_are_the_documented_ones():
    o = cli()
    assert o == RunOptions() and o.target == Target() and o.roles == (Role.DOEL, Role.BRON)
    assert o.transfers == DEFAULT_TRANSFERS and o.seed == 0 and o.out == Path("out/conformance")
    assert o.timeout == 30 and o.deadline == 1800 and o.tls is None and o.secure
    assert plugin() == RunOptions()


EVERY_FLAG = [
    "--target", "http://127.0.0.1:9000/control", "--role", "bron", "--transfer", "vovo,popo", "--adapter",
    "pkg.mod:Adapter", "--seed", "7", "--tls", "on", "--pki-dir", "pki", "--show-pgn", "--timeout", "2.5",
    "--deadline", "600",
]  # fmt: skip


def test_the_cli_the_plugin_and_pytest_arguments_carry_the_same_options():
    o = cli(*EVERY_FLAG, "--out", "x", "--only", "test_doel.py::a", "--only", "test_doel.py::b", "--keep")
    assert o.target.url == "http://127.0.0.1:9000/control" and o.roles == (Role.BRON,)
    assert o.transfers == (TransferKind.VOVO, TransferKind.POPO) and o.tls is True and o.timeout == 2.5
    assert o.pki_dir == Path("pki")
    assert o.only == ("test_doel.py::a", "test_doel.py::b") and o.keep and o.out == Path("x")
    through_pytest = plugin(*o.pytest_args())
    assert through_pytest == replace(o, out=RunOptions().out, only=())
    args = pytest_args(o, Path("r.json"))
    assert args[:2] == [str(SCENARIOS / "test_doel.py::a"), str(SCENARIOS / "test_doel.py::b")]
    assert args[args.index("--oso-results") + 1] == "r.json" and "--oso-keep" in args


def test_the_rerun_line_is_an_osokit_command_that_runs_exactly_that_check_again():
    o = cli(*EVERY_FLAG)
    line = shlex.split(o.rerun("test_bron.py::test_x[povo]"))
    assert line[:3] == ["osokit", "conformance", "run"]
    again = cli(*line[3:])
    assert again == replace(o, only=("test_bron.py::test_x[povo]",), out=Path("out/rerun"))
    plain = shlex.split(RunOptions().rerun("test_doel.py::t"))
    assert plain[3:] == [
        "--target", "reference", "--role", "both", "--transfer", "popo,povo,vovo", "--seed", "0",
        "--only", "test_doel.py::t", "--out", "out/rerun",
    ]  # fmt: skip


def test_the_bron_only_kinds_are_taken_and_a_doel_role_without_its_kinds_is_refused(tmp_path):
    mixed = RunOptions(roles=tuple(Role), transfers=parse_transfers("povo,binnenbrin,poswv,voswv"))
    assert mixed.unfit() is None
    assert RunOptions(roles=(Role.BRON,), transfers=(TransferKind.BINNENBRIN,)).unfit() is None
    refused = RunOptions(roles=tuple(Role), transfers=(TransferKind.POSWV,)).unfit()
    assert refused is not None and "poswv: certified in the bron role only" in refused and "--role bron" in refused
    done = osokit("conformance", "run", "--role", "doel", "--transfer", "binnenbrin", "--out", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "binnenbrin: certified in the bron role only" in done.stderr


def test_a_run_with_the_doel_role_says_which_kinds_it_checked_as_bron_only():
    note = bron_only_note(("doel", "bron"), ("povo", "binnenbrin", "voswv"))
    assert note is not None and note.startswith("note: binnenbrin,voswv: checked in the bron role only")
    assert note.endswith("the doel role was checked with povo")
    assert bron_only_note(("bron",), ("binnenbrin",)) is None and bron_only_note(("doel", "bron"), ("povo",)) is None
