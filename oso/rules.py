"""Business rules for dossiers beyond the XSD, registered under their ids.

Rule ids are Edustandaard's (``OVa.*`` for the overstap profiles, ``OVb.*`` for binnen-BRIN,
``PaO.*`` for the Passend Onderwijs (SWV) profiles, ``OG.*`` and ``OS.cat_*`` for the gegevensset as a
whole); rules osokit adds carry ``OSOKIT-*``. The texts are osokit's own short summaries, not the
standard's wording; docs/synthetic-data.md says where each family of ids comes from.

A rule is covered by one or more *checks*. A check is an XPath 1.0 expression, compiled once,
that selects the offending nodes (empty: the rule holds), plus when it applies: the dossier kind
(``overdrachtsoort``), the overstap type, and optionally a condition on the declared
categorie_uitlevering. Those few facts are read once per dossier in Python; all checks that
apply are then evaluated as one union from the pupil node, so a valid dossier costs one XPath
call. Only when the union finds something are the checks run one by one to name the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TypedDict

from lxml import etree

from oso.namespaces import DOSSIER
from oso.profiles import CATEGORY_CONTENT, PROFILE_CATEGORIES, SWV_OVERSTAP, Category, Profile, Uitlevering

NS = {"od": DOSSIER}
OVERSTAP = "overstapdossier"
BINNENBRIN = "overdrachtbinnenbrin"
SWV = "swv-dossier"
KNOWN_KINDS = (OVERSTAP, BINNENBRIN, SWV)
EDUSTANDAARD = "Edustandaard, OSO gegevensset 2019.1 business rules"
EDUSTANDAARD_PAO = "Edustandaard, OSO gegevensset 2019.1 SWV-profielen (ValideerSwvPaO-profielen.xsl, 2019.1.1)"
OSOKIT = "osokit, derived from the profile tables of gegevensset 2019.1"


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Facts:
    """What decides which checks apply to a dossier, read once from its tree."""

    kind: str | None  # overdrachtsoort; None when it is not one we know
    overstap: str | None
    categories: tuple[str, ...] = ()  # declared value per Category, in enum order ("" when absent)

    def category(self, name: str) -> str | None:
        return self.categories[_CATEGORY_INDEX[name]] or None if self.categories else None

    @classmethod
    def of(cls, root: etree._Element) -> Facts:
        return read(root)[0]


_CATEGORY_INDEX = {c.value: i for i, c in enumerate(Category)}
_TAG_KIND, _TAG_METADATA, _TAG_OVERSTAP, _TAG_CU, _TAG_HS, _TAG_LL = (
    f"{{{DOSSIER}}}{name}"
    for name in ("overdrachtsoort", "metadata", "overstap", "categorie_uitlevering", "huidigeschool", "leerling")
)
_CATEGORY_TAGS = tuple(f"{{{DOSSIER}}}{c.value}" for c in Category)


def _declared_values(block: etree._Element) -> tuple[str, ...]:
    pairs = [(c.tag, c.text or "") for c in block]
    if tuple(tag for tag, _ in pairs) == _CATEGORY_TAGS:
        return tuple(text for _, text in pairs)
    found = dict(pairs)  # out of schema order (the XSD reports that); still read what is there
    return tuple(found.get(tag, "") for tag in _CATEGORY_TAGS)


def read(root: etree._Element) -> tuple[Facts, etree._Element | None]:
    """The facts of a dossier and its leerling node (None in a dossier too broken to have one).

    Plain iteration over the few elements involved: cheaper than XPath or ElementPath here.
    """
    kind = overstap = leerling = None
    categories: tuple[str, ...] = ()
    for child in root:
        tag = child.tag
        if tag == _TAG_METADATA:
            for item in child:
                if item.tag == _TAG_OVERSTAP:
                    overstap = item.text
                elif item.tag == _TAG_CU:
                    categories = _declared_values(item)
        elif tag == _TAG_KIND:
            kind = child.text
        elif tag == _TAG_HS and len(child):
            last = child[-1]  # leerling closes huidigeschool in the schema
            leerling = last if last.tag == _TAG_LL else next((c for c in child if c.tag == _TAG_LL), None)
    return Facts(kind if kind in KNOWN_KINDS else None, overstap, categories), leerling


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    level: Level = Level.MUST
    source: str = EDUSTANDAARD
    also: tuple[str, ...] = ()  # the same check under another official id


@dataclass(frozen=True)
class Check:
    """One XPath test of a rule, evaluated from the pupil (leerling) node."""

    rule: Rule
    offending: str  # XPath selecting the nodes that break the rule
    kinds: frozenset[str | None] = frozenset()  # overdrachtsoort values; empty = all; None = unknown
    overstap: frozenset[str] = frozenset()  # metadata/overstap values; empty = any
    when: Callable[[Facts], bool] | None = None  # a further condition on the facts
    xpath: etree.XPath = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "xpath", etree.XPath(self.offending, namespaces=NS))

    def matches(self, facts: Facts) -> bool:
        """The dossier is of the kind and overstap type this check is about."""
        return (not self.kinds or facts.kind in self.kinds) and (not self.overstap or facts.overstap in self.overstap)

    def applies(self, facts: Facts) -> bool:
        return self.matches(facts) and (self.when is None or self.when(facts))


RULES: dict[str, Rule] = {}
CHECKS: list[Check] = []


def _rule(
    rule_id: str,
    text: str,
    offending: str | None = None,
    *,
    kinds: frozenset[str | None] = frozenset(),
    overstap: frozenset[str] = frozenset(),
    level: Level = Level.MUST,
    source: str = EDUSTANDAARD,
    also: tuple[str, ...] = (),
) -> Rule:
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} registered twice")
    rule = RULES[rule_id] = Rule(rule_id, text, level, source, also)
    if offending is not None:
        CHECKS.append(Check(rule, offending, kinds, overstap))
    return rule


# Paths from the pupil node (the context of every check) ...
LL = "self::od:leerling"
HS = "parent::od:huidigeschool"
D = f"{HS}/parent::od:dossier"
MD = f"{D}/od:metadata"
IZ = f"{D}/od:inzage"
# ... and from the document root, for conditions inside predicates (where the context moves).
ROOT_HS = "/od:dossier/od:huidigeschool"
ROOT_MD = "/od:dossier/od:metadata"


def true(path: str) -> str:
    """xs:boolean true, as a node test (cheaper in libxml2 than comparing a node-set twice)."""
    return f"{path}[.='true' or .='1']"


def _weighted(path: str) -> str:
    terms = " + ".join(f"{w}*substring({path},{i},1)" for i, w in enumerate(range(9, 1, -1), start=1))
    return f"({terms} - substring({path},9,1))"


def _digits9(path: str) -> str:
    return f"(string-length({path})=9 and translate({path},'0123456789','')='')"


OVa = frozenset({OVERSTAP})
OVb = frozenset({BINNENBRIN})
PaO = frozenset({SWV})
POVO = frozenset({"POVO"})

# --- metadata -----------------------------------------------------------------------------------
for _kind, _kinds in (("OVa", OVa), ("OVb", OVb), ("PaO", PaO)):
    _source = EDUSTANDAARD_PAO if _kinds is PaO else EDUSTANDAARD
    _rule(
        f"{_kind}.MD01",
        "The dossier has a LAS part: deeldossier is LAS or LASLVS.",
        f"{MD}/od:deeldossier[not(.='LAS' or .='LASLVS')]",
        kinds=_kinds,
        source=_source,
    )
    _rule(
        f"{_kind}.MD02",
        "validatieversie is 2019.1.1 for this version of the rules.",
        f"{MD}/od:validatieversie[.!='2019.1.1']",
        kinds=_kinds,
        source=_source,
    )
    _rule(
        f"{_kind}.MD03",
        "The dossier carries the categorie_uitlevering block.",
        f"{MD}[not(od:categorie_uitlevering)]",
        kinds=_kinds,
        source=_source,
    )
_rule("OVa.OS01", "An overstapdossier states its overstap type.", f"{MD}[not(od:overstap)]", kinds=OVa)
_rule(
    "OVa.OS02",
    "The overstap type is POPO, POVO or VOVO.",
    f"{MD}/od:overstap[not(.='POPO' or .='POVO' or .='VOVO')]",
    kinds=OVa,
)
_rule(
    "OVa.OS03",
    "overdrachtsoort is overstapdossier or overdrachtbinnenbrin (swv-dossier is the PaO profile).",
    f"{D}/od:overdrachtsoort",
    kinds=frozenset({None}),
    also=("OVb.OS01",),
)

# --- ouderinzage ------------------------------------------------------------------------------
_rule("OVa.IZ01", "An overstapdossier has the inzage block.", f"{D}[not(od:inzage)]", kinds=OVa)
_rule("OVa.IZ02", "Parents have seen the dossier: inzage is true.", f"{IZ}[not({true('od:inzage')})]", kinds=OVa)
_rule(
    "OVa.IZ03",
    "After inzage the inzagedatum is given.",
    f"{IZ}[{true('od:inzage')} and not(od:inzagedatum)]",
    kinds=OVa,
)
_rule(
    "OVa.IZ04",
    "After inzage the parents' akkoord is given.",
    f"{IZ}[{true('od:inzage')} and not(od:akkoord)]",
    kinds=OVa,
)
_rule(
    "OVa.IZ05",
    "A VOVO dossier records toestemming.",
    f"{IZ}[not(od:toestemming)]",
    kinds=OVa,
    overstap=frozenset({"VOVO"}),
)

# --- school -----------------------------------------------------------------------------------
_rule("OVa.SL01", "The school has at least one address.", f"{HS}[not(od:adreslijst/od:adres)]", kinds=OVa)
_rule(
    "OVa.SL02",
    "The school has at least one means of contact.",
    f"{HS}[not(od:communicatielijst/od:communicatie)]",
    kinds=OVa,
)
_rule(
    "OVa.SL01b",
    "The pupil has at least one schoolloopbaan entry (the official validation labels this check OVa.SL01 as well).",
    f"{LL}[not(od:schoolloopbaanlijst/od:schoolloopbaan)]",
    kinds=OVa,
)

# --- leerling ---------------------------------------------------------------------------------
_rule("OVa.LL01", "The pupil has at least one first name.", f"{LL}[not(od:voornaam)]", kinds=OVa)
_rule("OVa.LL02", "The pupil's birth date is given.", f"{LL}[not(od:geboortedatum)]", kinds=OVa)
_rule("OVa.LL03", "No birth month (geboortemaand) in an overstapdossier.", "od:geboortemaand", kinds=OVa)
_rule("OVa.LL04", "The address-secret flag (adresgeheim) is given.", f"{LL}[not(od:adresgeheim)]", kinds=OVa)
_rule(
    "OVa.LL05",
    "A pupil whose address is not secret has a Dutch or foreign address.",
    f"{LL}[not(od:adreslijst/od:adres) and not(od:adresbuitenland) and not({true('od:adresgeheim')})]",
    kinds=OVa,
)
_rule(
    "OVa.LL06",
    "No address when the pupil's address is secret.",
    f"{LL}[{true('od:adresgeheim')}]/od:adreslijst",
    kinds=OVa,
)
_rule("OVa.LL07", "No postcode4adres in an overstapdossier.", "od:postcode4adres", kinds=OVa)
_SECRET_COMMUNICATIE = (
    "[{t} and ((od:soort='telefoon' and od:nummer!='9999999999')"
    " or (od:soort='e-mail' and od:nummer!='geheim@geheim.geheim'))]".format(t=true("od:geheim"))
)
TOETS = "od:toetslijst/od:toets"
# Every place a communicatie can sit, spelled out: explicit steps are far cheaper than //.
_HOLDERS = (
    HS,
    LL,
    "od:huisarts",
    "od:aansprakelijkeinstelling",
    "od:stage/od:instelling",
    f"{TOETS}/od:afname/od:afgenomendoor/od:werktbijinstelling/*",
)
_COMMUNICATIE = " | ".join(f"{h}/od:communicatielijst/od:communicatie" for h in _HOLDERS)
_SECRET_PLACEHOLDERS = (
    (("OVa.LL08", "OVa.OV04"), OVa, EDUSTANDAARD),
    (("OVb.LL04", "OVb.OV02"), OVb, EDUSTANDAARD),
    (("PaO.LL08", "PaO.OV04"), PaO, EDUSTANDAARD_PAO),
)
for (_pupil_id, _carer_id), _kinds, _src in _SECRET_PLACEHOLDERS:
    _rule(
        _pupil_id,
        "Secret contact details carry the placeholder 9999999999 or geheim@geheim.geheim.",
        f"({_COMMUNICATIE}){_SECRET_COMMUNICATIE}",
        kinds=_kinds,
        source=_src,
    )
    _rule(
        _carer_id,
        "A carer's secret contact details carry the placeholder value.",
        f"od:verzorger/od:communicatielijst/od:communicatie{_SECRET_COMMUNICATIE}",
        kinds=_kinds,
        source=_src,
    )
_rule(
    "OVa.LL09",
    "No foreign address when the pupil's address is secret.",
    f"{LL}[{true('od:adresgeheim')}]/od:adresbuitenland",
    kinds=OVa,
)
_rule("OVa.LL10", "No birthplace in an overstapdossier.", "od:geboorteplaats", kinds=OVa)
_rule("OVa.LL11", "No nationality in an overstapdossier.", "od:nationaliteit", kinds=OVa)
_rule(
    "OVa.LL12",
    "The pupil has a BSN or an onderwijsnummer.",
    f"{LL}[not(od:bsn) and not(od:onderwijsnummer)]",
    kinds=OVa,
)
_rule(
    "OVa.LL13",
    "A POVO dossier carries the pupil's id in the school administration (leerlingid).",
    f"{LL}[not(od:leerlingid)]",
    kinds=OVa,
    overstap=POVO,
)
_rule("OVa.LL14", "The enrolment date (datuminschrijving) is given.", f"{LL}[not(od:datuminschrijving)]", kinds=OVa)
_rule(
    "OVa.LL15",
    "Whether the carers are liable (verzorgersaansprakelijk) is given.",
    f"{LL}[not(od:verzorgersaansprakelijk)]",
    kinds=OVa,
)
_rule(
    "OVa.AI01",
    "When carers are not liable, the responsible institution is given (POPO and POVO).",
    f"{LL}[od:verzorgersaansprakelijk and not({true('od:verzorgersaansprakelijk')})"
    " and not(od:aansprakelijkeinstelling)]",
    kinds=OVa,
    overstap=frozenset({"POPO", "POVO"}),
)

# --- oudersverzorgers -------------------------------------------------------------------------
_rule(
    "OVa.OV01",
    "When carers are liable, at least one carer is given.",
    f"{LL}[{true('od:verzorgersaansprakelijk')} and not(od:verzorger)]",
    kinds=OVa,
)
_rule(
    "OVa.OV03",
    "No carer address when the carer's address is secret.",
    f"od:verzorger[{true('od:adresgeheim')}]/od:adreslijst",
    kinds=OVa,
)

# --- vve --------------------------------------------------------------------------------------
_NOT_POPO = frozenset({"POVO", "VOVO"})
_rule("OVa.VV01", "voorschools only in a POPO dossier.", "od:voorschools", kinds=OVa, overstap=_NOT_POPO)
_rule("OVa.VV02", "vroegschools only in a POPO dossier.", "od:vroegschools", kinds=OVa, overstap=_NOT_POPO)

# --- overstapadvies ---------------------------------------------------------------------------
_rule("OVa.OA01", "An overstapdossier has the overstapadvies block.", f"{LL}[not(od:overstapadvies)]", kinds=OVa)
_rule(
    "OVa.OA02",
    "A POVO dossier gives the VO advice (special schools, soort SO, excepted).",
    f"od:overstapadvies[not(od:advies) and not({ROOT_HS}/od:soort='SO')]",
    kinds=OVa,
    overstap=POVO,
)
_rule(
    "OVa.OA03",
    "Whether contact is needed (contactnodig) is given.",
    "od:overstapadvies[not(od:contactnodig)]",
    kinds=OVa,
)
_rule(
    "OVa.OA04",
    "When contact is needed, a contact person is given.",
    f"od:overstapadvies[{true('od:contactnodig')} and not(od:contactpersoon)]",
    kinds=OVa,
)
_rule(
    "OVa.OA05",
    "When contact is needed, a contact phone number is given.",
    f"od:overstapadvies[{true('od:contactnodig')} and not(od:contacttelefoon)]",
    kinds=OVa,
)

# --- eindtoets --------------------------------------------------------------------------------
EB = "od:eindtoets_basisonderwijs"
_rule(
    "OVa.EB02",
    "A pupil who took the eindtoets has its result.",
    f"{EB}[{true('od:deelgenomen')} and not(od:eindtoetsresultaat)]",
    kinds=OVa,
)
_rule(
    "OVa.EB03",
    "A pupil who did not take the eindtoets (or was exempted) has the test type.",
    f"{EB}[not({true('od:deelgenomen')}) and not(od:eindtoetsresultaat/od:toetssoort)]",
    kinds=OVa,
)
_rule(
    "OVa.EB04",
    "A pupil who took the eindtoets has the test's advice (toets_advies).",
    f"{EB}[{true('od:deelgenomen')} and not(od:eindtoetsresultaat/od:toets_advies)]",
    kinds=OVa,
)

# --- toetsresultaten and cijferlijsten --------------------------------------------------------
_rule(
    "OVa.TR01",
    "A POVO dossier that delivers test results has at least one test.",
    f"{LL}[not({TOETS}) and {ROOT_MD}/od:categorie_uitlevering/od:cat_toetsresultaten[.!='OPT-UIT']"
    f" and ({ROOT_MD}/od:deeldossier='LVS' or {ROOT_MD}/od:deeldossier='LASLVS')]",
    kinds=OVa,
    overstap=POVO,
    level=Level.SHOULD,
)
# The first day of the school year two years before the dossier's (a school year runs 1 Aug-31 Jul).
_CUTOFF = (
    f"((number(substring({ROOT_MD}/od:datum,1,4)) - (number(substring({ROOT_MD}/od:datum,6,2)) < 8) - 2) * 10000 + 801)"
)
_rule(
    "OVa.TR04",
    "A POVO dossier holds tests from the current and two previous school years only (1 Aug-31 Jul).",
    f"{TOETS}/od:afname/od:afnamedatum[number(translate(substring(.,1,10),'-','')) < {_CUTOFF}]",
    kinds=OVa,
    overstap=POVO,
)
_RESULTAAT = f"{TOETS}/od:resultaat | {TOETS}/od:toetsonderdeel/od:resultaat"
_rule(
    "OVa.TR05",
    "A test result has a score, a reference score or an attachment.",
    f"({_RESULTAAT})[not(od:toetsscore) and not(od:referentiescore) and not(od:document)]",
    kinds=OVa,
)
_rule(
    "OVa.TR06",
    "A test score has at least one of: questions, right, wrong, read, time, ability score.",
    f"({TOETS}/od:resultaat/od:toetsscore | {TOETS}/od:toetsonderdeel/od:resultaat/od:toetsscore)"
    "[not(od:aantalopgaven or od:aantalgoed or od:aantalfout or od:aantalgelezen or od:tijd"
    " or od:vaardigheidsscore)]",
    kinds=OVa,
)
_RAPPORT = "od:cijferlijstlijst/od:cijferlijst/od:cijferlijstTypelijst"
_rule(
    "OVa.CL01",
    "A report-card score has a value or a qualification.",
    f"({_RAPPORT}/od:score | {_RAPPORT}/od:onderdeel/od:score)[not(od:waarde) and not(od:kwalificatie)]",
    kinds=OVa,
)

# --- zorg (kept for traceability: the vir and zat blocks left the schema in 2019) -------------
_rule("OVa.ZB02", "No verwijsindex (vir) data in an overstapdossier.", "od:zorg/od:vir", kinds=OVa)
_rule(
    "OVa.ZB03",
    "ZAT (zorgadviesteam) data is discouraged in an overstapdossier.",
    "od:zorg/od:zat",
    kinds=OVa,
    level=Level.SHOULD,
)

# --- binnen-BRIN --------------------------------------------------------------------------------
_rule("OVb.LL01", "No birth month (geboortemaand) in a binnen-BRIN dossier.", "od:geboortemaand", kinds=OVb)
_rule(
    "OVb.LL02",
    "No address when the pupil's address is secret (binnen-BRIN).",
    f"{LL}[{true('od:adresgeheim')}]/od:adreslijst",
    kinds=OVb,
)
_rule("OVb.LL03", "No postcode4adres in a binnen-BRIN dossier.", "od:postcode4adres", kinds=OVb)
_rule(
    "OVb.LL05",
    "No foreign address when the pupil's address is secret (binnen-BRIN).",
    f"{LL}[{true('od:adresgeheim')}]/od:adresbuitenland",
    kinds=OVb,
)
_rule(
    "OVb.OV01",
    "No carer address when the carer's address is secret (binnen-BRIN).",
    f"od:verzorger[{true('od:adresgeheim')}]/od:adreslijst",
    kinds=OVb,
)

# --- Passend Onderwijs (swv-dossier, profiles POSWV and VOSWV) ----------------------------------
# Edustandaard's ValideerSwvPaO-profielen.xsl (2019.1.1) in the order it checks them. Where it uses one
# id for two checks (PaO.SL01: school address and school career) the second is PaO.SL01b, as for OVa.
_POSWV, _VOSWV = frozenset({"POSWV"}), frozenset({"VOSWV"})
_PAO_RULES: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("PaO.SO01", "A swv-dossier states its overstap type.", f"{MD}[not(od:overstap)]", frozenset()),
    (
        "PaO.SO02",
        "The overstap type of a swv-dossier is POSWV or VOSWV.",
        f"{MD}/od:overstap[not(.='POSWV' or .='VOSWV')]",
        frozenset(),
    ),
    ("PaO.SL01", "The school has at least one address.", f"{HS}[not(od:adreslijst/od:adres)]", frozenset()),
    (
        "PaO.SL02",
        "The school has at least one means of contact.",
        f"{HS}[not(od:communicatielijst/od:communicatie)]",
        frozenset(),
    ),
    ("PaO.LL01", "The pupil has at least one first name.", f"{LL}[not(od:voornaam)]", frozenset()),
    ("PaO.LL02", "The pupil's birth date is given.", f"{LL}[not(od:geboortedatum)]", frozenset()),
    ("PaO.LL03", "No birth month (geboortemaand) in a swv-dossier.", "od:geboortemaand", frozenset()),
    ("PaO.LL04", "The address-secret flag (adresgeheim) is given.", f"{LL}[not(od:adresgeheim)]", frozenset()),
    (
        "PaO.LL05",
        "A pupil whose address is not secret has a Dutch or foreign address.",
        f"{LL}[not(od:adreslijst/od:adres) and not(od:adresbuitenland) and not({true('od:adresgeheim')})]",
        frozenset(),
    ),
    (
        "PaO.LL06",
        "No address when the pupil's address is secret.",
        f"{LL}[{true('od:adresgeheim')}]/od:adreslijst",
        frozenset(),
    ),
    ("PaO.LL07", "No postcode4adres in a swv-dossier.", "od:postcode4adres", frozenset()),
    (
        "PaO.LL09",
        "No foreign address when the pupil's address is secret.",
        f"{LL}[{true('od:adresgeheim')}]/od:adresbuitenland",
        frozenset(),
    ),
    ("PaO.LL10", "No birthplace in a swv-dossier.", "od:geboorteplaats", frozenset()),
    ("PaO.LL11", "No nationality in a swv-dossier.", "od:nationaliteit", frozenset()),
    (
        "PaO.LL12",
        "No BSN or onderwijsnummer in a swv-dossier: the samenwerkingsverband gets no pupil number.",
        "od:bsn | od:onderwijsnummer",
        frozenset(),
    ),
    ("PaO.VV01", "No vanpeuterspeelzaal in a VOSWV dossier.", "od:vanpeuterspeelzaal", _VOSWV),
    ("PaO.VV02", "No naampeuterspeelzaal in a VOSWV dossier.", "od:naampeuterspeelzaal", _VOSWV),
    ("PaO.VV03", "No voorschools in a VOSWV dossier.", "od:voorschools", _VOSWV),
    ("PaO.VV04", "No vroegschools in a VOSWV dossier.", "od:vroegschools", _VOSWV),
    (
        "PaO.SL01b",
        "The pupil has at least one schoolloopbaan entry (the official validation labels this check PaO.SL01 too).",
        f"{LL}[not(od:schoolloopbaanlijst/od:schoolloopbaan)]",
        frozenset(),
    ),
    ("PaO.EB01", "No eindtoets_basisonderwijs in a POSWV dossier.", "od:eindtoets_basisonderwijs", _POSWV),
    (
        "PaO.OV01",
        "When carers are liable, at least one carer is given.",
        f"{LL}[{true('od:verzorgersaansprakelijk')} and not(od:verzorger)]",
        frozenset(),
    ),
    ("PaO.VM01", "No bevorderd block in a POSWV dossier.", "od:bevorderd", _POSWV),
    ("PaO.VM02", "No examenresultaat in a POSWV dossier.", "od:examenresultaat", _POSWV),
    ("PaO.VM03", "No resultaatvakkenvo in a POSWV dossier.", "od:resultaatvakkenvo", _POSWV),
    ("PaO.VM04", "No certificaat in a POSWV dossier.", "od:certificaat", _POSWV),
    ("PaO.VM05", "No competenties in a POSWV dossier.", "od:competenties", _POSWV),
    ("PaO.VM06", "No stage in a POSWV dossier.", "od:stage", _POSWV),
    ("PaO.VM07", "No overigvombo in a POSWV dossier.", "od:overigvombo", _POSWV),
    (
        "PaO.OV03",
        "No carer address when the carer's address is secret.",
        f"od:verzorger[{true('od:adresgeheim')}]/od:adreslijst",
        frozenset(),
    ),
    (
        "PaO.OV05",
        "No bank account number (banknummer) for a carer in a swv-dossier.",
        "od:verzorger/od:banknummer",
        frozenset(),
    ),
    # The zorg block left the schema in 2019; the PaO validation still names these two (kept for traceability).
    ("PaO.ZB01", "No verwijsindex (vir) data in a swv-dossier.", "od:zorg/od:vir", frozenset()),
    ("PaO.ZB02", "No ZAT (zorgadviesteam) data in a swv-dossier.", "od:zorg/od:zat", frozenset()),
    (
        "PaO.TR01",
        "A test result has a score, a reference score or an attachment.",
        f"({_RESULTAAT})[not(od:toetsscore) and not(od:referentiescore) and not(od:document)]",
        frozenset(),
    ),
    (
        "PaO.TR02",
        "A test score has at least one of: questions, right, wrong, read, time, ability score.",
        f"({TOETS}/od:resultaat/od:toetsscore | {TOETS}/od:toetsonderdeel/od:resultaat/od:toetsscore)"
        "[not(od:aantalopgaven or od:aantalgoed or od:aantalfout or od:aantalgelezen or od:tijd"
        " or od:vaardigheidsscore)]",
        frozenset(),
    ),
    (
        "PaO.CL01",
        "A report-card score has a value or a qualification.",
        f"({_RAPPORT}/od:score | {_RAPPORT}/od:onderdeel/od:score)[not(od:waarde) and not(od:kwalificatie)]",
        frozenset(),
    ),
)
for _id, _text, _offending, _overstap in _PAO_RULES:
    _rule(_id, _text, _offending, kinds=PaO, overstap=_overstap, source=EDUSTANDAARD_PAO)
_rule(
    "PaO.SO03",
    "A dossier with a SWV overstap type (POSWV, VOSWV) has overdrachtsoort swv-dossier.",
    f"{D}/od:overdrachtsoort",
    kinds=frozenset({OVERSTAP, BINNENBRIN, None}),
    overstap=frozenset(SWV_OVERSTAP),
    source=EDUSTANDAARD_PAO,
)

# --- gegevensset-wide -------------------------------------------------------------------------
_rule("OG.02", "standaardversie is 2019.1.", f"{MD}/od:standaardversie[.!='2019.1']")
_rule(
    "OG.04",
    "A carer's date of death only when the carer is marked deceased.",
    f"od:verzorger[od:overlijdensdatum and not({true('od:overleden')})]/od:overlijdensdatum",
)
_rule(
    "OSOKIT-ID-01",
    "A BSN passes the 11-proef.",
    f"od:bsn[not({_digits9('.')} and {_weighted('.')} mod 11 = 0 and .!='000000000')]",
    source=OSOKIT,
)
_rule(
    "OSOKIT-ID-02",
    "An onderwijsnummer starts with 1 and passes its check (weighted sum mod 11 = 5).",
    f"od:onderwijsnummer[not({_digits9('.')} and substring(.,1,1)='1' and {_weighted('.')} mod 11 = 5)]",
    source=OSOKIT,
)

# --- categories ---------------------------------------------------------------------------------


def _content(category: Category) -> str:
    """The nodes holding a category's data, from the pupil node."""
    return " | ".join(part.replace("../../", f"{D}/") for part in CATEGORY_CONTENT[category].split(" | "))


