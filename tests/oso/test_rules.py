"""Each business rule has a positive test (it holds on valid dossiers it applies to) and a
negative one (a dossier breaking it is caught, under exactly that rule id)."""

import pytest
from hypothesis import given
from lxml import etree

from fixtures.cases import CASES, NOT_ALONE
from fixtures.cohort import generate
from fixtures.generator import Size
from oso import codec, rules
from oso.namespaces import DOSSIER
from oso.profiles import PROFILE_CATEGORIES, Category, Profile, profile_of
from oso.validation import validate
from tests.conftest import fuzz_budgets, fuzz_settings
from tests.oso.strategies import base_dossiers, mutate, mutated_dossiers

BAD_CASES = [(c.name, p) for c in CASES.values() if c.known_bad for p in c.profiles]
VALID_CASES = [(c.name, p) for c in CASES.values() if not c.known_bad for p in c.profiles]


def valid_corpus(official_examples):
    for path in official_examples:
        yield path.name, path.read_bytes()
    for profile in Profile:
        for size in Size:
            for item in generate(profile, 8, seed=11, size=size):
                yield item.filename, codec.encode(item.dossier)
    for name, profile in VALID_CASES:
        for item in generate(profile, 2, seed=5, case=name):
            yield item.filename, codec.encode(item.dossier)


def test_every_rule_has_a_negative_test():
    covered = {c.breaks for c in CASES.values() if c.known_bad} | set(NOT_ALONE)
    assert set(rules.RULES) == covered


def test_every_rule_holds_where_it_applies(official_examples, own_schema):
    """Positive side: no valid dossier breaks any rule, and every rule was checked on some of them."""
    checked: set[str] = set()
    for name, data in valid_corpus(official_examples):
        assert validate(data, own_schema) == [], name
        facts = rules.Facts.of(etree.fromstring(data))
        checked |= {c.rule.id for c in rules.applicable(facts).checks}
        # OSOKIT-CAT-01 is decided from the declared categories alone (its XPath only locates a wrong
        # declaration), so it was checked on every dossier of a kind it matches.
        checked |= {c.rule.id for c in rules.CHECKS if c.rule.id == "OSOKIT-CAT-01" and c.matches(facts)}
    # Only an overdrachtsoort osokit does not know makes OVa.OS03 apply, and only a SWV overstap type outside
    # a swv-dossier PaO.SO03: no valid dossier has either.
    assert set(rules.RULES) - checked == {"OVa.OS03", "PaO.SO03"}


@pytest.mark.parametrize(("case_name", "profile"), BAD_CASES, ids=[f"{c}-{p.value}" for c, p in BAD_CASES])
def test_known_bad_variant_breaks_exactly_its_rule(case_name, profile, own_schema, official_schema):
    case = CASES[case_name]
    for item in generate(profile, 3, seed=7, case=case_name):
        data = codec.encode(item.dossier)
        problems = validate(data, own_schema)
        assert {p.rule for p in problems} == {case.breaks}, [p.format(item.filename) for p in problems]
        assert official_schema.validate(etree.fromstring(data)), "a known-bad variant must stay XSD-valid"


def violated(root) -> set[str]:
    return {v.rule.id for v in rules.check(root)}


def tree(profile: Profile, size: Size | None = None, **kw):
    return etree.fromstring(codec.encode(next(generate(profile, 1, seed=4, size=size, **kw)).dossier))


def leerling(root):
    return root.find(f"{{{DOSSIER}}}huidigeschool/{{{DOSSIER}}}leerling")


def el(name, text=None, *children):
    e = etree.Element(f"{{{DOSSIER}}}{name}")
    e.text = text
    e.extend(children)
    return e


def test_not_alone_LL03_birth_month():
    root = tree(Profile.POVO)
    ll = leerling(root)
    birth = ll.find(f"{{{DOSSIER}}}geboortedatum")
    birth.addnext(el("geboortemaand", "2014-03"))
    ll.remove(birth)
    assert violated(root) == {"OVa.LL03", "OVa.LL02"}


@pytest.mark.parametrize(("rule", "block"), [("OVa.VV01", "voorschools"), ("OVa.VV02", "vroegschools")])
def test_not_alone_vve_in_povo(rule, block):
    root = tree(Profile.POVO)
    anchor = leerling(root).find(f"{{{DOSSIER}}}schoolloopbaanlijst")
    anchor.addprevious(el(block))
    assert violated(root) == {rule, "OSOKIT-CAT-02"}


def test_not_alone_EB02_participation_without_result():
    root = tree(Profile.POVO, case="after-eindtoets")
    eb = leerling(root).find(f"{{{DOSSIER}}}eindtoets_basisonderwijs")
    eb.remove(eb.find(f"{{{DOSSIER}}}eindtoetsresultaat"))
    assert violated(root) == {"OVa.EB02", "OVa.EB04"}


@pytest.mark.parametrize(("rule", "block"), [("OVa.ZB02", "vir"), ("OVa.ZB03", "zat")])
def test_not_alone_old_zorg_blocks(rule, block, own_schema):
    root = tree(Profile.POVO)
    leerling(root).append(el("zorg", None, el(block)))
    assert violated(root) == {rule}
    assert not own_schema.validate(root)  # and the schema refuses the block too


