"""``osokit report validate`` reads both versions of results.json: the current one and version 1."""

from __future__ import annotations

import json

import pytest

from osokit.cli import main


@pytest.mark.parametrize(
    ("document", "version"), [("sample_dict", "osokit-results/2"), ("v1_dict", "osokit-results/1")]
)
def test_validate_reads_both_versions(request, tmp_path, capsys, document, version):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(request.getfixturevalue(document)), encoding="utf-8")
    assert main(["report", "validate", str(path)]) == 0
    assert capsys.readouterr().err == f"{path}: valid ({version})\n"
    assert main(["report", "all", str(path), "--out", str(tmp_path / "again")]) == 0
    rewritten = json.loads((tmp_path / "again" / "results.json").read_text(encoding="utf-8"))
    assert (
        rewritten["schema"] == "osokit-results/2"
        and main(["report", "validate", str(tmp_path / "again" / "results.json")]) == 0
    )


def test_validate_names_what_is_inconsistent(tmp_path, capsys, sample_dict):
    sample_dict["summary"]["verdict"] = "pass"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(sample_dict), encoding="utf-8")
    assert main(["report", "validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"{path}: summary.verdict: 'pass', but the checks give 'fail'" in out
    assert err == f"{path}: 1 problem(s) (osokit-results/2)\n"
