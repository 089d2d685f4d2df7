"""Expected vs found: the pupil data the suite gave a LAS against the dossier the LAS made of it.

In export mode the suite hands the LAS neutral pupil data (``POST /control/pupils``,
``conformance/pupil.schema.json``) and the LAS's own export (klaarzetten) makes the dossier. This
module knows the mapping from the contract (docs/conformance.md, "From pupil data to dossier"), one
table of JSON field -> XPath (:data:`DATA`), and is written from that contract alone, not from the
reference LAS's export code (``simulator/export.py``), so a mistake in one shows up against the other.

Three uses: :func:`read` turns a dossier back into pupil data (the suite derives the data it hands
out from the fixtures generator's dossiers this way); :func:`expected` says what a dossier made
of given data must carry (the profile's categories, the school's choice of optional ones, secret
addresses and numbers); :func:`compare` lists every difference, each with its XPath and in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from oso.errors import OsokitError
from oso.namespaces import DOSSIER
from oso.parsing import XmlError, parse
from oso.profiles import PROFILE_CATEGORIES, Category, Profile, Uitlevering, declared_profile
from oso.rules import readable_path

NS = {"od": DOSSIER}
SECRET = {"telefoon": "9999999999", "e-mail": "geheim@geheim.geheim"}  # the placeholders of OVa.LL08
IDENTITY = ("bsn", "onderwijsnummer", "voornamen", "voorvoegsel", "achternaam", "geboortedatum")
SWV_IDENTITY = ("leerlingid",)  # what a swv-dossier carries instead of the pupil number


@dataclass(frozen=True)
class Field:
    """One value: its JSON key, the XPath of its element (or attribute) and how to compare it."""

    key: str
    xpath: str
    kind: str = "text"  # text | int | bool | date | decimal | texts (an ordered list of text)


@dataclass(frozen=True)
class Block:
    """A JSON object (or, ``many``, a list of them) and the element(s) it maps to."""

    key: str
    xpath: str
    fields: tuple[Field | Block, ...]
    many: bool = False
    groups: str | None = None  # the element's children form repeated groups, each starting at this name


def _doc(key: str, xpath: str, many: bool = False) -> Block:
    return Block(
        key,
        xpath,
        (
            Field("bestandsnaam", "od:bestandsnaam"),
            Field("omschrijving", "od:omschrijving"),
            Field("inhoud", "od:bestandsinhoud"),
        ),
        many,
    )


ADRES = (
    Field("soort", "od:soortadres"),
    Field("straat", "od:straat"),
    Field("huisnummer", "od:nummer"),
    Field("toevoeging", "od:toevoeging"),
    Field("postcode", "od:postcode"),
    Field("plaats", "od:plaats"),
    Field("gemeente", "od:gemeente"),
    Block("land", "od:land", (Field("code", "."), Field("omschrijving", "@omschrijving"))),
)
COMMUNICATIE = (
    Field("soort", "od:soort"),
    Field("aanduiding", "od:aanduiding"),
    Field("nummer", "od:nummer"),
    Field("geheim", "od:geheim", "bool"),
    Field("noodnummer", "od:noodnummer", "bool"),
)
CONTACT = (
    Block("adressen", "od:adreslijst/od:adres", ADRES, many=True),
    Block("communicatie", "od:communicatielijst/od:communicatie", COMMUNICATIE, many=True),
)
NAAM = (
    Field("voornamen", "od:voornaam", "texts"),
    Field("voorletters", "od:voorletters-1"),
    Field("voorvoegsel", "od:voorvoegsel"),
    Field("achternaam", "od:achternaam"),
)

# The pupil data, from the <leerling> element: one block per category (docs/conformance.md has the table).
DATA: tuple[Block, ...] = (
    Block(
        "personalia",
        ".",
        (
            Field("bsn", "od:bsn"),
            Field("onderwijsnummer", "od:onderwijsnummer"),
            Field("leerlingid", "od:leerlingid"),
            *NAAM,
            Field("roepnaam", "od:roepnaam"),
            Field("geboortedatum", "od:geboortedatum", "date"),
            Field("geslacht", "od:geslacht", "int"),
            Field("geboorteplaats", "od:geboorteplaats"),
            Block(
                "nationaliteiten",
                "od:nationaliteit",
                (Field("code", "."), Field("omschrijving", "@omschrijving")),
                many=True,
            ),
            Field("adres_geheim", "od:adresgeheim", "bool"),
            CONTACT[0],
            Field("adres_buitenland", "od:adresbuitenland", "texts"),
            CONTACT[1],
            Field("onderwijs_sinds", "od:onderwijssinds", "date"),
            Field("inschrijfdatum", "od:datuminschrijving", "date"),
        ),
    ),
    Block(
        "verzorgers",
        ".",
        (
            Field("aansprakelijk", "od:verzorgersaansprakelijk", "bool"),
            Block("instelling", "od:aansprakelijkeinstelling", (Field("naam", "od:naam"), *CONTACT)),
            Block(
                "personen",
                "od:verzorger",
                (
                    *NAAM,
                    Field("geslacht", "od:geslacht", "int"),
                    Field("adres_geheim", "od:adresgeheim", "bool"),
                    *CONTACT,
                    Field("relatie", "od:relatietotkind"),
                    Field("overleden", "od:overleden", "bool"),
                    Field("overlijdensdatum", "od:overlijdensdatum", "date"),
                    Field("wettig_vertegenwoordiger", "od:wettigevertegenwoordiger", "bool"),
                ),
                many=True,
            ),
        ),
    ),
    Block(
        "schoolloopbaan",
        "od:schoolloopbaanlijst/od:schoolloopbaan",
        (
            Field("schooljaar", "od:schooljaar"),
            Field("groepscode", "od:groepscode"),
            Field("groepsnaam", "od:groepsnaam"),
            Field("jaargroep", "od:jaargroep"),
            Field("begindatum", "od:begindatum", "date"),
            Field("einddatum", "od:einddatum", "date"),
            Field("brin", "od:brincode"),
            Field("vestiging", "od:vestigingscode"),
            Field("schoolsoort", "od:schoolsoort"),
        ),
        many=True,
    ),
    Block(
        "overstapadvies",
        "od:overstapadvies",
        (
            Field("advies", "od:advies"),
            Field("wens_ouders", "od:wensouders"),
            Field("wens_leerling", "od:wensleerling"),
            Field("herzien_advies", "od:herzienadvies"),
            Field("motivatie_herzien_advies", "od:motivatie_herzienadvies"),
            Field("profiel", "od:profiel"),
            Field("argumentatie", "od:argumentatie"),
            Field("contact_nodig", "od:contactnodig", "bool"),
            Field("contactpersoon", "od:contactpersoon"),
            Field("contacttelefoon", "od:contacttelefoon"),
            Field("contactemail", "od:contactemail"),
            Field("aandachtspunten", "od:aandachtspunten"),
        ),
    ),
    Block(
        "vve",
        ".",
        (
            Field("peuterspeelzaal", "od:vanpeuterspeelzaal", "bool"),
            Field("naam_peuterspeelzaal", "od:naampeuterspeelzaal"),
            Block(
                "voorschools",
                "od:voorschools",
                (
                    Field("programma", "od:codevoorschoolsprogramma", "int"),
                    Field("maanden", "od:voorschoolsemaanden", "int"),
                ),
            ),
            Block(
                "vroegschools",
                "od:vroegschools",
                (
                    Field("programma", "od:codevroegschoolsprogramma", "int"),
                    Field("ingang", "od:vroegschoolsdatumingang", "date"),
                    Field("einde", "od:vroegschoolseinddatum", "date"),
                ),
                many=True,
            ),
        ),
    ),
    Block(
        "eindtoets",
        "od:eindtoets_basisonderwijs",
        (
            Field("deelgenomen", "od:deelgenomen", "bool"),
            Block(
                "resultaat",
                "od:eindtoetsresultaat",
                (
                    Field("toetssoort", "od:toetssoort"),
                    Field("toetsniveau", "od:toetsniveau"),
                    Field("omschrijving", "od:toetsomschrijving"),
                    Field("afgenomen", "od:datum_afname", "date"),
                    Field("ontheffing", "od:wettelijke_ontheffing"),
                    Field("standaardscore", "od:standaardscore", "int"),
                    Field("advies", "od:toets_advies"),
                    Block(
                        "onderdelen",
                        "od:onderdelen/od:onderdeel",
                        (
                            Field("code", "od:onderdeelcode"),
                            Field("omschrijving", "od:onderdeelomschrijving"),
                            Field("referentieniveau", "od:ond_referentieniveau"),
                            Block(
                                "domeinen",
                                "od:domeinen/od:domein",
                                (
                                    Field("code", "od:domeincode"),
                                    Field("omschrijving", "od:domeinomschrijving"),
                                    Field("referentieniveau", "od:dom_referentieniveau"),
                                ),
                                many=True,
                            ),
                        ),
                        many=True,
                    ),
                ),
            ),
            _doc("documenten", "od:document", many=True),
        ),
    ),
    Block(
        "toetsen",
        "od:toetslijst/od:toets",
        (
            Field("code", "od:toetsidentificatie/od:eldtoetscode"),
            Field("leergebied", "od:toetsidentificatie/od:leergebied"),
            Field("naam", "od:toetsidentificatie/od:toetsnaam"),
            Field("afgenomen", "od:afname/od:afnamedatum", "date"),
            Field("jaargroep", "od:afname/od:jaargroep"),
            Field("vaardigheidsscore", "od:resultaat/od:toetsscore/od:vaardigheidsscore", "decimal"),
            Field("schaal", "od:resultaat/od:toetsscore/od:codevaardigheidsschaal"),
            Block(
                "referentiescores",
                "od:resultaat/od:referentiescore",
                (
                    Field("code", "od:codereferentiescore"),
                    Field("vergelijkingsgroep", "od:codevergelijkingsgroep"),
                    Field("waarde", "od:waarde"),
                    Field("kwalificatie", "od:kwalificatie"),
                ),
                many=True,
            ),
            _doc("rapport", "od:resultaat/od:document"),
        ),
        many=True,
    ),
    Block(
        "onderwijsondersteuning",
        "od:onderwijsondersteuning",
        (
            _doc("onderwijsbehoeften", "od:toelichting_onderwijsbehoeften/od:document"),
            Block(
                "diagnoses",
                "od:diagnose",
                (
                    Field("codes", "od:code", "texts"),
                    Field("naam", "od:naam"),
                    Field("datum", "od:datum", "date"),
                    Field("door_wie", "od:doorwie"),
                    Field("instantie", "od:instantie"),
                    _doc("documenten", "od:document", many=True),
                ),
                many=True,
            ),
            Field("medicijngebruik", "od:medicijngebruik", "bool"),
        ),
    ),
    Block(
        "handelingsplannen",
        "od:onderwijsondersteuning/od:handelingsplan",
        (
            Field("startdatum", "od:startdatum", "date"),
            Field("einddatum", "od:einddatum", "date"),
            Field("gericht_op", "od:isgerichtop"),
            _doc("document", "od:document"),
        ),
        many=True,
    ),
    Block(
        "verzuim",
        "od:verzuim",
        (
            Field("dagdelen_geoorloofd", "od:dagdelengeoorloofd", "int"),
            Field("dagdelen_ongeoorloofd", "od:dagdelenongeoorloofd", "int"),
            Field("uren_geoorloofd", "od:urengeoorloofd", "int"),
            Field("uren_ongeoorloofd", "od:urenongeoorloofd", "int"),
            Field("meer_dan_25_procent", "od:meerdan25percent", "bool"),
            Field("frequentie", "od:frequentie", "int"),
            Field("contact_leerplicht", "od:contactleerplicht", "bool"),
            Field("rmc_melding", "od:rmcmelding", "bool"),
            _doc("documenten", "od:documentLijst/od:document", many=True),
        ),
    ),
    Block(
        "cijferlijsten",
        "od:cijferlijstlijst/od:cijferlijst",
        (
            Field("jaargroep", "od:jaargroep"),
            Field("periode", "od:periode"),
            Field("afnamedatum", "od:afnamedatum", "date"),
            Block(
                "rapporten",
                "od:cijferlijstTypelijst",
                (
                    Field("naam", "od:naam"),
                    Block(
                        "cijfers",
                        "od:onderdeel",
                        (
                            Field("vak", "od:naam"),
                            Field("waarde", "od:score/od:waarde"),
                            Field("kwalificatie", "od:score/od:kwalificatie"),
                            Field("afnamedatum", "od:afnamedatum", "date"),
                            Field("jaargroep", "od:jaargroep"),
                            Field("periode", "od:periode"),
                        ),
                        many=True,
                    ),
                    Block(
                        "eindoordelen",
                        "od:score",
                        (Field("waarde", "od:waarde"), Field("kwalificatie", "od:kwalificatie")),
                        many=True,
                    ),
                ),
                many=True,
                groups="naam",
            ),
        ),
        many=True,
    ),
    Block(
        "vombo",
        ".",
        (
            Block(
                "bevorderd", "od:bevorderd", (Field("elementcode", "od:elementcode"), Field("leerjaar", "od:leerjaar"))
            ),
            Block(
                "vakken",
                "od:resultaatvakkenvo",
                (
                    Field("code", "od:vakcode"),
                    Field("leergebied", "od:vakleergebied"),
                    Field("afgerond", "od:afgerond", "bool"),
                    Field("examenvak", "od:examenvak", "bool"),
                    Field("rapportcijfer", "od:rapportcijfer", "decimal"),
                ),
                many=True,
            ),
        ),
    ),
    _doc("bijlagen", "od:overigdocumentlijst/od:document", many=True),
    Block(
        "inzage",
        "../../od:inzage",
        (
            Field("voorlopig", "od:voorlopigdossier", "bool"),
            Field("gezien", "od:inzage", "bool"),
            Field("datum", "od:inzagedatum", "date"),
            Field("akkoord", "od:akkoord"),
            Field("reden_niet_akkoord", "od:redennietakkoord"),
            Field("toestemming", "od:toestemming"),
        ),
    ),
)

# Which category each block of the data belongs to (the profile tables of gegevensset 2019.1).
CATEGORY_OF: dict[str, Category] = {
    "personalia": Category.LEERLING,
    "verzorgers": Category.OUDERSVERZORGERS,
    "schoolloopbaan": Category.SCHOOLLOOPBAAN,
    "overstapadvies": Category.OVERSTAPADVIES,
    "vve": Category.VVE,
    "eindtoets": Category.EINDTOETSBO,
    "toetsen": Category.TOETSRESULTATEN,
    "onderwijsondersteuning": Category.ONDERWIJSONDERSTEUNING,
    "handelingsplannen": Category.HANDELINGSPLANNEN,
    "verzuim": Category.VERZUIM,
    "cijferlijsten": Category.CIJFERLIJSTEN,
    "vombo": Category.VOMBO,
    "bijlagen": Category.BIJLAGEDOCS,
    "inzage": Category.OUDERINZAGE,
}


@dataclass(frozen=True)
class Absent:
    """Data the LAS holds that the dossier must not carry, and why."""

    reason: str


@dataclass(frozen=True)
class Difference:
    field: str  # where in the pupil data (personalia.achternaam), or what (metadata)
    xpath: str  # where in the dossier
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.xpath}: expected {self.expected} ({self.field}), found {self.found}"


class NotADossier(OsokitError, ValueError):
    """The text is not a gegevensset 2019.1 dossier with a pupil: nothing to compare."""


def mapping() -> list[tuple[str, str, str]]:
    """(JSON field, dossier element, how compared) for every field of :data:`DATA`: the docs' table."""
    rows: list[tuple[str, str, str]] = []

    def walk(spec: Field | Block, prefix: str, parent: str) -> None:
        path = parent
        for step in spec.xpath.replace("od:", "").split("/"):
            path = path.rsplit("/", 1)[0] if step == ".." else path if step == "." else f"{path}/{step}"
        name = f"{prefix}{spec.key}"
        if isinstance(spec, Field):
            rows.append((name + ("[]" if spec.kind == "texts" else ""), path, spec.kind))
            return
        for f in spec.fields:
            walk(f, f"{name}{'[]' if spec.many else ''}.", path)

    for block in DATA:
        walk(block, "", "/dossier/huidigeschool/leerling")
    return rows