def _declared(name: str, value: str) -> Callable[[Facts], bool]:
    return lambda facts: facts.category(name) == value


for _cat in CATEGORY_CONTENT:
    _os = _rule(f"OS.{_cat.value}", f"No {_cat.label} data when the category is OPT-UIT (left out).")
    CHECKS.append(Check(_os, _content(_cat), when=_declared(_cat.value, Uitlevering.OPT_UIT.value)))


class _ProfileFacts(TypedDict, total=False):
    kinds: frozenset[str | None]
    overstap: frozenset[str]


def _profile_facts(profile: Profile) -> _ProfileFacts:
    if profile.overstap is None:  # binnen-BRIN: any overstap type
        return {"kinds": frozenset({profile.overdrachtsoort})}
    return {"kinds": frozenset({profile.overdrachtsoort}), "overstap": frozenset({profile.overstap})}


def _misdeclared(name: str, expected: Uitlevering) -> Callable[[Facts], bool]:
    allowed = {expected.value}
    if expected is Uitlevering.OPTIONEEL:
        allowed.add(Uitlevering.OPT_UIT.value)
    return lambda facts: facts.categories != () and facts.category(name) not in allowed


_cat01 = _rule(
    "OSOKIT-CAT-01",
    "categorie_uitlevering matches the profile: VERPLICHT and VERBODEN as the profile"
    " says; an OPTIONEEL category may be OPT-UIT.",
    source=OSOKIT,
)
_cat02 = _rule("OSOKIT-CAT-02", "No data in a category the profile forbids (VERBODEN).", source=OSOKIT)
for _profile, _table in PROFILE_CATEGORIES.items():
    for _c, _u in _table.items():
        # Decided from the declared values alone; the XPath only locates the declaration.
        CHECKS.append(
            Check(
                _cat01,
                f"{MD}/od:categorie_uitlevering/od:{_c.value}",
                when=_misdeclared(_c.value, _u),
                **_profile_facts(_profile),
            )
        )
    _forbidden = [c for c, u in _table.items() if u is Uitlevering.VERBODEN]
    if _forbidden:
        CHECKS.append(Check(_cat02, " | ".join(_content(c) for c in _forbidden), **_profile_facts(_profile)))


