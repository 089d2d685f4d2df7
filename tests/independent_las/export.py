"""Klaarzetten: this LAS's own export of a pupil it holds into a dossier (gegevensset 2019.1).

Follows docs/conformance.md ("From pupil data to dossier") and the element order of the gegevensset
schema; the profiles (which category is VERPLICHT, OPTIONEEL or VERBODEN) are those the official
example dossiers declare. Written from the documents only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

DOSSIER = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"

CATEGORIES = (
    "metadata",
    "ouderinzage",
    "school",
    "leerling",
    "oudersverzorgers",
    "vve",
    "schoolloopbaan",
    "overstapadvies",
    "onderwijsondersteuning",
    "verzuim",
    "eindtoetsbo",
    "toetsresultaten",
    "handelingsplannen",
    "cijferlijsten",
    "vombo",
    "bijlagedocs",
)
_REQUIRED = ("metadata", "ouderinzage", "school", "leerling", "oudersverzorgers", "schoolloopbaan", "overstapadvies")
_ALWAYS = ("metadata", "school", "leerling")
# What differs between the profiles (Voorbeelddossier_OV_{POPO,POVO,VOVO}_full.xml; docs/conformance.md,
# "Binnen-BRIN and SWV dossiers"), by (overdrachtsoort, overstap).
_SWV = {"ouderinzage": "OPTIONEEL", "overstapadvies": "OPTIONEEL", "onderwijsondersteuning": "VERPLICHT"}
_PROFILE = {
    ("overstapdossier", "POPO"): {"vve": "OPTIONEEL", "vombo": "VERBODEN"},
    ("overstapdossier", "POVO"): {"vve": "VERBODEN", "vombo": "VERBODEN"},
    ("overstapdossier", "VOVO"): {"vve": "VERBODEN", "vombo": "OPTIONEEL"},
    ("swv-dossier", "POSWV"): {**_SWV, "eindtoetsbo": "VERBODEN", "vombo": "VERBODEN"},
    ("swv-dossier", "VOSWV"): {**_SWV, "vve": "VERBODEN", "vombo": "OPTIONEEL"},
}
_BINNENBRIN = "overdrachtbinnenbrin"  # every category but metadata, school and leerling is optional
PLACEHOLDER_EMAIL, PLACEHOLDER_NUMBER = "geheim@geheim.geheim", "9999999999"


@dataclass(frozen=True)
class SchoolConfig:
    """What the LAS knows of its own school: it fills huidigeschool."""

    brin: str
    name: str
    routeringskenmerk: str
    straat: str
    nummer: str
    postcode: str
    plaats: str
    telefoon: str


class ExportError(ValueError):
    """Pupil data this export cannot make a dossier of."""


def categories(overstap: str, deliver: list[str], soort: str = "overstapdossier") -> dict[str, str]:
    """categorie_uitlevering of a dossier: the profile's, with the school's choice of optional categories."""
    binnenbrin = soort == _BINNENBRIN and overstap in ("POPO", "VOVO")
    if (soort, overstap) not in _PROFILE and not binnenbrin:
        raise ExportError(f"overstap {overstap!r} is no profile of a {soort}")
    result = {}
    for cat in CATEGORIES:
        if binnenbrin:
            level = "VERPLICHT" if cat in _ALWAYS else "OPTIONEEL"
        else:
            level = _PROFILE[(soort, overstap)].get(cat, "VERPLICHT" if cat in _REQUIRED else "OPTIONEEL")
        if level == "OPTIONEEL" and cat not in deliver:
            level = "OPT-UIT"
        result[cat] = level
    return result


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"  # xs:boolean; docs/conformance.md: true/false or 1/0
    return str(v)


def _add(parent: etree._Element, tag: str, value: object = None) -> etree._Element | None:
    """A child with this value; nothing when the data has no value."""
    if value is None:
        return None
    child = etree.SubElement(parent, f"{{{DOSSIER}}}{tag}")
    child.text = _value(value)
    return child


def _node(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{DOSSIER}}}{tag}")


def _fields(parent: etree._Element, data: dict, pairs: tuple[tuple[str, str], ...]) -> None:
    for key, tag in pairs:
        _add(parent, tag, data.get(key))


def _adreslijst(parent: etree._Element, adressen: list[dict] | None) -> None:
    if not adressen:
        return
    lijst = _node(parent, "adreslijst")
    for a in adressen:
        adres = _node(lijst, "adres")
        pairs = (("soort", "soortadres"), ("straat", "straat"), ("huisnummer", "nummer"), ("toevoeging", "toevoeging"))
        _fields(adres, a, pairs + (("postcode", "postcode"), ("plaats", "plaats"), ("gemeente", "gemeente")))
        if land := a.get("land"):
            el = _add(adres, "land", land["code"])
            if "omschrijving" in land:
                el.set("omschrijving", land["omschrijving"])


def _communicatielijst(parent: etree._Element, items: list[dict] | None) -> None:
    if not items:
        return
    lijst = _node(parent, "communicatielijst")
    for c in items:
        el = _node(lijst, "communicatie")
        nummer = c["nummer"]
        if c.get("geheim"):  # a secret number goes out as the placeholder, never in clear
            nummer = PLACEHOLDER_EMAIL if c["soort"] == "e-mail" else PLACEHOLDER_NUMBER
        _add(el, "soort", c["soort"])
        _add(el, "aanduiding", c.get("aanduiding"))
        _add(el, "nummer", nummer)
        _add(el, "geheim", c.get("geheim"))
        _add(el, "noodnummer", c.get("noodnummer"))


def _document(parent: etree._Element, doc: dict | None, tag: str = "document") -> None:
    if doc is None:
        return
    el = _node(parent, tag)
    _fields(el, doc, (("bestandsnaam", "bestandsnaam"), ("omschrijving", "omschrijving"), ("inhoud", "bestandsinhoud")))


def _documentlijst(parent: etree._Element, tag: str, docs: list[dict] | None) -> None:
    if docs:
        lijst = _node(parent, tag)
        for d in docs:
            _document(lijst, d)


def _persoon(parent: etree._Element, p: dict) -> None:
    """The name, sex, address and contact part shared by pupil and carer (persoonType)."""
    for voornaam in p.get("voornamen", []):
        _add(parent, "voornaam", voornaam)
    _fields(parent, p, (("voorletters", "voorletters-1"), ("voorvoegsel", "voorvoegsel"), ("achternaam", "achternaam")))


def _school(parent: etree._Element, school: SchoolConfig) -> etree._Element:
    el = _node(parent, "huidigeschool")
    _add(el, "naam", school.name)
    address = {"soort": "bezoek", "straat": school.straat, "huisnummer": school.nummer}
    _adreslijst(el, [address | {"postcode": school.postcode, "plaats": school.plaats}])
    _communicatielijst(el, [{"soort": "telefoon", "aanduiding": "werk", "nummer": school.telefoon}])
    _add(el, "brincode", school.brin)
    _add(el, "vestigingscode", "00")
    _add(el, "aanleverpunt", school.routeringskenmerk)
    return el


def _leerling(parent: etree._Element, pupil: dict, out: dict[str, bool]) -> None:
    """The pupil and every category below it, in the schema's order; ``out`` says which categories go out."""
    p, v = pupil["personalia"], pupil["verzorgers"]
    if pupil.get("overdrachtsoort") == "swv-dossier":  # a samenwerkingsverband gets no pupil number (PaO.LL12)
        p = {k: x for k, x in p.items() if k not in ("bsn", "onderwijsnummer")}
    ll = _node(parent, "leerling")
    _persoon(ll, p)
    _fields(ll, p, (("roepnaam", "roepnaam"), ("geboortedatum", "geboortedatum"), ("geslacht", "geslacht")))
    _add(ll, "adresgeheim", p["adres_geheim"])
    if not p["adres_geheim"]:  # a secret address never goes out
        _adreslijst(ll, p.get("adressen"))
    _communicatielijst(ll, p.get("communicatie"))
    if not p["adres_geheim"]:
        for line in p.get("adres_buitenland", []):
            _add(ll, "adresbuitenland", line)
    # geboorteplaats and nationaliteiten are held, never exported (OVa.LL10, OVa.LL11)
    pairs = (("bsn", "bsn"), ("onderwijsnummer", "onderwijsnummer"), ("leerlingid", "leerlingid"))
    _fields(ll, p, pairs + (("onderwijs_sinds", "onderwijssinds"), ("inschrijfdatum", "datuminschrijving")))
    if out["oudersverzorgers"]:
        _add(ll, "verzorgersaansprakelijk", v["aansprakelijk"])
        if inst := v.get("instelling"):
            el = _node(ll, "aansprakelijkeinstelling")
            _add(el, "naam", inst["naam"])
            _adreslijst(el, inst.get("adressen"))
            _communicatielijst(el, inst.get("communicatie"))
    if out["overstapadvies"]:
        oa = _node(ll, "overstapadvies")
        pairs = (("advies", "advies"), ("wens_ouders", "wensouders"), ("wens_leerling", "wensleerling"))
        pairs += (("herzien_advies", "herzienadvies"), ("motivatie_herzien_advies", "motivatie_herzienadvies"))
        pairs += (("profiel", "profiel"), ("argumentatie", "argumentatie"), ("contact_nodig", "contactnodig"))
        pairs += (("contactpersoon", "contactpersoon"), ("contacttelefoon", "contacttelefoon"))
        _fields(
            oa,
            pupil["overstapadvies"],
            pairs + (("contactemail", "contactemail"), ("aandachtspunten", "aandachtspunten")),
        )
    if out["vve"] and (vve := pupil.get("vve")):
        _fields(ll, vve, (("peuterspeelzaal", "vanpeuterspeelzaal"), ("naam_peuterspeelzaal", "naampeuterspeelzaal")))
        if vs := vve.get("voorschools"):
            el = _node(ll, "voorschools")
            _fields(el, vs, (("programma", "codevoorschoolsprogramma"), ("maanden", "voorschoolsemaanden")))
        for vr in vve.get("vroegschools", []):
            el = _node(ll, "vroegschools")
            pairs = (("programma", "codevroegschoolsprogramma"), ("ingang", "vroegschoolsdatumingang"))
            _fields(el, vr, pairs + (("einde", "vroegschoolseinddatum"),))
    if out["schoolloopbaan"]:
        lijst = _node(ll, "schoolloopbaanlijst")
        for jaar in pupil["schoolloopbaan"]:
            el = _node(lijst, "schoolloopbaan")
            pairs = (("schooljaar", "schooljaar"), ("groepscode", "groepscode"), ("groepsnaam", "groepsnaam"))
            pairs += (("jaargroep", "jaargroep"), ("begindatum", "begindatum"), ("einddatum", "einddatum"))
            _fields(
                el,
                jaar,
                pairs + (("brin", "brincode"), ("vestiging", "vestigingscode"), ("schoolsoort", "schoolsoort")),
            )
    _ondersteuning(ll, pupil, out)
    if out["verzuim"] and (vz := pupil.get("verzuim")):
        el = _node(ll, "verzuim")
        pairs = (("dagdelen_geoorloofd", "dagdelengeoorloofd"), ("dagdelen_ongeoorloofd", "dagdelenongeoorloofd"))
        pairs += (("uren_geoorloofd", "urengeoorloofd"), ("uren_ongeoorloofd", "urenongeoorloofd"))
        pairs += (("meer_dan_25_procent", "meerdan25percent"), ("frequentie", "frequentie"))
        _fields(el, vz, pairs + (("contact_leerplicht", "contactleerplicht"), ("rmc_melding", "rmcmelding")))
        _documentlijst(el, "documentLijst", vz.get("documenten"))
    if out["eindtoetsbo"] and (et := pupil.get("eindtoets")):
        _eindtoets(ll, et)
    if out["toetsresultaten"] and (toetsen := pupil.get("toetsen")):
        lijst = _node(ll, "toetslijst")
        for t in toetsen:
            _toets(lijst, t)
    if out["cijferlijsten"] and (lijsten := pupil.get("cijferlijsten")):
        lijst = _node(ll, "cijferlijstlijst")
        for c in lijsten:
            _cijferlijst(lijst, c)
    if out["bijlagedocs"]:
        _documentlijst(ll, "overigdocumentlijst", pupil.get("bijlagen"))
    if out["oudersverzorgers"]:
        for persoon in v.get("personen", []):
            _verzorger(ll, persoon)
    if out["vombo"] and (vombo := pupil.get("vombo")):
        if b := vombo.get("bevorderd"):
            _fields(_node(ll, "bevorderd"), b, (("elementcode", "elementcode"), ("leerjaar", "leerjaar")))
        for vak in vombo.get("vakken", []):
            el = _node(ll, "resultaatvakkenvo")
            pairs = (("code", "vakcode"), ("leergebied", "vakleergebied"), ("afgerond", "afgerond"))
            _fields(el, vak, pairs + (("examenvak", "examenvak"), ("rapportcijfer", "rapportcijfer")))


