from fixtures.cohort import generate
from oso import codec
from oso.profiles import Profile
from oso.validation import Problem, failed, validate


def test_not_well_formed_is_an_XML_problem(own_schema):
    (p,) = validate(b"<dossier>\n<open>\n</dossier>", own_schema)
    assert p.rule == "XML" and p.line == 3 and "not-well-formed" in p.message


def test_schema_errors_name_the_element_without_namespace_noise(own_schema):
    data = codec.encode(next(generate(Profile.POPO, 1)).dossier).replace(b"<roepnaam>", b"<bijnaam>", 1)
    data = data.replace(b"</roepnaam>", b"</bijnaam>", 1)
    problems = validate(data, own_schema)
    assert problems and all(p.rule == "XSD" for p in problems)
    assert "bijnaam" in problems[0].message and "{http" not in problems[0].message
    assert problems[0].line > 1


def test_problem_line_format():
    assert Problem("OVa.LL01", "msg", 12).format("a.xml") == "a.xml:12: OVa.LL01: msg"


def test_should_problems_do_not_fail():
    from oso.rules import Level

    assert not failed([Problem("OVa.TR01", "x", 1, Level.SHOULD)])
    assert failed([Problem("OVa.TR01", "x", 1, Level.SHOULD), Problem("XSD", "y", 2)])