# --- running the rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    rule: Rule
    node: etree._Element

    @property
    def line(self) -> int:
        return self.node.sourceline or 0

    @property
    def path(self) -> str:
        return readable_path(self.node)


def readable_path(node: etree._Element) -> str:
    """/dossier/huidigeschool/leerling/verzorger[2]: local names, an index only where it is needed."""
    steps = []
    current: etree._Element | None = node
    while current is not None:
        parent = current.getparent()
        same = [] if parent is None else [s for s in parent if s.tag == current.tag]
        name = etree.QName(current).localname
        steps.append(f"{name}[{same.index(current) + 1}]" if len(same) > 1 else name)
        current = parent
    return "/" + "/".join(reversed(steps))


@dataclass(frozen=True)
class CheckSet:
    """The checks that apply to one kind of dossier, plus their union as one compiled XPath."""

    checks: tuple[Check, ...]
    union: etree.XPath


_HEAD_AND_PREDICATE = re.compile(r"([\w:/-]+)\[(.*)\]")


def _one_predicate(expr: str) -> tuple[str, str] | None:
    """'HEAD[PRED]' with one balanced predicate at the end -> (HEAD, PRED); else None."""
    match = _HEAD_AND_PREDICATE.fullmatch(expr)
    if not match:
        return None
    depth = 0
    for ch in match.group(2):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth < 0:
            return None
    return (match.group(1), match.group(2)) if depth == 0 else None


