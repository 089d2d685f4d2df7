"""What this LAS, as doel, does with a dossier it fetched: check it (the gegevensset schema and the
business rules of an overstapdossier, Edustandaard's OVa/OG rules as `osokit conformance rules` lists
them) and read the three parts it imports.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

DOSSIER = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"
_SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(__file__).resolve().parents[2] / "oso" / "schemas" / "gegevensset-2019.1" / "dossier.xsd"))
)
_NS = {"d": DOSSIER}
_L = "d:huidigeschool/d:leerling"
_TRUE = "(.='true' or .='1')"

# (rule, XPath that must be true of the dossier)
RULES = (
    ("OVa.MD01", "d:metadata/d:deeldossier[.='LAS' or .='LASLVS']"),
    ("OVa.MD02", "d:metadata/d:validatieversie[.='2019.1.1']"),
    ("OG.02", "d:metadata/d:standaardversie[.='2019.1']"),
    ("OVa.MD03", "d:metadata/d:categorie_uitlevering"),
    ("OVa.OS02", "d:metadata/d:overstap[.='POPO' or .='POVO' or .='VOVO']"),
    ("OVa.OS03", "d:overdrachtsoort[.='overstapdossier' or .='overdrachtbinnenbrin']"),
    ("OVa.IZ01", "d:inzage"),
    ("OVa.IZ02", f"d:inzage/d:inzage[{_TRUE}]"),
    ("OVa.IZ03", "d:inzage/d:inzagedatum"),
    ("OVa.IZ04", "d:inzage/d:akkoord"),
    ("OVa.IZ05", "not(d:metadata/d:overstap='VOVO') or d:inzage/d:toestemming"),
    ("OVa.SL01", "d:huidigeschool/d:adreslijst/d:adres"),
    ("OVa.SL02", "d:huidigeschool/d:communicatielijst/d:communicatie"),
    ("OVa.SL01b", f"{_L}/d:schoolloopbaanlijst/d:schoolloopbaan"),
    ("OVa.LL01", f"{_L}/d:voornaam"),
    ("OVa.LL02", f"{_L}/d:geboortedatum"),
    ("OVa.LL03", f"not({_L}/d:geboortemaand)"),
    ("OVa.LL04", f"{_L}/d:adresgeheim"),
    ("OVa.LL06", f"not({_L}/d:adresgeheim[{_TRUE}]) or not({_L}/d:adreslijst)"),
    ("OVa.LL07", f"not({_L}/d:postcode4adres)"),
    ("OVa.LL10", f"not({_L}/d:geboorteplaats)"),
    ("OVa.LL11", f"not({_L}/d:nationaliteit)"),
    ("OVa.LL12", f"{_L}/d:bsn or {_L}/d:onderwijsnummer"),
    ("OVa.OA01", f"{_L}/d:overstapadvies"),
)


def problems(dossier: etree._Element) -> list[str]:
    """Why this dossier may not be imported; empty when it may."""
    if not _SCHEMA.validate(dossier):
        return [f"schema: {e.message} (line {e.line})" for e in _SCHEMA.error_log][:5]
    return [
        f"business rule {rule} fails" for rule, xpath in RULES if not dossier.xpath(f"boolean({xpath})", namespaces=_NS)
    ]


def pgn_of(dossier: etree._Element) -> str | None:
    """The pupil number the dossier carries (BSN, or onderwijsnummer when there is none)."""
    found = dossier.xpath(f"{_L}/d:bsn/text() | {_L}/d:onderwijsnummer/text()", namespaces=_NS)
    return found[0] if found else None


def parts(dossier: etree._Element) -> dict[str, object]:
    """The three parts the import steps take: personalia and placement, school career, support."""

    def texts(path: str) -> list[str]:
        return dossier.xpath(f"{_L}/{path}/text()", namespaces=_NS)

    return {
        "personalia": {n: texts(f"d:{n}") for n in ("voornaam", "achternaam", "geboortedatum", "leerlingid")},
        "schoolloopbaan": texts("d:schoolloopbaanlijst/d:schoolloopbaan/d:schooljaar"),
        "ondersteuning": [etree.tostring(e) for e in dossier.xpath(f"{_L}/d:onderwijsondersteuning", namespaces=_NS)],
    }


def datum(dossier: etree._Element) -> str | None:
    found = dossier.xpath("d:metadata/d:datum/text()", namespaces=_NS)
    return found[0] if found else None
