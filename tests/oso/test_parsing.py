import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from oso.namespaces import XSD
from oso.parsing import XmlError, parse, parse_file, pretty


def test_parses_plain_xml():
    assert parse(b"<a><b>x</b></a>").findtext("b") == "x"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<a><b></a>", "not-well-formed"),
        (b"\xff\xfe<a/>", "not-well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "dtd-forbidden"),
        (b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>', "dtd-forbidden"),
    ],
)
def test_refuses_bad_documents_with_a_code(data, code):
    with pytest.raises(XmlError) as info:
        parse(data)
    assert info.value.code == code


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>'.encode()
    with pytest.raises(XmlError) as info:
        parse(doc)
    assert "TOPSECRET" not in str(info.value)


def test_size_limit_is_checked_before_parsing():
    with pytest.raises(XmlError) as info:
        parse(b"<a>" + b"x" * 100 + b"</a>", max_bytes=50)
    assert info.value.code == "too-large"


def test_deep_nesting_is_refused_by_the_parser():
    deep = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(XmlError) as info:
        parse(deep)
    assert info.value.code == "not-well-formed" and info.value.line == 1


def test_error_carries_the_line():
    with pytest.raises(XmlError) as info:
        parse(b"<a>\n<b>\n</a>")
    assert info.value.line == 3


@pytest.mark.parametrize("prolog", [b"", b"\xef\xbb\xbf", b'<?xml version="1.0"?>\n', b"<!-- c -->\n<?pi x?>"])
def test_doctype_is_refused_before_parsing(prolog):
    laughs = b'<!ENTITY a "x">' * 3
    with pytest.raises(XmlError) as info:
        parse(prolog + b"<!DOCTYPE s [" + laughs + b"]><s/>")
    assert info.value.code == "dtd-forbidden"


@pytest.mark.parametrize("data", [b"<?unterminated", b"<!-- never closed", b"<a><!DOCTYPE in body/></a>"])
def test_prolog_scan_never_loops_and_leaves_the_rest_to_the_parser(data):
    with pytest.raises(XmlError) as info:
        parse(data)
    assert info.value.code == "not-well-formed"


def test_pretty_re_indents_and_refuses_what_parse_refuses():
    assert pretty(b"<a>  <b>t</b>\n</a>") == "<a>\n  <b>t</b>\n</a>\n"
    for bad in (b"", b"<a><b></a>", b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'):
        with pytest.raises(XmlError):
            pretty(bad)


def test_parse_file_resolves_includes_next_to_the_file(tmp_path):
    (tmp_path / "part.xsd").write_text(
        f'<xs:schema xmlns:xs="{XSD}"><xs:element name="a" type="xs:string"/></xs:schema>', encoding="utf-8"
    )
    main = tmp_path / "main.xsd"
    main.write_text(
        f'<xs:schema xmlns:xs="{XSD}"><xs:include schemaLocation="part.xsd"/></xs:schema>', encoding="utf-8"
    )
    assert etree.XMLSchema(parse_file(main)).validate(parse(b"<a>x</a>"))
    with pytest.raises(OSError):
        parse_file(tmp_path / "missing.xsd")


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("where", "flagged"), [("simulator/bypass.py", True), ("oso/parsing.py", False)])
def test_the_lint_keeps_every_parse_going_through_the_chokepoint(where, flagged):
    """ruff's banned-api rule (pyproject.toml): lxml's own parsers only in oso/parsing.py."""
    bypass = "from lxml import etree\n\nroot = etree.fromstring(b'<a/>', etree.XMLParser())\n"
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--stdin-filename", where, "-"],
        input=bypass, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode == 1) is flagged, done.stdout + done.stderr
    assert ("lxml.etree.fromstring` is banned" in done.stdout) is flagged