# --- reading a dossier ----------------------------------------------------------------------------


def leerling_of(xml: str | bytes) -> etree._Element:
    try:
        root = parse(xml.encode() if isinstance(xml, str) else xml)
    except XmlError as exc:
        raise NotADossier(f"not well-formed XML: {exc}") from None
    found = root.xpath("/od:dossier/od:huidigeschool/od:leerling", namespaces=NS)
    if not found:
        raise NotADossier(f"no /dossier/huidigeschool/leerling in namespace {DOSSIER} (root: {etree.QName(root).text})")
    return found[0]


def read(xml: str | bytes) -> dict[str, Any]:
    """The pupil data a dossier carries, in the shape of ``pupil.schema.json`` (no overstap, deliver)."""
    leerling = leerling_of(xml)
    out = {}
    for block in DATA:
        value = _plain(_read_block(leerling, block))
        if value:
            out[block.key] = value
    return out


@dataclass(frozen=True)
class _Found:
    value: Any
    path: str


def _nodes(context: etree._Element, block: Block) -> list[etree._Element]:
    found = context.xpath(block.xpath, namespaces=NS)
    if block.groups is None:
        return found
    groups: list[etree._Element] = []
    for container in found:  # the children cut into groups at each <groups> element, each under a copy
        for child in container:
            if etree.QName(child).localname == block.groups or not groups:
                groups.append(
                    etree.Element(container.tag, {_GROUP: f"{readable_path(container)} (group {len(groups) + 1})"})
                )
            copy = deepcopy(child)
            copy.tail = None
            groups[-1].append(copy)
    return groups


