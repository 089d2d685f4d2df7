"""Our own XSD set against the official one: same verdicts on the examples and on broken dossiers."""

import copy
import itertools

import pytest
from lxml import etree

from oso.namespaces import DOSSIER
from oso.schema import OWN_DOSSIER_XSD, SchemaError, dossier_schema, find_schema_file

# Broken documents: each example with one element removed, duplicated, emptied or given a value of
# the wrong type. These are where two schemas that differ would disagree.
MUTATIONS = ("delete", "duplicate", "empty", "bad-date", "not-a-number", "swap-with-next")


def mutants(path):
    base = etree.parse(str(path), etree.XMLParser(remove_blank_text=True))
    elements = [e for e in base.iter() if isinstance(e.tag, str)][1:]
    for index, op in itertools.product(range(len(elements)), MUTATIONS):
        doc = copy.deepcopy(base)
        target = [e for e in doc.iter() if isinstance(e.tag, str)][1:][index]
        leaf = len(target) == 0
        if op == "delete":
            target.getparent().remove(target)
        elif op == "duplicate":
            target.addnext(copy.deepcopy(target))
        elif op == "swap-with-next":
            nxt = target.getnext()
            if nxt is None:
                continue
            nxt.addnext(target)
        elif not leaf:
            continue
        else:
            target.text = {"empty": "", "bad-date": "2019-02-30", "not-a-number": "abc"}[op]
        yield f"{path.name}:{base.getpath(elements[index])}:{op}", doc


def test_own_schema_accepts_every_official_example(official_examples, own_schema):
    for path in official_examples:
        assert own_schema.validate(etree.parse(str(path))), (path.name, own_schema.error_log)


def test_own_and_official_schema_agree_on_broken_dossiers(official_examples, own_schema, official_schema):
    # The opt-out examples between them use every block but the attachments; one full example adds those.
    chosen = [p for p in official_examples if "opt_out" in p.name] + [
        p for p in official_examples if p.name == "Voorbeelddossier_OV_VOVO_full.xml"
    ]
    tried = rejected = 0
    disagreements = []
    for path in chosen:
        for label, doc in mutants(path):
            ours, theirs = own_schema.validate(doc), official_schema.validate(doc)
            tried += 1
            rejected += not theirs
            if ours != theirs:
                disagreements.append((label, ours, theirs))
    assert not disagreements, disagreements[:10]
    assert tried > 10_000 and rejected > 3_000  # the corpus really exercises the schema


def test_schema_dir_finds_the_official_file(official_dir):
    found = find_schema_file(official_dir, DOSSIER, "dossier")
    assert found.name == "OSO_gegevensset_2019.1.xsd"
    assert dossier_schema(official_dir) is not dossier_schema()


def test_schema_dir_without_the_namespace_is_a_clear_error(tmp_path):
    (tmp_path / "other.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">'
        '<xs:element name="a"/></xs:schema>'
    )
    with pytest.raises(SchemaError, match="no .xsd file declares element 'dossier'"):
        dossier_schema(tmp_path)
    with pytest.raises(SchemaError, match="not a directory"):
        dossier_schema(tmp_path / "missing")


def test_own_schema_is_written_by_us_not_copied(official_dir):
    official = (official_dir / "OSO_gegevensset_2019.1.xsd").read_text(encoding="utf-8")
    for part in OWN_DOSSIER_XSD.parent.glob("*.xsd"):
        text = part.read_text(encoding="utf-8")
        assert "xs:documentation" not in text
        assert len(text) < len(official) / 2
