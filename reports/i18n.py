"""The report's words in English and Dutch: one small message catalogue per language.

report.html is read by vendors' engineers and, in Dutch, by the school staff and boards who decide
on a LAS. Only osokit's own words are translated: rule texts, check names, messages and evidence
stay as the suite and the vendor's system wrote them, and the verdict codes in results.json and
junit.xml never change. A message with ``|`` has a singular and a plural form, chosen by ``n``.
Numbers are written the way the language does: 1,500.5 in English, 1.500,5 in Dutch.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "nl")
DEFAULT = "en"

EN: dict[str, str] = {
    "title": "{verdict} · osokit conformance · {target}",
    "heading": "osokit conformance report",
    "verdict.pass": "PASS",
    "verdict.fail": "FAIL",
    "verdict.error": "ERROR",
    "verdict.incomplete": "INCOMPLETE",
    "why.pass": "every MUST rule that applies ran and passed",
    "why.fail": "{n} MUST check failed|{n} MUST checks failed",
    "why.incomplete": "{n} MUST rule not tested (listed first below)|{n} MUST rules not tested (listed first below)",
    "why.stopped": "the run stopped: {message}",
    "why.error": "no check reached a verdict: all {n} ended in an error",
    "why.empty": "the run produced no checks",
    "why.untested": "; {n} MUST rule not tested|; {n} MUST rules not tested",
    "why.should": "; {n} SHOULD check failed|; {n} SHOULD checks failed",
    "why.passthrough": "; passthrough mode: the LAS's own export (klaarzetten) was not tested",
    "target": "target",
    "fact.target": "Target",
    "fact.mutant": "Mutant",
    "fact.no_mutant": "none (the target as is)",
    "fact.seed": "Seed",
    "fact.run": "Run",
    "fact.started": "Started",
    "fact.roles": "Roles",
    "fact.transfers": "Transfers",
    "fact.adapter": "Adapter",
    "fact.prepare": "Bron pupils",
    "prepare.export": "export: the suite gave the LAS pupil data; the dossiers checked are the LAS's own export",
    "prepare.passthrough": "passthrough: the suite handed the LAS dossier XML to serve; the LAS's own export "
    "(klaarzetten) was not tested",
    "fact.simulator": "Simulator",
    "fact.versions": "Versions",
    "none": "none",
    "untested": "Not tested ({must} MUST, {should} SHOULD)",
    "untested.intro": "These rules apply to the roles and transfer kinds of this run, but no check of theirs ran "
    "and passed: the run cannot vouch for them.",
    "untested.remedy": "To test it:",
    "untested.checks": "checks:",
    "reproduce": "Reproduce this run (same checks, same seed)",
    "toc.untested": "Not tested ({n})",
    "toc.summary": "Summary",
    "toc.rules": "Rules ({n})",
    "toc.failures": "Failures ({n})",
    "toc.checks": "All checks ({n})",
    "summary": "Summary",
    "tile.total": "checks",
    "tile.passed": "passed",
    "tile.failed": "failed",
    "tile.error": "errors",
    "tile.skipped": "skipped",
    "tile.must_failed": "MUST failed",
    "tile.should_failed": "SHOULD failed",
    "tile.untested": "MUST rules not tested",
    "bar": "{passed} passed, {failed} failed, {errors} errors, {skipped} skipped",
    "rules.line": "Rules: {total} in the catalogue, {pass} pass, {fail} fail, {error} error, {skip} skipped, "
    "{untested} untested, {not_applicable} not applicable to this run's transfer kinds.",
    "outcome.passed": "passed",
    "outcome.failed": "failed",
    "outcome.skipped": "skipped",
    "outcome.error": "error",
    "outcome.pass": "pass",
    "outcome.fail": "fail",
    "outcome.skip": "skip",
    "outcome.untested": "untested",
    "outcome.not-applicable": "not-applicable",
    "rules": "Rules",
    "rules.group": "{level} rules ({n}, {failing} failing)",
    "col.result": "Result",
    "col.rule": "Rule",
    "col.level": "Level",
    "col.text": "Text",
    "col.source": "Source",
    "col.checks": "Checks",
    "col.outcome": "Outcome",
    "col.check": "Check",
    "col.role": "Role",
    "col.transfer": "Transfer",
    "col.duration": "Duration",
    "failures": "Failures ({n})",
    "failures.none": "No check failed.",
    "failures.intro": "MUST first. Each failure says what was expected and found, the command that re-runs "
    "exactly that check with the same seed, and the messages exchanged (click to open).",
    "failure.role": "role {role}",
    "failure.dossier": "dossier",
    "failure.transfer": "transfer {transfer}",
    "failure.any": "any",
    "failure.row": "row in all checks",
    "failure.no_message": "(no message)",
    "failure.check_id": "Check id",
    "failure.rerun": "Re-run this check alone (same seed)",
    "failure.masked": "pupil numbers are masked here: add --show-pgn to the re-run line to see them in clear",
    "said.expected": "expected",
    "said.found": "found",
    "said.where": "where",
    "evidence": "Evidence",
    "evidence.count": "Evidence ({n} message{marked})|Evidence ({n} messages{marked})",
    "evidence.marked": ", {n} marked ▶ show the failure",
    "evidence.shows": "▶ shows the failure",
    "evidence.none": "none recorded",
    "evidence.fault": "fault",
    "evidence.vendor": "vendor",
    "evidence.no_body": "(no body recorded)",
    "evidence.cut": "… {n} more characters in results.json",
    "checks": "All checks ({n})",
    "filter.placeholder": "filter by id, rule, role, transfer…",
    "filter.label": "filter checks",
    "filter.all": "all outcomes",
    "filter.outcome": "outcome",
    "filter.expand": "expand all evidence",
    "filter.collapse": "collapse all evidence",
    "filter.shown": "{shown} of {total} checks shown",
    "footer": "Generated by osokit from results.json ({schema}). This page is self-contained: "
    "it loads nothing from anywhere.",
}

NL: dict[str, str] = {
    "title": "{verdict} · osokit-conformiteit · {target}",
    "heading": "osokit-conformiteitsrapport",
    "verdict.pass": "GOEDGEKEURD",
    "verdict.fail": "AFGEKEURD",
    "verdict.error": "FOUT",
    "verdict.incomplete": "ONVOLLEDIG",
    "why.pass": "elke MUST-regel die van toepassing is, is getest en voldaan",
    "why.fail": "{n} MUST-controle is mislukt|{n} MUST-controles zijn mislukt",
    "why.incomplete": "{n} MUST-regel niet getest (hieronder eerst genoemd)|"
    "{n} MUST-regels niet getest (hieronder eerst genoemd)",
    "why.stopped": "de run is gestopt: {message}",
    "why.error": "geen controle kwam tot een oordeel: alle {n} eindigden in een fout",
    "why.empty": "de run leverde geen controles op",
    "why.untested": "; {n} MUST-regel niet getest|; {n} MUST-regels niet getest",
    "why.should": "; {n} SHOULD-controle is mislukt|; {n} SHOULD-controles zijn mislukt",
    "why.passthrough": "; passthrough-modus: de eigen export (klaarzetten) van het LAS is niet getest",
    "target": "getest systeem",
    "fact.target": "Getest systeem",
    "fact.mutant": "Mutant",
    "fact.no_mutant": "geen (het systeem zoals het is)",
    "fact.seed": "Seed",
    "fact.run": "Run",
    "fact.started": "Gestart",
    "fact.roles": "Rollen",
    "fact.transfers": "Overdrachten",
    "fact.adapter": "Adapter",
    "fact.prepare": "Leerlingen als bron",
    "prepare.export": "export: de suite gaf het LAS leerlinggegevens; de gecontroleerde dossiers zijn de eigen "
    "export van het LAS",
    "prepare.passthrough": "passthrough: de suite gaf het LAS kant-en-klare dossier-XML om te serveren; de eigen "
    "export (klaarzetten) van het LAS is niet getest",
    "fact.simulator": "Simulator",
    "fact.versions": "Versies",
    "none": "geen",
    "untested": "Niet getest ({must} MUST, {should} SHOULD)",
    "untested.intro": "Deze regels gelden voor de rollen en overdrachtsoorten van deze run, maar geen van hun "
    "controles is uitgevoerd en geslaagd: de run kan er niet voor instaan.",
    "untested.remedy": "Om te testen:",
    "untested.checks": "controles:",
    "reproduce": "Deze run herhalen (dezelfde controles, dezelfde seed)",
    "toc.untested": "Niet getest ({n})",
    "toc.summary": "Samenvatting",
    "toc.rules": "Regels ({n})",
    "toc.failures": "Mislukt ({n})",
    "toc.checks": "Alle controles ({n})",
    "summary": "Samenvatting",
    "tile.total": "controles",
    "tile.passed": "geslaagd",
    "tile.failed": "mislukt",
    "tile.error": "fouten",
    "tile.skipped": "overgeslagen",
    "tile.must_failed": "MUST mislukt",
    "tile.should_failed": "SHOULD mislukt",
    "tile.untested": "MUST-regels niet getest",
    "bar": "{passed} geslaagd, {failed} mislukt, {errors} fouten, {skipped} overgeslagen",
    "rules.line": "Regels: {total} in de catalogus, {pass} voldaan, {fail} niet voldaan, {error} fout, "
    "{skip} overgeslagen, {untested} niet getest, {not_applicable} niet van toepassing op de overdrachtsoorten "
    "van deze run.",
    "outcome.passed": "geslaagd",
    "outcome.failed": "mislukt",
    "outcome.skipped": "overgeslagen",
    "outcome.error": "fout",
    "outcome.pass": "voldaan",
    "outcome.fail": "niet voldaan",
    "outcome.skip": "overgeslagen",
    "outcome.untested": "niet getest",
    "outcome.not-applicable": "niet van toepassing",
    "rules": "Regels",
    "rules.group": "{level}-regels ({n}, {failing} niet voldaan)",
    "col.result": "Resultaat",
    "col.rule": "Regel",
    "col.level": "Niveau",
    "col.text": "Tekst",
    "col.source": "Bron",
    "col.checks": "Controles",
    "col.outcome": "Uitkomst",
    "col.check": "Controle",
    "col.role": "Rol",
    "col.transfer": "Overdracht",
    "col.duration": "Duur",
    "failures": "Mislukt ({n})",
    "failures.none": "Geen controle is mislukt.",
    "failures.intro": "MUST eerst. Bij elke mislukte controle staat wat verwacht en wat gevonden werd, de "
    "opdracht die precies die controle met dezelfde seed opnieuw uitvoert, en de uitgewisselde berichten "
    "(klik om te openen).",
    "failure.role": "rol {role}",
    "failure.dossier": "dossier",
    "failure.transfer": "overdracht {transfer}",
    "failure.any": "elke",
    "failure.row": "regel in alle controles",
    "failure.no_message": "(geen melding)",
    "failure.check_id": "Controle-id",
    "failure.rerun": "Alleen deze controle opnieuw uitvoeren (dezelfde seed)",
    "failure.masked": "leerlingnummers zijn hier gemaskeerd: voeg --show-pgn toe aan de opdracht om ze leesbaar "
    "te zien",
    "said.expected": "verwacht",
    "said.found": "gevonden",
    "said.where": "waar",
    "evidence": "Bewijs",
    "evidence.count": "Bewijs ({n} bericht{marked})|Bewijs ({n} berichten{marked})",
    "evidence.marked": ", {n} gemarkeerd ▶ laten de fout zien",
    "evidence.shows": "▶ laat de fout zien",
    "evidence.none": "niets vastgelegd",
    "evidence.fault": "fout",
    "evidence.vendor": "leverancier",
    "evidence.no_body": "(geen inhoud vastgelegd)",
    "evidence.cut": "… nog {n} tekens in results.json",
    "checks": "Alle controles ({n})",
    "filter.placeholder": "filter op id, regel, rol, overdracht…",
    "filter.label": "controles filteren",
    "filter.all": "alle uitkomsten",
    "filter.outcome": "uitkomst",
    "filter.expand": "alle bewijs openen",
    "filter.collapse": "alle bewijs sluiten",
    "filter.shown": "{shown} van {total} controles getoond",
    "footer": "Gemaakt door osokit uit results.json ({schema}). Deze pagina staat op zichzelf: "
    "ze laadt niets van elders.",
}

CATALOGUES = {"en": EN, "nl": NL}


@dataclass(frozen=True)
class Words:
    """The report's words in one language: ``t(key, n=..., **values)``, ``num(n)`` and ``dec(x, digits)``."""

    lang: str

    def t(self, key: str, n: int | None = None, **values: object) -> str:
        text = CATALOGUES[self.lang][key]
        if "|" in text:
            one, many = text.split("|")
            text = one if n == 1 else many
        if n is not None:
            values["n"] = self.num(n)
        return text.format(**values) if values else text

    def num(self, n: int) -> str:
        return self._local(f"{n:,}")

    def dec(self, x: float, digits: int = 1) -> str:
        return self._local(f"{x:,.{digits}f}")

    def _local(self, text: str) -> str:
        return text.translate(str.maketrans(",.", ".,")) if self.lang == "nl" else text


def words(lang: str = DEFAULT) -> Words:
    """The catalogue of ``lang``; ValueError, naming the choices, for a language osokit has no words in."""
    if lang not in CATALOGUES:
        raise ValueError(f"no report language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return Words(lang)