_GROUP = "{urn:osokit:compare}group"  # on a copy made for a group: where the group is in the dossier


def _path(node: etree._Element) -> str:
    """Where a node is in the dossier (for a node in a group's copy: the group's place and the steps below)."""
    group = next((a for a in (node, *node.iterancestors()) if a.get(_GROUP)), None)
    if group is None:
        return readable_path(node)
    below = readable_path(node).split("/")[len(readable_path(group).split("/")) :]
    return "/".join([group.get(_GROUP, ""), *below])


def _read_block(context: etree._Element, block: Block) -> Any:
    nodes = _nodes(context, block)
    if block.many:
        return [_read_fields(n, block) for n in nodes]
    return _read_fields(nodes[0], block) if nodes else None


def _read_fields(node: etree._Element, block: Block) -> dict[str, Any]:
    out: dict[str, Any] = {"": _path(node)}
    for f in block.fields:
        out[f.key] = _read_block(node, f) if isinstance(f, Block) else _read_field(node, f)
    return out


def _read_field(node: etree._Element, f: Field) -> Any:
    hits = node.xpath(f.xpath, namespaces=NS)
    found = []
    for hit in hits:
        if isinstance(hit, etree._Element):
            found.append(_Found(_normal(hit.text or "", f.kind), _path(hit)))
        else:  # an attribute value
            found.append(_Found(_normal(str(hit), f.kind), f"{_path(hit.getparent())}/@{hit.attrname}"))
    if f.kind == "texts":
        return found
    return found[0] if found else None


