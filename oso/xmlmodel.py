"""Declaring XML-shaped values: frozen dataclasses whose fields say how they sit in XML.

A class decorated with :func:`model` belongs to an XML namespace; its fields appear in schema
order and carry the element names, so :mod:`oso.codec` reads and writes any such class without
per-class code. Field helpers:

* ``req()`` / ``opt()``: one element (required / optional);
* ``many()``: a repeated element directly under the parent;
* ``lijst(item)``: a wrapper element named after the field holding repeated ``item`` elements
  (``adreslijst`` of ``adres``); omitted when empty;
* ``groups()``: repeated groups written inline (the report-card ``cijferlijstTypelijst``);
* ``text()`` / ``attr()``: simple content and an attribute (``land omschrijving="..."``).

``xml=`` gives the element name where it is not a Python name; ``ns=`` puts one element in
another namespace (a transport message carrying a dossier).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, dataclass_transform, overload

from oso.namespaces import DOSSIER

T = TypeVar("T")


class XmlFragment(str):
    """An XML element kept as text (no declaration), read back as text.

    Used where a message carries a document that is stored and checked as a whole, such as the
    dossier in a documentResponse, so it is not decoded into the model and re-encoded on every hop.
    Written into a message as the one element it parses to (:func:`oso.codec.fragment_element`),
    never pasted: text that is not exactly one well-formed element is refused.
    """


def _meta(kind: str, xml: str | None = None, item: str | None = None, ns: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "xml": xml, "item": item, "ns": ns}


def req(*, xml: str | None = None, ns: str | None = None) -> Any:
    return field(metadata=_meta("one", xml, ns=ns))


def opt(*, xml: str | None = None, ns: str | None = None) -> Any:
    return field(default=None, metadata=_meta("one", xml, ns=ns))


def many(*, xml: str | None = None) -> Any:
    return field(default=(), metadata=_meta("many", xml))


def lijst(item: str, *, xml: str | None = None) -> Any:
    return field(default=(), metadata=_meta("lijst", xml, item=item))


def groups() -> Any:
    return field(default=(), metadata=_meta("groups"))


def text() -> Any:
    return field(metadata=_meta("text"))


def attr() -> Any:
    return field(default=None, metadata=_meta("attr"))


@overload
def model(cls: type[T], *, namespace: str = DOSSIER) -> type[T]: ...
@overload
def model(*, namespace: str = DOSSIER) -> Callable[[type[T]], type[T]]: ...


# For type checkers: only req() and text() are field specifiers, so they see those fields as required;
# opt(), many(), lijst(), groups() and attr() then read as what they are, a default value.
@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(req, text))
def model(cls: type[T] | None = None, *, namespace: str = DOSSIER) -> type[T] | Callable[[type[T]], type[T]]:
    """Make ``cls`` a frozen keyword-only dataclass living in XML ``namespace``."""

    def wrap(c: type[T]) -> type[T]:
        made = dataclass(frozen=True, kw_only=True, slots=True)(c)
        made.__xml_namespace__ = namespace  # type: ignore[attr-defined]
        return made

    return wrap(cls) if cls is not None else wrap


def namespace_of(cls: type) -> str:
    return getattr(cls, "__xml_namespace__", DOSSIER)


def edit(obj: T, path: str = "", **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` applied at a dotted path.

    ``edit(d, "huidigeschool.leerling", bsn=None)`` replaces the pupil's BSN in dossier ``d``.
    """
    if not path:
        return replace(obj, **changes)  # type: ignore[type-var]
    head, _, rest = path.partition(".")
    return replace(obj, **{head: edit(getattr(obj, head), rest, **changes)})  # type: ignore[type-var]
