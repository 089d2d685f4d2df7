"""The one hardened XML parse every document in osokit goes through (a lint rule keeps it so).

No DTDs, no entity expansion, no network, no huge-tree mode. Size is bounded before parsing
starts and nesting depth while it runs (libxml2 stops at 256 levels without huge-tree mode),
so hostile input costs at most ``max_bytes`` of work. lxml's errors
come back as :class:`XmlError` with a line number, never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from oso.errors import OsokitError

DEFAULT_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class XmlError(OsokitError):
    """A document that is not acceptable XML. ``code`` names the limit or defect."""

    code: str  # not-well-formed | too-large | too-deep | dtd-forbidden | empty
    message: str
    line: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def _parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=True,
        remove_blank_text=remove_blank_text,
    )


_PARSER = _parser()
_FOR_PEOPLE = _parser(remove_blank_text=True)  # re-indenting needs the layout whitespace gone
_PROLOG_LIMIT = 64 * 1024


def _has_doctype(data: bytes) -> bool:
    """A DOCTYPE in the prolog (before the root element), found without parsing anything else."""
    i = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = min(len(data), _PROLOG_LIMIT)
    while i < end:
        if data[i] in b" \t\r\n":
            i += 1
        elif data.startswith((b"<?", b"<!--"), i):
            close = b"?>" if data[i + 1] == ord("?") else b"-->"
            found = data.find(close, i)
            if found < 0:
                return False  # unterminated: the parser reports it
            i = found + len(close)
        else:
            return data.startswith(b"<!DOCTYPE", i)
    return False


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, base_url: str | None = None) -> etree._Element:
    """Parse bytes into an element tree under osokit's limits, or raise XmlError.

    ``base_url``: where the document came from, so that a schema's includes resolve next to it.
    """
    return _parse(data, max_bytes, _PARSER, base_url)


def parse_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """A file (a schema, a dossier on disk) parsed as :func:`parse` does; OSError when it cannot be read."""
    return _parse(path.read_bytes(), max_bytes, _PARSER, str(path))


def pretty(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """``data`` re-indented for people to read (evidence pages and reports), or XmlError."""
    return etree.tostring(_parse(data, max_bytes, _FOR_PEOPLE, None), encoding="unicode", pretty_print=True)


def _parse(data: bytes, max_bytes: int, parser: etree.XMLParser, base_url: str | None) -> etree._Element:
    if not data or not data.strip():
        raise XmlError("empty", "empty document")
    if len(data) > max_bytes:
        raise XmlError("too-large", f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    if _has_doctype(data):
        raise XmlError("dtd-forbidden", "DOCTYPE declarations are not accepted (no DTDs, no entities)", 1)
    try:
        root = etree.fromstring(data, parser) if base_url is None else etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise XmlError("not-well-formed", exc.msg or "not well-formed XML", line) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise XmlError("dtd-forbidden", "DOCTYPE declarations are not accepted (no DTDs, no entities)", 1)
    return root