def test_unknown_overdrachtsoort_gets_only_OS03():
    root = tree(Profile.POVO)
    root.find(f"{{{DOSSIER}}}overdrachtsoort").text = "swv-aanvraag"
    assert violated(root) == {"OVa.OS03"}
    assert rules.RULES["OVa.OS03"].also == ("OVb.OS01",)


def test_swv_dossiers_are_not_judged_by_overstap_rules(official_examples):
    pao = [p for p in official_examples if "PaO" in p.name]
    for path in pao:
        facts = rules.Facts.of(etree.fromstring(path.read_bytes()))
        ids = {c.rule.id for c in rules.applicable(facts).checks}
        assert not any(i.startswith(("OVa.", "OVb.")) for i in ids)
        assert {"PaO.LL12", "PaO.SO02", "PaO.SL01b"} <= ids  # ... but by the PaO rules


def test_the_official_pao_examples_pass_and_their_rules_bite(official_examples, own_schema):
    """The four Voorbeelddossier_PaO_* pass the validator; the same dossier with the pupil's BSN (which a
    samenwerkingsverband may not get), a vo block in POSWV or a peuterspeelzaal in VOSWV does not."""
    pao = {p.name: p.read_bytes() for p in official_examples if "PaO" in p.name}
    assert len(pao) == 4
    for name, data in pao.items():
        assert validate(data, own_schema) == [], name
        root = etree.fromstring(data)
        ll = leerling(root)
        ll.find(f"{{{DOSSIER}}}leerlingid").addprevious(el("bsn", "999999990"))
        assert "PaO.LL12" in violated(root), name
    poswv = etree.fromstring(pao["Voorbeelddossier_PaO_POSWV_full.xml"])
    leerling(poswv).append(el("bevorderd", None, el("leerjaar", "11")))
    assert violated(poswv) == {"PaO.VM01", "OSOKIT-CAT-02"}
    voswv = etree.fromstring(pao["Voorbeelddossier_PaO_VOSWV_full.xml"])
    leerling(voswv).find(f"{{{DOSSIER}}}schoolloopbaanlijst").addprevious(el("vanpeuterspeelzaal", "true"))
    assert violated(voswv) == {"PaO.VV01", "OSOKIT-CAT-02"}


def test_profile_tables_are_the_official_examples_declarations(official_examples):
    """Each profile's categorie_uitlevering table is what its official full example declares."""
    names = {"OV_BB": Profile.BINNENBRIN, "PaO_POSWV": Profile.POSWV, "PaO_VOSWV": Profile.VOSWV}
    for path in (p for p in official_examples if p.name.endswith("_full.xml")):
        key = path.stem.removeprefix("Voorbeelddossier_").removesuffix("_full")
        profile = names.get(key) or Profile(key.removeprefix("OV_").lower())
        facts = rules.Facts.of(etree.fromstring(path.read_bytes()))
        assert dict(zip([c.value for c in Category], facts.categories, strict=True)) == {
            c.value: u.value for c, u in PROFILE_CATEGORIES[profile].items()
        }, path.name
        assert profile_of(facts.kind, facts.overstap) is profile


def test_pao_rule_ids_and_sources():
    pao = {i: r for i, r in rules.RULES.items() if i.startswith("PaO.")}
    assert len(pao) == 42 and all("SwvPaO" in r.source for r in pao.values())
    assert {r.level for r in pao.values()} == {rules.Level.MUST}


def test_violation_names_the_node_and_line():
    root = etree.fromstring(codec.encode(next(generate(Profile.VOVO, 1, case="bad-OVa.IZ05")).dossier))
    (v,) = rules.check(root)
    assert v.path == "/dossier/inzage" and v.line > 1


def test_rule_ids_are_unique_and_levels_are_known():
    assert all(r.level in (rules.Level.MUST, rules.Level.SHOULD) for r in rules.RULES.values())
    assert {r.id for r in rules.RULES.values() if r.level is rules.Level.SHOULD} == {"OVa.TR01", "OVa.ZB03"}


# --- property tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", fuzz_budgets(60, 3000))
def test_rules_judge_any_mutated_dossier_and_never_raise(budget):
    """On any tree the rules return violations, never an exception; and the one-XPath union that
    short-cuts a valid dossier finds something exactly when one of the checks it stands for does."""

    @fuzz_settings(budget)
    @given(mutated_dossiers)
    def check(case):
        base, mutations = case
        root = mutate(base_dossiers()[base], mutations)
        found = rules.check(root)
        facts, leerling = rules.read(root)
        checks = rules.applicable(facts).checks if leerling is not None else ()
        each = [(c.rule.id, node) for c in checks for node in c.xpath(leerling)]
        assert [(v.rule.id, v.node) for v in found] == each
        for v in found:
            assert v.rule is rules.RULES[v.rule.id] and v.path.startswith("/dossier") and v.line >= 0

    check()


def test_the_rules_see_a_broken_base_dossier():
    """The fuzzed dossiers start from dossiers the rules do judge: a bad BSN in each breaks a rule."""
    broken = set()
    for base in base_dossiers():
        root = etree.fromstring(base)
        for bsn in root.iter(f"{{{DOSSIER}}}bsn"):
            bsn.text = "123456789"
        broken |= {v.rule.id for v in rules.check(root)}
    assert broken
