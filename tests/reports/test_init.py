from lxml import etree

from reports import OUTPUTS, write_all
from reports.results import Results


def test_write_all_writes_the_three_outputs(sample, tmp_path):
    paths = write_all(sample, tmp_path / "out")
    assert paths == {kind: tmp_path / "out" / name for kind, name in OUTPUTS.items()}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "results.json"]
    assert Results.load(paths["json"]) == sample
    cases = etree.parse(str(paths["junit"])).findall("testsuite/testcase")
    assert len(cases) == len(sample.checks) + sum(not u.checks for u in sample.untested)  # + rules without checks
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_all_overwrites(sample, tmp_path):
    write_all(sample, tmp_path)
    first = (tmp_path / "report.html").read_bytes()
    write_all(sample, tmp_path)
    assert (tmp_path / "report.html").read_bytes() == first


def test_outputs_are_readable_by_other_users(sample, tmp_path):
    """CI artifact uploaders and web servers often run as another user than the run."""
    for path in write_all(sample, tmp_path).values():
        assert oct(path.stat().st_mode & 0o777) == oct(0o644), path
