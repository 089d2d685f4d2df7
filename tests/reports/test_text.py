from reports.text import first_line, pretty_xml, printable, shorten


def test_printable_keeps_text_and_whitespace():
    assert printable("Zoë\t<a & b>\r\n") == "Zoë\t<a & b>\r\n"


def test_printable_makes_illegal_characters_visible():
    assert printable("\x00\x08\x0b\x1f\x7f") == "\u2400\u2408\u240b\u241f\u2421"
    assert printable("\x85 \ud800 \ufffe \uffff") == "\ufffd \ufffd \ufffd \ufffd"


def test_pretty_xml_indents_well_formed_xml():
    assert pretty_xml('<?xml version="1.0"?><a><b x="&amp;">t</b></a>') == '<a>\n  <b x="&amp;">t</b>\n</a>\n'


def test_pretty_xml_leaves_anything_else_alone():
    for body in ("not xml", "<a><b></a>", "", "<a>\ud800</a>", '{"json": 1}'):
        assert pretty_xml(body) == body


def test_pretty_xml_never_expands_entities_or_fetches():
    bomb = '<!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;">]><a>&y;&y;</a>'
    assert pretty_xml(bomb).count("x") < 40
    external = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    assert "root:" not in pretty_xml(external)


def test_shorten_and_first_line():
    assert shorten("abcdef", 4) == ("abcd", 2) and shorten("ab", 4) == ("ab", 0)
    assert first_line("\n  first  \nsecond") == "first"
    assert first_line(None) == "" and first_line("x" * 10, 5) == "xxxx…"
