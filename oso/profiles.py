"""Transfer profiles and the sixteen dossier categories.

A *profile* is what kind of transfer a dossier serves (po-po, po-vo, vo-vo, binnen-BRIN, and the
Passend Onderwijs profiles po-swv and vo-swv: a school's dossier for its samenwerkingsverband). Each
profile says per category whether it is VERPLICHT (required), OPTIONEEL (optional), VERBODEN
(forbidden); a school that leaves an optional category out marks it OPT-UIT. The tables below
follow the official example dossiers of gegevensset 2019.1.
"""

from __future__ import annotations

from enum import StrEnum


class Profile(StrEnum):
    POPO = "popo"
    POVO = "povo"
    VOVO = "vovo"
    BINNENBRIN = "binnenbrin"
    POSWV = "poswv"  # Passend Onderwijs: a primary school's dossier for its samenwerkingsverband
    VOSWV = "voswv"  # ... and a secondary school's

    @property
    def overdrachtsoort(self) -> str:
        if self is Profile.BINNENBRIN:
            return "overdrachtbinnenbrin"
        return "swv-dossier" if self.is_swv else "overstapdossier"

    @property
    def is_swv(self) -> bool:
        return self in (Profile.POSWV, Profile.VOSWV)

    @property
    def overstap(self) -> str | None:
        """metadata/overstap; a binnen-BRIN dossier takes POPO or VOVO from the school's sector."""
        return None if self is Profile.BINNENBRIN else self.value.upper()

    @property
    def transfer_kind(self) -> str:
        """po-po / po-vo / vo-vo as the flow names it (binnen-BRIN moves within one school)."""
        return {"popo": "po-po", "povo": "po-vo", "vovo": "vo-vo", "binnenbrin": "binnen-brin"}.get(
            self.value, f"{self.value[:2]}-swv"
        )