def _union(checks: tuple[Check, ...]) -> str:
    """One expression that is empty exactly when every check is: checks that test the same node
    (``HEAD[P1]``, ``HEAD[P2]``) become ``HEAD[(P1) or (P2)]``, one location path instead of many."""
    grouped: dict[str, list[str]] = {}
    plain: list[str] = []
    for c in checks:
        split = _one_predicate(c.offending)
        if split:
            grouped.setdefault(split[0], []).append(split[1])
        else:
            plain.append(f"({c.offending})")
    parts = [f"{head}[{' or '.join(f'({p})' for p in preds)}]" for head, preds in grouped.items()]
    return " | ".join(parts + plain) or "/.."


@lru_cache(maxsize=1024)
def applicable(facts: Facts) -> CheckSet:
    checks = tuple(c for c in CHECKS if c.applies(facts))
    return CheckSet(checks, etree.XPath(_union(checks), namespaces=NS))


def check(root: etree._Element) -> list[Violation]:
    """Evaluate the checks that apply to this dossier; an empty list means it passes them all.

    A dossier without huidigeschool/leerling fails its schema; the rules need a pupil to judge.
    """
    facts, leerling = read(root)
    if leerling is None:
        return []
    found = applicable(facts)
    if not found.union(leerling):
        return []
    return [Violation(c.rule, node) for c in found.checks for node in c.xpath(leerling)]
