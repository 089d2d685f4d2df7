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
