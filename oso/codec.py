"""Model values <-> XML: the dossier (namespace :data:`oso.namespaces.DOSSIER`) and any other
class declared with :mod:`oso.xmlmodel` (the transport messages).

One generic reader and one generic writer, driven by the field declarations (schema order,
element names, namespace, how each field sits in XML). The field table of each class is computed
once and cached, so encoding a dossier is a straight walk.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from lxml import etree

from oso import dossier as model
from oso.errors import OsokitError
from oso.namespaces import DOSSIER
from oso.parsing import XmlError, parse
from oso.xmlmodel import XmlFragment, namespace_of

T = TypeVar("T")
R = TypeVar("R")


def _per_class(fn: Callable[[type], R]) -> Callable[[type], R]:
    """functools.cache for a function of a model class; typed so, as mypy does not take a class for Hashable."""
    return cache(fn)


# xs:dateTime may leave out the timezone; OSO is Dutch, so such a moment is read as Dutch time (and every
# datetime in a model is aware: comparing it with another never fails).
DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
_SCALARS = (str, bool, int, Decimal, date, datetime, XmlFragment)
_PREFIX = "{" + DOSSIER + "}"


class CodecError(OsokitError, ValueError):
    """An element that does not fit the model; names the element, its line and what is wrong."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


_TO_TEXT: dict[type, Any] = {
    str: str,
    bool: _bool_text,
    int: str,
    Decimal: _decimal_text,
    date: date.isoformat,
    datetime: datetime.isoformat,
    XmlFragment: str,
}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # attribute on the dataclass
    xml: str  # element (or item element, for lijst) local name
    kind: str  # one | many | lijst | groups | text | attr
    type: type  # a scalar type or a model class
    ns: str  # namespace of the element written for this field
    tag: str  # qualified tag of that element
    wrapper_tag: str | None  # for lijst: qualified tag of the wrapper
    to_text: Any = None  # value -> text for scalars; None for model classes


def _base_type(hint: Any) -> type:
    """str | None -> str; tuple[Adres, ...] -> Adres."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is tuple:
        hint = typing.get_args(hint)[0]
    return typing.cast(type, hint)


@_per_class
def _fields(cls: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    own_ns = namespace_of(cls)
    out = []
    for f in dataclasses.fields(cls):
        kind, ns = f.metadata["kind"], f.metadata.get("ns") or own_ns
        if kind == "lijst":
            xml = f.metadata["item"]
            wrapper: str | None = f"{{{ns}}}{f.metadata['xml'] or f.name}"
        else:
            xml, wrapper = f.metadata["xml"] or f.name, None
        kind_type = _base_type(hints[f.name])
        out.append(_Field(f.name, xml, kind, kind_type, ns, f"{{{ns}}}{xml}", wrapper, _TO_TEXT.get(kind_type)))
    return tuple(out)


@_per_class
def _element_fields(cls: type) -> tuple[_Field, ...]:
    return tuple(f for f in _fields(cls) if f.kind not in ("text", "attr"))


@_per_class
def _match_names(cls: type) -> tuple[str, ...]:
    """The element name that announces each element field (the wrapper for a lijst)."""
    return tuple(f.wrapper_tag or f.tag for f in _element_fields(cls))


# --- writing ---------------------------------------------------------------------------------
# Text is built directly rather than through lxml elements: creating an lxml element costs about
# a microsecond, which made serialising the bottleneck of fixture generation.


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:  # a parser reads a literal CR as LF: only a character reference keeps it
        text = text.replace("\r", "&#13;")
    return text


def _escape_attr(text: str) -> str:
    # attribute values are normalised on reading: a literal tab or newline would come back as a space
    return _escape(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _open(out: list[str], pad: str, name: str, obj: Any, indent: str, ns: str, parent_ns: str) -> None:
    """Write one model value as element ``name``: attributes, text, then children."""
    attrs = f' xmlns="{ns}"' if ns != parent_ns else ""
    text, children = None, len(out)
    for f in _fields(type(obj)):
        value = getattr(obj, f.name)
        if value is None or value == ():
            continue
        kind = f.kind
        if kind == "attr":
            attrs += f' {f.xml}="{_escape_attr(f.to_text(value))}"'
        elif kind == "text":
            text = _escape(f.to_text(value))
        elif kind == "groups":
            for group in value:
                _write_fields(out, group, pad + indent, indent, ns)
        else:
            _write_field(out, f, value, pad + indent, indent, ns)
    if text is not None:
        out.insert(children, f"{pad}<{name}{attrs}>{text}</{name}>")
    elif len(out) == children:
        out.append(f"{pad}<{name}{attrs}/>")
    else:
        out.insert(children, f"{pad}<{name}{attrs}>")
        out.append(f"{pad}</{name}>")


def _write_field(out: list[str], f: _Field, value: Any, pad: str, indent: str, parent_ns: str) -> None:
    name, to_text, ns = f.xml, f.to_text, f.ns
    declare = f' xmlns="{ns}"' if ns != parent_ns else ""
    items = value if f.kind != "one" else (value,)
    inner = pad
    if f.kind == "lijst":
        wrapper = typing.cast(str, f.wrapper_tag).rpartition("}")[2]
        out.append(f"{pad}<{wrapper}{declare}>")
        inner, declare = pad + indent, ""
    for item in items:
        if to_text is None:
            _open(out, inner, name, item, indent, ns, ns if not declare else parent_ns)
        elif f.type is XmlFragment:
            out.append(f"{inner}{item}")  # a whole element, with its own namespace declaration
        else:
            out.append(f"{inner}<{name}{declare}>{_escape(to_text(item))}</{name}>")
    if f.kind == "lijst":
        out.append(f"{pad}</{wrapper}>")


def _write_fields(out: list[str], obj: Any, pad: str, indent: str, parent_ns: str) -> None:
    for f in _fields(type(obj)):
        value = getattr(obj, f.name)
        if value is not None and value != ():
            _write_field(out, f, value, pad, indent, parent_ns)


def to_text(obj: Any, name: str, *, pretty: bool = True) -> str:
    """Any model value as the XML text of an element ``name`` in its class's namespace."""
    out: list[str] = []
    _open(out, "\n" if pretty else "", name, obj, "  " if pretty else "", namespace_of(type(obj)), "")
    return "".join(out).lstrip("\n")