def _ondersteuning(ll: etree._Element, pupil: dict, out: dict[str, bool]) -> None:
    """onderwijsondersteuning holds two categories: its own and handelingsplannen."""
    oo = pupil.get("onderwijsondersteuning") if out["onderwijsondersteuning"] else None
    plannen = pupil.get("handelingsplannen", []) if out["handelingsplannen"] else []
    if not oo and not plannen:
        return
    el = _node(ll, "onderwijsondersteuning")
    oo = oo or {}
    if behoeften := oo.get("onderwijsbehoeften"):
        _document(_node(el, "toelichting_onderwijsbehoeften"), behoeften)
    for d in oo.get("diagnoses", []):
        diag = _node(el, "diagnose")
        for code in d.get("codes", []):
            _add(diag, "code", code)
        _fields(diag, d, (("naam", "naam"), ("datum", "datum"), ("door_wie", "doorwie"), ("instantie", "instantie")))
        for doc in d.get("documenten", []):
            _document(diag, doc)
    _add(el, "medicijngebruik", oo.get("medicijngebruik"))
    for plan in plannen:
        hp = _node(el, "handelingsplan")
        _fields(hp, plan, (("startdatum", "startdatum"), ("einddatum", "einddatum"), ("gericht_op", "isgerichtop")))
        _document(hp, plan.get("document"))


