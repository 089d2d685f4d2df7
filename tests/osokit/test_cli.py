import json

import pytest

from osokit.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_then_validate_passes(tmp_path, capsys):
    code, out, _ = run(
        capsys, "fixtures", "generate", "--profile", "popo", "--count", "4", "--seed", "2", "--out", str(tmp_path)
    )
    assert code == 0 and "wrote 4 popo dossiers" in out
    assert len(json.loads((tmp_path / "manifest.json").read_text())["dossiers"]) == 4
    code, out, err = run(capsys, "fixtures", "validate", str(tmp_path))
    assert code == 0 and out == "" and "4 valid, 0 invalid" in err


def test_validate_prints_file_line_rule_message(tmp_path, capsys):
    run(
        capsys,
        "fixtures",
        "generate",
        "--profile",
        "povo",
        "--count",
        "2",
        "--out",
        str(tmp_path),
        "--case",
        "bad-OVa.LL13",
    )
    code, out, _ = run(capsys, "fixtures", "validate", str(tmp_path))
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2
    file, line, rule, message = lines[0].split(":", 3)
    assert file.endswith("povo-bad-OVa.LL13-000000.xml") and int(line) > 1 and rule == " OVa.LL13"
    assert "leerlingid" in message


def test_validate_reports_xml_and_xsd_problems_without_traceback(tmp_path, capsys):
    (tmp_path / "broken.xml").write_bytes(b"<dossier><a></dossier>")
    (tmp_path / "other.xml").write_bytes(b"<dossier/>")
    code, out, err = run(capsys, "fixtures", "validate", str(tmp_path))
    assert code == 1 and "Traceback" not in out + err
    assert f"{tmp_path / 'broken.xml'}:1: XML: " in out
    assert f"{tmp_path / 'other.xml'}:1: XSD: " in out


