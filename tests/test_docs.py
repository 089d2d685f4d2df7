"""The commands README.md and docs/ give stay true: each `osokit` command in a shell block parses and
passes the same checks as on the command line (``osokit.cli.parse``: nothing runs), and the mutants
and check ids they name exist. docs/simulator.md's flags, routes and admin calls: tests/simulator/test_docs.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from osokit.cli import parse
from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SYNOPSIS = re.compile(r"[\[\]<>]|\w\|\w|\.\.\.|\bURL\b|\bFILE\b|\bDIR\b")
"""Marks, outside quotes, of a synopsis (``[--users N]``, ``all|validate``, ``<name>``) rather than a command."""
SEPARATORS = {"&&", "||", ";", "&", "|", "(", ")", "<", ">"}


def commands(page: Path) -> list[list[str]]:
    """The argv of every ``osokit`` command in the page's shell blocks (continuations joined)."""
    found = []
    for block in SHELL.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            if "osokit" not in line or SYNOPSIS.search(re.sub(r"'[^']*'|\"[^\"]*\"", "", line)):
                continue
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            command: list[str] = []
            for token in [*lexer, ";"]:
                if token not in SEPARATORS:
                    command.append(token)
                    continue
                while command and re.fullmatch(r"[A-Z_]+=\S*", command[0]):  # VAR=value osokit ...
                    command.pop(0)
                if command and Path(command[0]).name == "osokit":
                    found.append(command[1:])
                command = []
    return found


ALL = [(page.relative_to(ROOT), argv) for page in PAGES for argv in commands(page)]


def test_the_pages_give_commands():
    assert len(ALL) > 30 and {str(p) for p, _ in ALL} >= {"README.md", "docs/conformance.md", "docs/simulator.md"}


@pytest.mark.parametrize(("page", "argv"), ALL, ids=[f"{p}: osokit {' '.join(a)}" for p, a in ALL])
def test_every_command_parses(page, argv, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the paths the pages give are relative to the checkout
    try:
        parse(argv)
    except SystemExit:
        pytest.fail(f"{page}: `osokit {shlex.join(argv)}` is refused: {capsys.readouterr().err.strip()}")


def test_the_mutants_named_exist():
    from simulator.mutants import MUTANTS

    words = [word for _, argv in ALL for word in argv]
    named = {word.removeprefix("mutant:") for word in words if word.startswith("mutant:")}
    named |= set(_values(["conformance", "mutants"], "--only"))
    assert named and not named - set(MUTANTS), sorted(named - set(MUTANTS))


def test_the_checks_named_exist():
    from conformance.run import rules_with_coverage

    checks = {check for row in rules_with_coverage(None) for check in row.checks}
    named = set(_values(["conformance", "run"], "--only"))
    assert named and not named - checks, sorted(named - checks)


def _values(command: list[str], flag: str) -> list[str]:
    """The values of ``flag`` in the pages' ``osokit <command>`` commands."""
    argvs = [argv for _, argv in ALL if argv[: len(command)] == command]
    return [argv[i + 1] for argv in argvs for i, word in enumerate(argv[:-1]) if word == flag]