def _eindtoets(ll: etree._Element, et: dict) -> None:
    el = _node(ll, "eindtoets_basisonderwijs")
    if r := et.get("resultaat"):
        res = _node(el, "eindtoetsresultaat")
        pairs = (("toetssoort", "toetssoort"), ("toetsniveau", "toetsniveau"), ("omschrijving", "toetsomschrijving"))
        pairs += (("afgenomen", "datum_afname"), ("ontheffing", "wettelijke_ontheffing"))
        _fields(res, r, pairs + (("standaardscore", "standaardscore"), ("advies", "toets_advies")))
        onderdelen = _node(res, "onderdelen")
        for o in r.get("onderdelen", []):
            ond = _node(onderdelen, "onderdeel")
            pairs = (("code", "onderdeelcode"), ("omschrijving", "onderdeelomschrijving"))
            _fields(ond, o, pairs + (("referentieniveau", "ond_referentieniveau"),))
            if o.get("domeinen"):
                domeinen = _node(ond, "domeinen")
                for d in o["domeinen"]:
                    pairs = (("code", "domeincode"), ("omschrijving", "domeinomschrijving"))
                    _fields(_node(domeinen, "domein"), d, pairs + (("referentieniveau", "dom_referentieniveau"),))
    _add(el, "deelgenomen", et["deelgenomen"])
    for doc in et.get("documenten", []):
        _document(el, doc)