_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def _normal(value: Any, kind: str) -> Any:
    """A value as compared: JSON's and the dossier's spellings of it made equal (true/1, 5/5.0, dates)."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip() if kind != "text" else str(value)
    try:
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text).normalize()
    except (ValueError, InvalidOperation):
        return text
    if kind == "bool":
        return {"true": True, "1": True, "false": False, "0": False}.get(text, text)
    if kind == "date":
        return text[:10] if _DATE.match(text) else text
    return text


def _plain(value: Any) -> Any:
    """Found values without their paths, empty parts dropped: the data as JSON."""
    if isinstance(value, _Found):
        return float(value.value) if isinstance(value.value, Decimal) else value.value
    if isinstance(value, list):
        return [v for v in (_plain(x) for x in value) if v not in (None, [], {})] if value else None
    if isinstance(value, dict):
        out = {k: v for k, v in ((k, _plain(x)) for k, x in value.items() if k) if v not in (None, [], {})}
        return out or None
    return value


# --- what a dossier made of the data must carry -----------------------------------------------------


def profile_of(data: dict[str, Any]) -> Profile:
    """The profile the data is prepared for: its overdrachtsoort (default overstapdossier) and overstap."""
    return declared_profile(data.get("overdrachtsoort"), data["overstap"])


def categories(data: dict[str, Any]) -> dict[Category, str]:
    """categorie_uitlevering: the profile's table, an optional category OPTIONEEL only if delivered."""
    deliver = set(data.get("deliver", ()))
    out = {}
    for category, u in PROFILE_CATEGORIES[profile_of(data)].items():
        if u is Uitlevering.OPTIONEEL and category.label not in deliver:
            u = Uitlevering.OPT_UIT
        out[category] = u.value
    return out