def to_element(obj: Any, name: str) -> etree._Element:
    """Any model value as an lxml element ``name`` in its class's namespace, built as a tree: lxml escapes
    every text, and an XmlFragment goes in as the one element it parses to, so nothing can be injected.
    What every SOAP message is made of; :func:`to_text` is the fast path for whole dossiers."""
    return _element(obj, name, namespace_of(type(obj)), None)


def _element(obj: Any, name: str, ns: str, parent: etree._Element | None) -> etree._Element:
    tag, nsmap = f"{{{ns}}}{name}", None if parent is not None and _default_ns(parent) == ns else {None: ns}
    element = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag, nsmap=nsmap)
    for f in _fields(type(obj)):
        value = getattr(obj, f.name)
        if value is None or value == ():
            continue
        if f.kind == "attr":
            element.set(f.xml, f.to_text(value))
        elif f.kind == "text":
            element.text = f.to_text(value)
        elif f.kind == "groups":
            for group in value:
                for g in _fields(type(group)):
                    if getattr(group, g.name) not in (None, ()):
                        _append(element, g, getattr(group, g.name))
        else:
            _append(element, f, value)
    return element


def _default_ns(element: etree._Element) -> str | None:
    return element.nsmap.get(None)


def _append(parent: etree._Element, f: _Field, value: Any) -> None:
    items = value if f.kind != "one" else (value,)
    if f.kind == "lijst":
        wrapper = typing.cast(str, f.wrapper_tag)
        parent = etree.SubElement(parent, wrapper, nsmap=None if _default_ns(parent) == f.ns else {None: f.ns})
    for item in items:
        if f.to_text is None:
            _element(item, f.xml, f.ns, parent)
        elif f.type is XmlFragment:
            parent.append(fragment_element(item))
        else:
            nsmap = None if _default_ns(parent) == f.ns else {None: f.ns}
            etree.SubElement(parent, f.tag, nsmap=nsmap).text = f.to_text(item)


def fragment_element(fragment: str) -> etree._Element:
    """An XmlFragment as the element it is, through the hardened parser: ValueError unless it is exactly one
    well-formed element without a DOCTYPE (so it can neither break nor add to the message around it)."""
    try:
        return parse(fragment.encode())
    except XmlError as exc:
        raise ValueError(f"not one well-formed XML element: {exc}") from None