def _toets(lijst: etree._Element, t: dict) -> None:
    el = _node(lijst, "toets")
    _fields(
        _node(el, "toetsidentificatie"),
        t,
        (("code", "eldtoetscode"), ("leergebied", "leergebied"), ("naam", "toetsnaam")),
    )
    _fields(_node(el, "afname"), t, (("afgenomen", "afnamedatum"), ("jaargroep", "jaargroep")))
    res = _node(el, "resultaat")
    if "vaardigheidsscore" in t or "schaal" in t:
        pairs = (("vaardigheidsscore", "vaardigheidsscore"), ("schaal", "codevaardigheidsschaal"))
        _fields(_node(res, "toetsscore"), t, pairs)
    for r in t.get("referentiescores", []):
        pairs = (("code", "codereferentiescore"), ("vergelijkingsgroep", "codevergelijkingsgroep"))
        _fields(_node(res, "referentiescore"), r, pairs + (("waarde", "waarde"), ("kwalificatie", "kwalificatie")))
    _document(res, t.get("rapport"))


def _cijferlijst(lijst: etree._Element, c: dict) -> None:
    el = _node(lijst, "cijferlijst")
    typelijst = _node(el, "cijferlijstTypelijst")
    for rapport in c["rapporten"]:
        _add(typelijst, "naam", rapport["naam"])
        for cijfer in rapport.get("cijfers", []):
            ond = _node(typelijst, "onderdeel")
            _add(ond, "naam", cijfer["vak"])
            _fields(_node(ond, "score"), cijfer, (("waarde", "waarde"), ("kwalificatie", "kwalificatie")))
            pairs = (("afnamedatum", "afnamedatum"), ("jaargroep", "jaargroep"), ("periode", "periode"))
            _fields(ond, cijfer, pairs)
        for oordeel in rapport.get("eindoordelen", []):
            _fields(_node(typelijst, "score"), oordeel, (("waarde", "waarde"), ("kwalificatie", "kwalificatie")))
    _fields(el, c, (("afnamedatum", "afnamedatum"), ("jaargroep", "jaargroep"), ("periode", "periode")))


