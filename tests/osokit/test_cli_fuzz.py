"""The command line never fails internally: hypothesis over argv, in-process.

Argument lists are drawn from the real parser's own commands and flags (so most of them get past
argparse to the checks), with values that are often wrong: out-of-range and huge numbers, NaN,
non-numbers, paths that are missing, files that are not TOML, folders, random text. Only
:func:`osokit.cli.parse` runs (argparse, then the subcommand's checks), which by construction starts
nothing and writes nothing; the outcome must be a clean exit 0 (help) or 2 (usage), never another
exception, so never exit 70 or a traceback. A second property runs ``fixtures generate`` itself for
real, with a count of at most two.
"""

from __future__ import annotations

import argparse
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osokit.cli import build_parser, main, parse
from tests.conftest import fuzz_budgets, fuzz_settings


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], list]:
    """Every runnable command path -> its optional actions, read from the parser itself."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    if not subs:
        return {path: [a for a in parser._actions if a.option_strings]}  # noqa: SLF001
    out = {}
    for name, child in subs[0].choices.items():
        out |= _leaves(child, (*path, name))
    return out


LEAVES = _leaves(build_parser())
FILES = ["missing.toml", "garbage.xml", "folder", "empty.toml", "", "-", "/", "a/../../b"]
NUMBERS = [-1, 0, 1, 2, 65535, 65536, 99999, 1800, 2019, 2099, 2100, 10**6, 10**9, 10**30, -(10**30)]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _value(action: argparse.Action) -> st.SearchStrategy[str]:
    choices = [st.sampled_from(sorted(map(str, action.choices)))] if action.choices else []
    return st.one_of(
        *choices,
        st.sampled_from(NUMBERS).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(FILES),
        st.sampled_from(
            [
                "povo=5",
                "xx=5",
                "povo=-1",
                "reference",
                "mutant:doel-closes-twice",
                "mutant:x",
                "http://127.0.0.1:1",
                "http://[::1",
                "ftp://x",
                "10m",
                "1h30m",
                "p99<250ms",
                "errors=0",
            ]
        ),
        TEXT,
    )


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    path = draw(st.sampled_from(sorted(LEAVES)))
    argv = list(path)
    for action in draw(st.lists(st.sampled_from(LEAVES[path]), max_size=6)) if LEAVES[path] else []:
        argv.append(draw(st.sampled_from(action.option_strings)))
        if action.nargs != 0:
            argv.append(draw(_value(action)))
    if draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))), draw(st.one_of(TEXT, st.sampled_from(["--", "-x", "--bogus"]))))
    return argv


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.xml").write_bytes(b"\xff\xfe<a/>")
    (tmp_path / "empty.toml").write_text("")
    (tmp_path / "folder").mkdir()
    return tmp_path


def _outcome(argv: list[str]) -> int:
    try:
        parse(argv)
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.mark.parametrize("budget", fuzz_budgets(150, 5000))
def test_no_argument_list_fails_internally(budget, workdir, capsys):
    @fuzz_settings(budget)
    @given(argvs())
    def prop(argv: list[str]) -> None:
        code = _outcome(argv)  # any exception but SystemExit fails the test with the argv that caused it
        _, err = capsys.readouterr()
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err
        if code == 2:
            usage, _, last = err.rstrip("\n").rpartition("\n")
            assert usage.startswith("usage: osokit") and last.startswith("osokit") and last.isprintable(), err

    prop()
    assert sorted(p.name for p in workdir.iterdir()) == ["empty.toml", "folder", "garbage.xml"]  # nothing written


@st.composite
def generate_argvs(draw: st.DrawFn) -> list[str]:
    from fixtures.cases import CASES
    from oso.profiles import Profile

    argv = ["fixtures", "generate", "--profile", draw(st.sampled_from([p.value for p in Profile]))]
    argv += ["--count", str(draw(st.integers(-1, 2))), "--seed", str(draw(st.integers(-(2**70), 2**70)))]
    optional = {
        "--size": st.sampled_from(["opt-out", "full"]),
        "--case": st.sampled_from(sorted(CASES)),
        "--school-year": st.integers(1700, 2200).map(str),
    }
    for flag, values in optional.items():
        if draw(st.booleans()):
            argv += [flag, draw(values)]
    return argv + (["--after-eindtoets"] if draw(st.booleans()) else [])


@pytest.mark.parametrize("budget", fuzz_budgets(25, 1000))
def test_fixtures_generate_runs_or_refuses_cleanly(budget, workdir, capsys):
    from fixtures.validate import validate_paths
    from oso.schema import dossier_schema
    from oso.validation import failed

    schema, folders = dossier_schema(), itertools.count()

    @fuzz_settings(budget)
    @given(generate_argvs())
    def prop(argv: list[str]) -> None:
        out = workdir / f"out{next(folders)}"
        code = main([*argv, "--out", str(out)])
        _, err = capsys.readouterr()
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err
        if code == 0:
            manifest = json.loads((out / "manifest.json").read_text())
            assert len(manifest["dossiers"]) == int(argv[argv.index("--count") + 1])
            if manifest["case"] is None or not manifest["case"].startswith("bad-"):
                assert not any(failed(problems) for _, problems in validate_paths([out], schema)), argv

    prop()