def expected(data: dict[str, Any]) -> dict[str, Any]:
    """The data as the dossier must carry it: what may not go out replaced by :class:`Absent`."""
    declared, profile = categories(data), profile_of(data)
    out: dict[str, Any] = {}
    for block in DATA:
        value = data.get(block.key)
        if value in (None, [], {}):
            continue
        category = CATEGORY_OF[block.key]
        if declared[category] == Uitlevering.VERBODEN:
            out[block.key] = Absent(f"{category.label} is VERBODEN in a {profile.name} dossier")
        elif declared[category] == Uitlevering.OPT_UIT:
            out[block.key] = Absent(f"{category.label} is left out: it is not in deliver")
        elif block.key == "personalia":
            out[block.key] = _as_sent(value, never=True)
            if profile.is_swv:
                for key in ("bsn", "onderwijsnummer"):
                    if key in value:
                        out[block.key][key] = Absent("never in a swv-dossier (PaO.LL12)")
        elif block.key == "verzorgers":
            out[block.key] = _as_sent(value)
        else:
            out[block.key] = value
    return out


def _as_sent(person: dict[str, Any], never: bool = False) -> dict[str, Any]:
    """A person as the dossier carries them: a secret address left out, secret numbers as placeholders."""
    out = dict(person)
    if never:
        for key, rule in (("geboorteplaats", "OVa.LL10, PaO.LL10"), ("nationaliteiten", "OVa.LL11, PaO.LL11")):
            if key in out:
                out[key] = Absent(f"never in a dossier ({rule})")
    if out.get("adres_geheim"):
        for key in ("adressen", "adres_buitenland"):
            if out.get(key):
                out[key] = Absent("the address is secret (adres_geheim)")
    if "communicatie" in out:
        out["communicatie"] = [
            {**c, "nummer": SECRET.get(c.get("soort"), c.get("nummer"))} if c.get("geheim") else c
            for c in out["communicatie"]
        ]
    if isinstance(out.get("instelling"), dict):
        out["instelling"] = _as_sent(out["instelling"])
    if "personen" in out:
        out["personen"] = [_as_sent(p) for p in out["personen"]]
    return out