def _verzorger(ll: etree._Element, p: dict) -> None:
    el = _node(ll, "verzorger")
    _persoon(el, p)
    _add(el, "geslacht", p.get("geslacht"))
    _add(el, "adresgeheim", p.get("adres_geheim"))
    if not p.get("adres_geheim"):
        _adreslijst(el, p.get("adressen"))
    _communicatielijst(el, p.get("communicatie"))
    pairs = (("relatie", "relatietotkind"), ("overleden", "overleden"), ("overlijdensdatum", "overlijdensdatum"))
    _fields(el, p, pairs + (("wettig_vertegenwoordiger", "wettigevertegenwoordiger"),))


def export(pupil: dict, prepared: datetime, school: SchoolConfig) -> etree._Element:
    """The overstapdossier of one version of a pupil, prepared (klaargezet) at ``prepared``."""
    try:
        soort = pupil.get("overdrachtsoort", "overstapdossier")
        cats = categories(pupil["overstap"], pupil.get("deliver", []), soort)
        out = {cat: level in ("VERPLICHT", "OPTIONEEL") for cat, level in cats.items()}
        dossier = etree.Element(f"{{{DOSSIER}}}dossier", nsmap={"gs": DOSSIER})
        md = _node(dossier, "metadata")
        for tag, value in (("deeldossier", "LAS"), ("pakketnaam", "Cleanroom LAS"), ("pakketversie", "0.1")):
            _add(md, tag, value)
        _add(md, "datum", prepared.date().isoformat())
        _add(md, "standaardversie", "2019.1")
        _add(md, "validatieversie", "2019.1.1")
        uitlevering = _node(md, "categorie_uitlevering")
        for cat, level in cats.items():
            _add(uitlevering, f"cat_{cat}", level)
        _add(md, "overstap", pupil["overstap"])
        _add(dossier, "overdrachtsoort", soort)
        if out["ouderinzage"]:
            inzage = _node(dossier, "inzage")
            pairs = (("voorlopig", "voorlopigdossier"), ("gezien", "inzage"), ("datum", "inzagedatum"))
            pairs += (("akkoord", "akkoord"), ("reden_niet_akkoord", "redennietakkoord"))
            _fields(inzage, pupil["inzage"], pairs + (("toestemming", "toestemming"),))
        _leerling(_school(dossier, school), pupil, out)
    except (KeyError, TypeError, AttributeError) as e:
        raise ExportError(f"pupil data this LAS cannot export: {type(e).__name__} {e}") from None
    return dossier