class TransferKind(StrEnum):
    """The kinds of transfer the conformance suite certifies, valued like :class:`Profile`, so
    ``Profile(kind)`` is the dossier profile it carries.

    po-po, po-vo and vo-vo in both roles; binnen-BRIN (a move inside one school, so the doel is the bron
    school itself) and the Passend Onderwijs dossiers for a samenwerkingsverband (po-swv, vo-swv) in the
    bron role only: the LAS as doel of those is not certified by this osokit version (:attr:`roles`).
    """

    POPO = "popo"
    POVO = "povo"
    VOVO = "vovo"
    BINNENBRIN = "binnenbrin"
    POSWV = "poswv"
    VOSWV = "voswv"

    @property
    def profile(self) -> Profile:
        return Profile(self.value)

    @property
    def sectors(self) -> tuple[str, str]:
        """(bron, doel): the sectors (po, vo, swv) of the old and the new school (binnen-BRIN: the suite's po one)."""
        return _SECTORS.get(self.value, (self.value[:2], self.value[2:]))

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles in which the suite certifies this kind of transfer."""
        return (Role.DOEL, Role.BRON) if self in DEFAULT_TRANSFERS else (Role.BRON,)


_SECTORS = {"binnenbrin": ("po", "po")}
DEFAULT_TRANSFERS = (TransferKind.POPO, TransferKind.POVO, TransferKind.VOVO)  # certified in both roles


def kinds_in(role: Role, transfers: tuple[TransferKind, ...]) -> tuple[TransferKind, ...]:
    """The transfers of a run that are certified in ``role``."""
    return tuple(t for t in transfers if role in t.roles)


class Role(StrEnum):
    """The side a LAS plays in a transfer: doel (the new school, it asks) or bron (the old school, it serves)."""

    DOEL = "doel"
    BRON = "bron"


class Overstap(StrEnum):
    """metadata/overstap in an overstapdossier."""

    POPO = "POPO"
    POVO = "POVO"
    VOVO = "VOVO"


SWV_OVERSTAP = ("POSWV", "VOSWV")  # metadata/overstap in a swv-dossier (rule PaO.SO02)


class Uitlevering(StrEnum):
    VERPLICHT = "VERPLICHT"
    OPTIONEEL = "OPTIONEEL"
    VERBODEN = "VERBODEN"
    OPT_UIT = "OPT-UIT"


class Category(StrEnum):
    """The sixteen categories, valued by their ``cat_*`` element name in categorie_uitlevering."""

    METADATA = "cat_metadata"
    OUDERINZAGE = "cat_ouderinzage"
    SCHOOL = "cat_school"
    LEERLING = "cat_leerling"
    OUDERSVERZORGERS = "cat_oudersverzorgers"
    VVE = "cat_vve"
    SCHOOLLOOPBAAN = "cat_schoolloopbaan"
    OVERSTAPADVIES = "cat_overstapadvies"
    ONDERWIJSONDERSTEUNING = "cat_onderwijsondersteuning"
    VERZUIM = "cat_verzuim"
    EINDTOETSBO = "cat_eindtoetsbo"
    TOETSRESULTATEN = "cat_toetsresultaten"
    HANDELINGSPLANNEN = "cat_handelingsplannen"
    CIJFERLIJSTEN = "cat_cijferlijsten"
    VOMBO = "cat_vombo"
    BIJLAGEDOCS = "cat_bijlagedocs"

    @property
    def label(self) -> str:
        return self.value.removeprefix("cat_")


# The content of each category that can be left out, as XPath relative to <leerling> (prefix od).
# Metadata, school and leerling are required in every profile, so they have no entry here.
CATEGORY_CONTENT: dict[Category, str] = {
    Category.OUDERINZAGE: "../../od:inzage",
    Category.OUDERSVERZORGERS: "od:verzorgersaansprakelijk | od:aansprakelijkeinstelling | od:verzorger",
    Category.VVE: "od:vanpeuterspeelzaal | od:naampeuterspeelzaal | od:voorschools | od:vroegschools",
    Category.SCHOOLLOOPBAAN: "od:schoolloopbaanlijst",
    Category.OVERSTAPADVIES: "od:overstapadvies",
    Category.ONDERWIJSONDERSTEUNING: "od:onderwijsondersteuning/*[not(self::od:handelingsplan)]",
    Category.VERZUIM: "od:verzuim",
    Category.EINDTOETSBO: "od:eindtoets_basisonderwijs",
    Category.TOETSRESULTATEN: "od:toetslijst",
    Category.HANDELINGSPLANNEN: "od:onderwijsondersteuning/od:handelingsplan",
    Category.CIJFERLIJSTEN: "od:cijferlijstlijst",
    Category.VOMBO: (
        "od:bevorderd | od:examenresultaat | od:resultaatvakkenvo | od:certificaat"
        " | od:competenties | od:stage | od:overigvombo"
    ),
    Category.BIJLAGEDOCS: "od:overigdocumentlijst",
}

REQ, OPT, NO = Uitlevering.VERPLICHT, Uitlevering.OPTIONEEL, Uitlevering.VERBODEN


def _table(**overrides: Uitlevering) -> dict[Category, Uitlevering]:
    base = {
        Category.METADATA: REQ,
        Category.OUDERINZAGE: REQ,
        Category.SCHOOL: REQ,
        Category.LEERLING: REQ,
        Category.OUDERSVERZORGERS: REQ,
        Category.VVE: OPT,
        Category.SCHOOLLOOPBAAN: REQ,
        Category.OVERSTAPADVIES: REQ,
        Category.ONDERWIJSONDERSTEUNING: OPT,
        Category.VERZUIM: OPT,
        Category.EINDTOETSBO: OPT,
        Category.TOETSRESULTATEN: OPT,
        Category.HANDELINGSPLANNEN: OPT,
        Category.CIJFERLIJSTEN: OPT,
        Category.VOMBO: NO,
        Category.BIJLAGEDOCS: OPT,
    }
    base.update({Category("cat_" + name): value for name, value in overrides.items()})
    return base


PROFILE_CATEGORIES: dict[Profile, dict[Category, Uitlevering]] = {
    Profile.POPO: _table(),
    Profile.POVO: _table(vve=NO),
    Profile.VOVO: _table(vve=NO, vombo=OPT),
    Profile.BINNENBRIN: {
        c: (REQ if c in (Category.METADATA, Category.SCHOOL, Category.LEERLING) else OPT) for c in Category
    },
    # The PaO tables as the official Voorbeelddossier_PaO_*_full examples declare them: support is the point
    # of a swv-dossier (VERPLICHT), inzage and the advice are optional; po has no eindtoets or vo-mbo data yet.
    Profile.POSWV: _table(ouderinzage=OPT, overstapadvies=OPT, onderwijsondersteuning=REQ, eindtoetsbo=NO),
    Profile.VOSWV: _table(ouderinzage=OPT, overstapadvies=OPT, onderwijsondersteuning=REQ, vve=NO, vombo=OPT),
}


def uitlevering(profile: Profile, opt_out: frozenset[Category] = frozenset()) -> dict[Category, Uitlevering]:
    """The categorie_uitlevering of a dossier: the profile's table with chosen optional ones OPT-UIT."""
    table = PROFILE_CATEGORIES[profile]
    return {c: (Uitlevering.OPT_UIT if c in opt_out and u is OPT else u) for c, u in table.items()}


def optional_categories(profile: Profile) -> frozenset[Category]:
    return frozenset(c for c, u in PROFILE_CATEGORIES[profile].items() if u is OPT)


def profile_of(overdrachtsoort: str | None, overstap: str | None) -> Profile | None:
    """Which profile a dossier declares, from its overdrachtsoort and metadata/overstap."""
    if overdrachtsoort == "overdrachtbinnenbrin":
        return Profile.BINNENBRIN
    if overdrachtsoort == "overstapdossier" and overstap in {o.value for o in Overstap}:
        return Profile(overstap.lower())
    if overdrachtsoort == "swv-dossier" and overstap in SWV_OVERSTAP:
        return Profile(overstap.lower())
    return None


def declared_profile(overdrachtsoort: str | None, overstap: str | None) -> Profile:
    """:func:`profile_of`, for data that must declare one (pupil data the suite gives a LAS): ValueError if not."""
    found = profile_of(overdrachtsoort or "overstapdossier", overstap)
    if found is None:
        raise ValueError(f"overdrachtsoort {overdrachtsoort} with overstap {overstap} is no profile")
    return found