# --- comparing -----------------------------------------------------------------------------------------


def compare(data: dict[str, Any], xml: str | bytes, *, bron_brin: str, prepared: date) -> list[Difference]:
    """Every way the dossier differs from what ``data`` (prepared on ``prepared``) must make of it."""
    try:
        leerling = leerling_of(xml)
    except NotADossier as exc:
        return [Difference("dossier", "/dossier", "a dossier of gegevensset 2019.1", str(exc))]
    root = leerling.getroottree().getroot()
    heads = [
        ("the version's prepared", "od:metadata/od:datum", prepared.isoformat(), "date"),
        ("overstap", "od:metadata/od:overstap", str(data["overstap"]), "text"),
        ("overdrachtsoort", "od:overdrachtsoort", profile_of(data).overdrachtsoort, "text"),
        ("bron_brin", "od:huidigeschool/od:brincode", bron_brin, "text"),
    ]
    for category, value in categories(data).items():
        xpath = f"od:metadata/od:categorie_uitlevering/od:{category.value}"
        heads.append((f"profile {data['overstap']} and deliver", xpath, value, "text"))
    out = []
    for name, xpath, want, kind in heads:
        found = _read_field(root, Field(name, xpath, kind))
        if found is None or found.value != _normal(want, kind):
            where = found.path if found else "/dossier/" + xpath.replace("od:", "")
            out.append(Difference(name, where, _show(want), _show(found.value) if found else "nothing"))
    return out + _in_data(expected(data), leerling)


def _in_data(want: dict[str, Any], leerling: etree._Element) -> list[Difference]:
    path = readable_path(leerling)
    return [d for b in DATA for d in _diff(b, want.get(b.key), _read_block(leerling, b), b.key, path)]


def unchanged(handed: str | bytes, served: str | bytes) -> list[Difference]:
    """Passthrough: the dossier served is the one handed in (canonical XML), else where they differ."""
    if _canonical(handed) == _canonical(served):
        return []
    try:
        leerling = leerling_of(served)
    except NotADossier as exc:
        return [Difference("dossier", "/dossier", "the dossier as handed in", str(exc))]
    outside = Difference("dossier", "/dossier", "the dossier as handed in", "one that differs outside the pupil data")
    return _in_data(read(handed), leerling) or [outside]


