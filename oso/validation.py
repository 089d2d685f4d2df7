"""Validating a dossier: well-formedness, the XSD, and the business rules, from one parse.

Problems are values with a rule id (``XML`` for documents that are not well-formed, ``XSD`` for
schema errors, else the business-rule id), a line and a message that says what and where.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from oso import rules
from oso.namespaces import DOSSIER
from oso.parsing import XmlError, parse
from oso.rules import Level

_NS_NOISE = "{" + DOSSIER + "}"


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    line: int = 0
    level: Level = Level.MUST

    def format(self, filename: str) -> str:
        """The `FILE:LINE: RULE-ID: message` line the CLI prints."""
        prefix = "" if self.level is Level.MUST else "warning: "
        return f"{filename}:{self.line}: {self.rule}: {prefix}{self.message}"


def schema_problems(schema: etree.XMLSchema, root: etree._Element) -> list[Problem]:
    if schema.validate(root):
        return []
    return [Problem("XSD", e.message.replace(_NS_NOISE, ""), e.line) for e in schema.error_log]


def rule_problems(root: etree._Element) -> list[Problem]:
    return [Problem(v.rule.id, f"{v.rule.text} (at {v.path})", v.line, v.rule.level) for v in rules.check(root)]


def validate_tree(root: etree._Element, schema: etree.XMLSchema) -> list[Problem]:
    return schema_problems(schema, root) + rule_problems(root)


def validate(data: bytes, schema: etree.XMLSchema) -> list[Problem]:
    """All problems of one document; an empty list means it is a valid dossier."""
    return checked(data, schema)[1]


def checked(data: bytes, schema: etree.XMLSchema) -> tuple[etree._Element | None, list[Problem]]:
    """The parsed document (None when it is not well-formed) and its problems: one parse for both."""
    try:
        root = parse(data)
    except XmlError as exc:
        return None, [Problem("XML", f"{exc.message} ({exc.code})", exc.line)]
    return root, validate_tree(root, schema)


def failed(problems: list[Problem]) -> bool:
    """True when any problem is a MUST (SHOULD problems are reported but do not fail)."""
    return any(p.level is Level.MUST for p in problems)
