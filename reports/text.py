"""Text from results made safe to put in XML and HTML, and XML bodies made readable.

Evidence bodies are whatever a vendor's LAS sent, including the simulator's hostile corpus:
control characters, lone surrogates, broken XML, entity bombs. XML 1.0 cannot carry most
control characters at all (lxml refuses them) and a lone surrogate cannot be encoded as UTF-8,
so every string goes through ``printable`` first; it maps each such character to a visible
stand-in instead of dropping it, because the odd byte may be exactly what the check was about.
"""

from __future__ import annotations

import re

from oso.parsing import XmlError, pretty
from reports.results import Check

_C0 = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}
_TABLE = {**_C0, 0x7F: "\u2421", 0xFFFE: "\ufffd", 0xFFFF: "\ufffd"}
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

MASKED_HINT = "pupil numbers are masked here: add --show-pgn to the re-run line to see them in clear"

BODY_LIMIT = 200_000
"""Characters of one evidence body shown in a report; the rest is cut with a note (results.json keeps all)."""


def printable(text: str) -> str:
    """``text`` with C0 controls and DEL as Control Pictures (U+2400...), C1 controls, lone surrogates
    and non-characters as U+FFFD; tab, newline and carriage return stay. Legal in XML 1.0 and HTML."""
    if not _NOT_PRINTABLE.search(text):
        return text
    return _NOT_PRINTABLE.sub(lambda m: _TABLE.get(ord(m.group()), "\ufffd"), text)


def pretty_xml(body: str) -> str:
    """``body`` re-indented when it is well-formed XML, else unchanged. Never resolves entities,
    never loads a DTD or anything from the network: bodies are untrusted."""
    stripped = body.strip()
    if not stripped.startswith("<"):
        return body
    try:
        return pretty(stripped.encode("utf-8"))
    except (XmlError, ValueError):  # ValueError: UnicodeEncodeError of a lone surrogate
        return body


def shorten(text: str, limit: int = BODY_LIMIT) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters, and how many were cut."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def first_line(text: str | None, limit: int = 200) -> str:
    """The first non-empty line of ``text``, at most ``limit`` characters (for one-line summaries)."""
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def expected_found(check: Check) -> list[tuple[str, str]]:
    """A failure's expected, found and where, those it has, as (label, text) pairs."""
    pairs = (("expected", check.expected), ("found", check.found), ("where", check.where))
    return [(label, text) for label, text in pairs if text]