def test_validate_with_the_official_schema_dir(official_dir, capsys):
    code, _, err = run(
        capsys, "fixtures", "validate", "--schema-dir", str(official_dir), str(official_dir / "examples")
    )
    assert code == 0 and "12 valid, 0 invalid" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fixtures", "validate", "/nonexistent/x.xml"], "no such file or directory"),
        (["fixtures", "validate", "--schema-dir", "/nonexistent", "."], "not a directory"),
        (["fixtures", "generate", "--profile", "popo", "--count", "0", "--out", "x"], "--count 0: use at least 1"),
        (["fixtures", "generate", "--profile", "popo", "--count", "1", "--out", "x", "--case", "nope"], "unknown case"),
    ],
)
def test_usage_errors_are_one_clear_line(argv, message, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_empty_folder_is_a_usage_error(tmp_path, capsys):
    code, _, err = run(capsys, "fixtures", "validate", str(tmp_path))
    assert code == 2 and "no .xml files found" in err


def test_cases_lists_edge_cases_and_known_bad_variants(capsys):
    code, out, _ = run(capsys, "fixtures", "cases")
    assert code == 0
    for name in ("secret-address", "twins", "eindtoets-exemption", "bad-OVa.IZ05", "OVa.LL03"):
        assert name in out


def test_help_exits_cleanly(capsys):
    assert main(["fixtures", "generate", "--help"]) == 0 and "--profile" in capsys.readouterr().out


def test_no_arguments_prints_the_help(capsys):
    code, out, err = run(capsys)
    assert code == 0 and out.startswith("usage: osokit") and "fixtures" in out and err == ""


def test_version(capsys):
    from importlib.metadata import version

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"osokit {version('osokit')}"


def test_a_bad_flag_after_a_subcommand_shows_that_subcommands_usage(capsys):
    code, _, err = run(capsys, "fixtures", "generate", "--profile", "popo", "--count", "1", "--out", "x", "--bogus")
    assert code == 2
    assert err.startswith("usage: osokit fixtures generate ") and "--school-year YEAR" in err
    assert err.strip().endswith("osokit fixtures generate: error: unrecognized arguments: --bogus")


BAD_ARGUMENTS = [
    (["serve", "--port", "99999"], "osokit serve: error: --port 99999: use 0..65535"),
    (["serve", "--port", "-1"], "--port -1: use 0..65535"),
    (
        ["fixtures", "generate", "--profile", "povo", "--count", "1", "--out", "o", "--school-year", "99999"],
        "--school-year 99999: use 2019..2099",
    ),
    (
        ["fixtures", "generate", "--profile", "povo", "--count", "1", "--out", "o", "--school-year", "1800"],
        "--school-year 1800: use 2019..2099",
    ),
    (
        ["fixtures", "generate", "--profile", "popo", "--count", "1", "--out", "o", "--after-eindtoets"],
        "--after-eindtoets with --profile popo: only povo",
    ),
    (["serve", "--cohort", "xx=5"], "--cohort xx=5: use PROFILE=N with PROFILE one of popo, povo, vovo, binnenbrin"),
    (["serve", "--cohort", "povo=5000000"], "--cohort povo=5000000: use PROFILE=N"),
    (["serve", "--faults", "garbage.xml"], "--faults: garbage.xml: not UTF-8 text"),
    (["serve", "--scenario", "garbage.xml"], "--scenario: garbage.xml: not UTF-8 text"),
    (["serve", "--faults", "missing.toml"], "--faults missing.toml: no such file"),
    (["serve", "--evidence-bodies", "-1"], "--evidence-bodies -1: use at least 0"),
    (["serve", "--vut", "mutant:no-such"], "--vut mutant:no-such: use reference or mutant:<name>"),
    (["serve", "--host", "10.1.2.3"], "--host 10.1.2.3: not a loopback address"),
    (["serve", "--host", "not a host", "--allow-remote"], "--host not a host: not an IP address or host name"),
    (["zoeksleutel", "--pgn", "1", "--url", "http://[::1"], "--url http://[::1: use an http:// or https:// URL"),
    (["pki", "init", "--vendor", "../etc"], "--vendor: invalid vendor id '../etc'"),
    (["load", "run", "--start-simulator", "--users", "0"], "--users 0: use at least 1"),
    (["load", "run", "--start-simulator", "--duration", "0"], "--duration 0s: use more than 0"),
    (["load", "run", "--start-simulator", "--duration", "soon"], "--duration 'soon': write e.g. 90s"),
    (["load", "run", "--start-simulator", "--spawn-rate", "nan"], "--spawn-rate nan: use a number"),
    (["load", "run", "--start-simulator", "--slo", "p99<fast"], "--slo: cannot read 'p99<fast'"),
    (["load", "run", "--start-simulator", "--user-class", "Nobody"], "--user-class Nobody: choose from DoelLas,"),
    (["load", "run", "--target", "http://127.0.0.1:8700", "--cohort", "5"], "--cohort 5: only with --start-simulator"),
    (["load", "replay", "--cohort", "0"], "--cohort 0: use 1..1000000"),
    (["load", "replay", "--users", "-2"], "--users -2: use at least 0"),
    (["conformance", "mutants", "--jobs", "-1"], "--jobs -1: use 1..64"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_give_usage_and_one_error_line_naming_flag_value_and_choices(
    argv, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.xml").write_bytes(b"\xff\xfe<not toml>")
    code, out, err = run(capsys, *argv)
    *usage, last = err.strip().splitlines()
    assert code == 2 and out == "" and "Traceback" not in err
    command = " ".join(word for word in argv[:2] if not word.startswith("-"))
    assert usage[0].startswith(f"usage: osokit {command} ")  # the subcommand's own usage
    assert message in last and last.startswith("osokit "), last


def test_the_eindtoets_update_is_accepted_for_povo(tmp_path, capsys):
    code, out, _ = run(
        capsys, "fixtures", "generate", "--profile", "povo", "--count", "1", "--out", str(tmp_path), "--after-eindtoets"
    )
    assert code == 0 and json.loads((tmp_path / "manifest.json").read_text())["after_eindtoets"] is True


def test_generating_into_a_folder_with_an_earlier_cohort_needs_force(tmp_path, capsys):
    argv = ["fixtures", "generate", "--profile", "popo", "--count", "3", "--out", str(tmp_path)]
    assert run(capsys, *argv)[0] == 0
    code, _, err = run(capsys, *argv[:-3], "2", "--out", str(tmp_path))
    assert code == 2 and f"--out {tmp_path}: holds an earlier cohort (4 files)" in err and "--force" in err
    code, out, _ = run(capsys, *argv[:-3], "2", "--out", str(tmp_path), "--force")
    assert code == 0 and "wrote 2 popo dossiers" in out and len(list(tmp_path.iterdir())) == 3


def test_piped_progress_is_a_line_every_few_seconds(monkeypatch):
    import io

    from osokit import progress

    clock = iter([0.0, 1.0, 4.9, 5.1, 6.0, 10.2, 11.0])  # the start, then one reading per call
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = progress.Progress(6, "generating povo", stream)
    for done in range(1, 7):
        bar(done)
    lines = stream.getvalue().splitlines()
    assert [line.split("%")[0].split()[-1] for line in lines] == ["50", "83", "100"]  # at 5.1 s, 10.2 s, and the end
    assert "\r" not in stream.getvalue()


def test_a_shipped_fault_profile_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    from osokit.cli import parse
    from simulator.faultinject import SHIPPED_DIR

    monkeypatch.chdir(tmp_path)
    assert parse(["serve", "--faults", "flaky-bron"]).faults == SHIPPED_DIR / "flaky-bron.toml"
    (tmp_path / "flaky-bron").write_text('name = "mine"\n')  # a file of that name wins
    assert parse(["serve", "--faults", "flaky-bron"]).faults.resolve() == tmp_path / "flaky-bron"


def test_the_user_classes_checked_are_the_locustfiles():
    import ast

    from osokit.cli import USER_CLASSES
    from tests.conftest import ROOT

    tree = ast.parse((ROOT / "load" / "locustfile.py").read_text(encoding="utf-8"))
    users = [
        c.name
        for c in tree.body
        if isinstance(c, ast.ClassDef) and any(getattr(b, "id", "") == "OsoUser" for b in c.bases)
    ]
    assert sorted(users) == sorted(USER_CLASSES)