def _canonical(xml: str | bytes) -> str | None:
    """C14N 2.0 with whitespace-only text and namespace prefixes made irrelevant (None: not XML)."""
    try:
        root = parse(xml.encode() if isinstance(xml, str) else xml)
    except XmlError:
        return None
    return etree.canonicalize(etree.tostring(root).decode(), strip_text=True, rewrite_prefixes=True)


def identity(personalia: dict[str, Any], xml: str | bytes, *, swv: bool = False) -> list[Difference]:
    """Whether the dossier is of this pupil: number, names and birth date as given (a swv-dossier carries no
    pupil number: its leerlingid instead)."""
    try:
        found = _read_block(leerling_of(xml), DATA[0])
    except NotADossier as exc:
        return [Difference("dossier", "/dossier", "a dossier of gegevensset 2019.1", str(exc))]
    keys = (*SWV_IDENTITY, *IDENTITY[2:]) if swv else IDENTITY
    fields = tuple(f for f in DATA[0].fields if f.key in keys)
    block = Block("personalia", ".", fields)
    return list(_diff(block, {k: personalia.get(k) for k in keys}, found, "personalia", found[""]))


def _diff(spec: Field | Block, want: Any, found: Any, name: str, parent: str) -> Iterator[Difference]:
    where = _where(found, parent, spec.xpath)
    if isinstance(want, Absent):
        if _plain(found) not in (None, [], {}):
            yield Difference(name, where, f"nothing: {want.reason}", _summary(found))
        return
    if want in (None, [], {}):
        return  # not in the data: whatever the LAS adds of its own is not judged here
    if isinstance(spec, Field):
        yield from _diff_field(spec, want, found, name, where)
    elif spec.many:
        yield from _diff_list(spec, want, found or [], name, parent)
    elif found is None:
        yield Difference(name, where, _summary(want), "nothing")
    else:
        for f in spec.fields:
            yield from _diff(f, want.get(f.key), found.get(f.key), f"{name}.{f.key}", found[""])


def _diff_field(f: Field, want: Any, found: Any, name: str, where: str) -> Iterator[Difference]:
    if f.kind == "texts":
        values = [x.value for x in found or []]
        if values != [_normal(w, "text") for w in want]:
            yield Difference(name, where, _show(want), _show(values) if values else "nothing")
    elif found is None:
        yield Difference(name, where, _show(_normal(want, f.kind)), "nothing")
    elif found.value != _normal(want, f.kind):
        yield Difference(name, found.path, _show(_normal(want, f.kind)), _show(found.value))


def _diff_list(spec: Block, want: list[Any], found: list[Any], name: str, parent: str) -> Iterator[Difference]:
    """Lists compare in any order: the closest pairs first (fewest differences), then what is left over."""
    one = Block(spec.key, spec.xpath, spec.fields)
    costs = {
        (n, m): list(_diff(one, item, f, f"{name}[{n + 1}]", parent))
        for n, item in enumerate(want)
        for m, f in enumerate(found)
    }
    paired: dict[int, int] = {}
    for n, m in sorted(costs, key=lambda pair: len(costs[pair])):
        if n not in paired and m not in paired.values():
            paired[n] = m
    for n, item in enumerate(want):
        if n in paired:
            yield from costs[(n, paired[n])]
        else:
            yield Difference(f"{name}[{n + 1}]", _where(None, parent, spec.xpath), _summary(item), "nothing")
    for m, extra in enumerate(found):
        if m not in paired.values():
            yield Difference(name, extra[""], f"{len(want)} item(s) as given", f"one more: {_summary(extra)}")


def _where(found: Any, parent: str, xpath: str) -> str:
    if isinstance(found, _Found):
        return found.path
    if isinstance(found, dict):
        return found[""]
    if isinstance(found, list) and found:
        return _where(found[0], parent, xpath)
    steps = [s for s in xpath.replace("od:", "").split("/") if s != "."]
    while steps and steps[0] == "..":
        steps.pop(0)
        parent = parent.rsplit("/", 1)[0]
    return "/".join([parent, *steps])


def _summary(value: Any) -> str:
    text = _show(_plain(value))
    return text if len(text) <= 120 else text[:117] + "..."


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def words(differences: list[Difference], limit: int = 12) -> str:
    """The differences as a vendor reads them: one per line, the first ``limit``."""
    lines = [str(d) for d in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"... and {len(differences) - limit} more")
    return "\n".join(lines)