def encode(dossier: model.Dossier, *, pretty: bool = True) -> bytes:
    """A dossier as a UTF-8 XML document."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + to_text(dossier, "dossier", pretty=pretty) + "\n").encode()


# --- reading ---------------------------------------------------------------------------------


def _scalar(kind: type, element: etree._Element) -> Any:
    raw = element.text or ""
    try:
        if kind is str:
            return raw
        value = raw.strip()
        if kind is bool:
            if value not in ("true", "false", "1", "0"):
                raise ValueError(f"{value!r} is not a boolean")
            return value in ("true", "1")
        if kind is int:
            return int(value)
        if kind is Decimal:
            return Decimal(value)
        if kind is datetime:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=DUTCH_TIME)
        return date.fromisoformat(value)
    except (ValueError, InvalidOperation) as exc:
        name = etree.QName(element).localname
        raise CodecError(f"<{name}>: {exc}", element.sourceline or 0) from None


def _read_value(kind: type, element: etree._Element) -> Any:
    if kind is XmlFragment:
        standalone = copy.deepcopy(element)  # a root of its own: drop the envelope's namespaces
        etree.cleanup_namespaces(standalone)
        return XmlFragment(etree.tostring(standalone, encoding=str, with_tail=False))
    if kind in _SCALARS:
        return _scalar(kind, element)
    return _read_object(kind, element)


def _consume(cls: type, children: list[etree._Element], start: int, values: dict[str, Any]) -> int:
    """Read children[start:] into ``values`` in schema order; return where reading stopped."""
    fields = _element_fields(cls)
    names = _match_names(cls)
    pos = 0
    i = start
    while i < len(children):
        child = children[i]
        try:
            j = names.index(child.tag, pos)
        except ValueError:
            return i
        f = fields[j]
        if f.kind == "one":
            values[f.name] = _read_value(f.type, child)
            pos = j + 1
        elif f.kind == "many":
            values.setdefault(f.name, []).append(_read_value(f.type, child))
            pos = j
        else:  # lijst
            values[f.name] = tuple(_read_item(f, item) for item in _children(child))
            pos = j + 1
        i += 1
    return i


def _read_item(f: _Field, item: etree._Element) -> Any:
    if item.tag != f.tag:
        raise CodecError(f"unexpected <{etree.QName(item).localname}> in a list of <{f.xml}>", item.sourceline or 0)
    return _read_value(f.type, item)


def _read_groups(f: _Field, children: list[etree._Element]) -> tuple[tuple[Any, ...], int]:
    """Repeated inline groups (a class whose only element field is ``groups()``)."""
    groups: list[Any] = []
    i = 0
    while i < len(children):
        values: dict[str, Any] = {}
        nxt = _consume(f.type, children, i, values)
        if nxt == i:
            break
        groups.append(_construct(f.type, values, children[i]))
        i = nxt
    return tuple(groups), i


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _construct(cls: type[T], values: dict[str, Any], element: etree._Element) -> T:
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    try:
        return cls(**values)
    except TypeError as exc:
        missing = str(exc).split("argument", 1)[-1].strip(": ")
        name = etree.QName(element).localname
        raise CodecError(f"<{name}> lacks required {missing}", element.sourceline or 0) from None


def _read_object(cls: type[T], element: etree._Element) -> T:
    values: dict[str, Any] = {}
    for f in _fields(cls):
        if f.kind == "text":
            values[f.name] = _scalar(f.type, element)
        elif f.kind == "attr" and element.get(f.xml) is not None:
            values[f.name] = element.get(f.xml)
    children = _children(element)
    fields = _element_fields(cls)
    if fields and fields[0].kind == "groups":
        values[fields[0].name], stop = _read_groups(fields[0], children)
    else:
        stop = _consume(cls, children, 0, values)
    if stop < len(children):
        extra = children[stop]
        raise CodecError(
            f"unexpected <{etree.QName(extra).localname}> in <{etree.QName(element).localname}>",
            extra.sourceline or 0,
        )
    return _construct(cls, values, element)


def from_element(element: etree._Element, cls: type[T]) -> T:
    """Read a model value of type ``cls`` from an element (already parsed and trusted)."""
    return _read_object(cls, element)


def decode(data: bytes | etree._Element) -> model.Dossier:
    """A dossier from XML bytes (parsed through the hardened parser) or a parsed root element."""
    root = parse(data) if isinstance(data, bytes) else data
    if root.tag != _PREFIX + "dossier":
        raise CodecError(
            f"root element is {etree.QName(root).text}, expected {{{DOSSIER}}}dossier", root.sourceline or 0
        )
    return _read_object(model.Dossier, root)
