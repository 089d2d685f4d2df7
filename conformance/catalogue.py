"""The rules catalogue: every rule the conformance suite verifies, as data.

Two kinds: the dossier business rules (Edustandaard's ``OVa.*``/``OG.*``/``OS.cat_*`` ids and
osokit's ``OSOKIT-*``, defined in :mod:`oso.rules`) that a bron's dossier must meet, and the
transport and flow rules osokit derives from the published OSO flow (``TC-*``, ``DOEL-*``,
``BRON-*``, below). Each rule has a text, a source, a level and the roles it concerns; which
checks cover it is computed from the suite (``osokit conformance rules``), never written by hand.

Which rules a run must have tested follows from here too (:meth:`Rule.applies`): a rule applies to
a run when it concerns one of the run's roles and one of its transfer kinds. The binnen-BRIN rules
(``OVb.*``) concern the binnenbrin kind, the Passend Onderwijs rules (``PaO.*``) poswv and voswv,
both in the bron role; the doel rules concern po-po, po-vo and vo-vo only, the kinds the doel role is
certified for (:attr:`~oso.profiles.TransferKind.roles`). Every rule that applies and did not run and
pass makes the verdict INCOMPLETE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from oso import rules as dossier_rules
from oso.profiles import Profile, Role, TransferKind
from reports.results import LEVELS, Level, one_of
from reports.results import Role as RoleName

KN_FLOW = "Kennisnet developer wiki, OSO use cases (Initiëren sessie, Opvragen dossier, Controleren/Afmelden sessie)"
KN_NOTIF = "Kennisnet developer wiki, OSO:2022 Versturen Notificatie"
KN_VERZ = "Kennisnet, OSO release 2016-08 (dossierVerzameldatum) and the sandbox school"
OSOKIT = "osokit (derived from the published flow)"


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str
    level: Level
    roles: tuple[RoleName, ...]
    kind: str = "flow"  # flow | dossier
    profiles: tuple[Profile, ...] = ()  # the kinds of transfer it concerns (a flow rule: see catalogue())

    def applies(self, roles: Iterable[Role], transfers: Iterable[TransferKind]) -> bool:
        """A run of these roles and transfer kinds must test this rule."""
        return bool(set(self.roles) & set(roles)) and any(t.profile in self.profiles for t in transfers)


FLOW_RULES = (
    Rule(
        "TC-SESSION-01",
        "The doel requests a session at the Traffic Center (overdrachtRequest) before it asks a bron "
        "for the dossier, and asks with that session's id.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "TC-SESSION-02",
        "One session per dossier: a collective (batch) request opens a session per pupil.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "TC-AFMELD-01",
        "The doel closes every session it opened with exactly one afmelding.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "TC-AFMELD-02",
        "The afmelding reports the best result over all aanleverpunten asked: OverdrachtGeslaagd "
        "only when a dossier came, otherwise the bron's refusal.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "TC-MSG-01",
        "Every message the LAS sends conforms to the OSO transport schema.",
        KN_FLOW,
        "MUST",
        ("doel", "bron"),
    ),
    Rule(
        "TC-PGN-01",
        "The pupil number (PGN) is never sent in clear: only a zoeksleutel, pgnfrag or koppelsleutel.",
        KN_FLOW,
        "MUST",
        ("doel", "bron"),
    ),
    Rule(
        "DOEL-FETCH-01",
        "The doel asks every aanleverpunt the Traffic Center returns for the bron school.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-FAULT-01",
        "When the Traffic Center refuses the session, the doel asks no bron.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-FAULT-02",
        "When the bron refuses, the doel imports nothing and closes with the bron's result.",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-ROBUST-01",
        "When a bron fails (SOAP fault, HTTP error, dropped connection) the doel still closes the "
        "session exactly once, and not as OverdrachtGeslaagd.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-ROBUST-02",
        "A bron that answers slowly (within the time-out) is waited for: its dossier is imported "
        "and the session closed as OverdrachtGeslaagd.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-VERZ-01",
        "A re-request after the eindtoets carries dossierVerzameldatum and gets the updated dossier.",
        KN_VERZ,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-VERZ-02",
        "A re-requested dossier is linked to the pupil already imported, never a second pupil.",
        KN_VERZ,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-VERZ-03",
        "A collective re-request (the update of many pupils after the eindtoets) asks for every pupil's update "
        "with dossierVerzameldatum and links each to the pupil imported before.",
        KN_VERZ,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-IMPORT-01",
        "The doel imports all three parts: personalia and placement, school career, support.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-IMPORT-02",
        "Importing the same dossier again updates the pupil; it does not duplicate it.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-STEP-01",
        "Asked to re-run one import step on a newer dossier, the doel runs that step again with the newer data.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-STEP-02",
        "Re-running one import step leaves the other two steps as they were.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-STEP-03",
        "Re-running one import step never makes a second pupil record.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-VALID-01",
        "A dossier that fails the schema or the business rules is not imported.",
        OSOKIT,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-ASKED-01",
        "The doel imports only the dossier it asked for: not one of another overdrachtsoort, nor one of "
        "another pupil (its BSN or onderwijsnummer is not the one asked for).",
        KN_FLOW,
        "MUST",
        ("doel",),
    ),
    Rule(
        "DOEL-NOTIF-01",
        "The doel's aanleverpunt accepts a notificatieRequest, and a duplicate of it, and answers "
        "NotificatieOntvangen.",
        KN_NOTIF,
        "MUST",
        ("doel",),
    ),
    Rule(
        "BRON-SESSION-01",
        "The bron checks the session at the Traffic Center (sessiecontrole) before it answers a documentRequest.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-SESSION-02",
        "The bron answers only valid sessions: when the Traffic Center refuses the sessiecontrole, the bron "
        "refuses with the Traffic Center's fault code (SessieOnbekend, SessieAfwijkend, ...) and sends no dossier.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-CERT-01",
        "The bron answers a documentRequest only when the doel's client certificate is of a vendor "
        "the doel school mandated.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-DOSSIER-01",
        "The dossier the bron sends is valid against the OSO gegevensset 2019.1 schema.",
        "Edustandaard, OSO gegevensset 2019.1",
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-DOSSIER-02",
        "The dossier the bron sends is of the pupil asked for: BSN or onderwijsnummer, names and birth date.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-DOSSIER-03",
        "The dossier carries what was prepared: made from the pupil data by the LAS's own export as "
        "docs/conformance.md maps it (tested in export mode; passthrough mode only shows that the dossier "
        "handed in comes back unchanged, which leaves this rule untested).",
        OSOKIT,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-VERZ-01",
        "The bron honours dossierVerzameldatum: without it the first dossier prepared; with it the newest "
        "prepared after it, else the refusal GeenNieuwerDossier.",
        KN_VERZ,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-REFUSE-01",
        "No dossier that has not been prepared (klaargezet): the refusal DossierNietGereed.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-REFUSE-02",
        "No dossier that may not go to this doel (parents have not seen it): the refusal DossierNietToegestaan.",
        KN_FLOW,
        "MUST",
        ("bron",),
    ),
    Rule(
        "BRON-REFUSE-03",
        "No dossier prepared in an earlier school year once it has expired (1 August): the refusal DossierVerlopen.",
        "Vendor practice (dossiers prepared before the summer expire after it)",
        "MUST",
        ("bron",),
    ),
    Rule("BRON-ROBUST-01", "A duplicated documentRequest gets the same answer twice.", OSOKIT, "SHOULD", ("bron",)),
)


@cache
def catalogue() -> dict[str, Rule]:
    """Every rule by id: the flow rules above and the dossier rules, which concern the bron's dossier."""
    out = {r.id: replace(r, profiles=certified(r.roles)) for r in FLOW_RULES}
    for r in dossier_rules.RULES.values():
        profiles = tuple(p for p in Profile if r.id in dossier_rules_of(p))
        out[r.id] = Rule(r.id, r.text, r.source, one_of(LEVELS, r.level.value), ("bron",), "dossier", profiles)
    return out


def certified(roles: tuple[str, ...]) -> tuple[Profile, ...]:
    """The kinds a flow rule concerns: those certified in one of its roles."""
    return tuple(k.profile for k in TransferKind if set(roles) & set(k.roles))


@cache
def dossier_rules_of(profile: Profile) -> frozenset[str]:
    """The dossier rules a dossier of this profile must meet (those whose checks apply to its kind)."""
    if profile is Profile.BINNENBRIN:
        facts = dossier_rules.Facts(dossier_rules.BINNENBRIN, None)
    else:
        facts = dossier_rules.Facts(profile.overdrachtsoort, profile.value.upper())
    # about a dossier that declares the wrong kind, so any dossier may break them: OS03 (a kind not known),
    # SO03 (an SWV overstap type on another kind)
    return frozenset({c.rule.id for c in dossier_rules.CHECKS if c.matches(facts)} | {"OVa.OS03", "PaO.SO03"})


def rule(rule_id: str) -> Rule:
    try:
        return catalogue()[rule_id]
    except KeyError:
        raise KeyError(f"rule {rule_id} is not in the catalogue") from None
