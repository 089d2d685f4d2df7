"""Hypothesis strategies for the fuzz tests of the codec and the rules: any value of any model class
(built from the field declarations, as the codec reads them), and mutations of generated dossiers."""

from __future__ import annotations

import copy
import dataclasses
import sys
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from fixtures.cohort import generate
from fixtures.generator import Size
from oso import codec
from oso.identifiers import synthetic_bsn
from oso.profiles import Profile, Uitlevering
from oso.xmlmodel import XmlFragment, namespace_of

# Characters XML 1.0 can carry as text. A CR is legal but the parser turns CR and CRLF into LF, so the codec
# must write it as a character reference to keep it.
_XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r")
TEXT = st.text(_XML_CHARS, max_size=12)
# A model's date-time is always aware: one read without a timezone is Dutch time (test_codec checks it).
OFFSETS = st.just(UTC) | st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
SCALARS: dict[type, st.SearchStrategy[Any]] = {
    str: TEXT,
    bool: st.booleans(),
    int: st.integers(-(10**12), 10**12),
    Decimal: st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
    date: st.dates(),
    datetime: st.datetimes(timezones=OFFSETS),
}


def _base(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is tuple:
        hint = typing.get_args(hint)[0]
    return hint


def _fragment(name: str, ns: str) -> st.SearchStrategy[XmlFragment]:
    """A whole element as the codec embeds it (named as the field, in the field's namespace), written as
    lxml writes it: a fragment is kept as XML, so only its serialisation is compared, not its spelling."""

    def element(text: str) -> XmlFragment:
        made = etree.Element(f"{{{ns}}}{name}", nsmap={None: ns})
        made.text = text or None
        return XmlFragment(etree.tostring(made, encoding=str))

    return TEXT.map(element)


@cache
def models(cls: type) -> st.SearchStrategy[Any]:
    """Any value of model class ``cls``: required fields always, optional ones sometimes, lists of 0-2."""
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in dataclasses.fields(cls):
        kind, kind_type = f.metadata["kind"], _base(hints[f.name])
        if kind_type is XmlFragment:
            value = _fragment(f.metadata["xml"] or f.name, f.metadata.get("ns") or namespace_of(cls))
        elif kind_type in SCALARS:
            value = SCALARS[kind_type]
        else:
            value = st.deferred(lambda t=kind_type: models(t))
        if kind in ("many", "lijst", "groups"):
            fields[f.name] = st.lists(value, max_size=2).map(tuple)
        elif f.default is None:  # opt() and attr()
            fields[f.name] = st.none() | value
        else:
            fields[f.name] = value
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


# --- mutations of generated dossiers -------------------------------------------------------------


@cache
def base_dossiers() -> tuple[bytes, ...]:
    return tuple(
        codec.encode(next(iter(generate(profile, 1, seed=3, size=size, start=index))).dossier)
        for index, (profile, size) in enumerate((p, s) for p in Profile for s in Size)
    )


OPERATIONS = ("delete", "duplicate", "move", "text", "rename", "insert", "attribute", "empty")
# Values that change what the rules decide (kind, overstap type, declared categories) or that a rule checks.
VOCABULARY = st.sampled_from(
    [u.value for u in Uitlevering]
    + ["POVO", "POPO", "VOVO", "overstapdossier", "overdrachtbinnenbrin", "swv-dossier", "true", "false", "1"]
    + ["2019-02-30", "2011-07-15", "1900-01-01", synthetic_bsn(5), "123456789", "9999999999", "geheim@geheim.geheim"]
)
mutation = st.tuples(st.sampled_from(OPERATIONS), st.floats(0, 1, exclude_max=True), st.floats(0, 1), TEXT | VOCABULARY)
mutated_dossiers = st.tuples(st.integers(0, 7), st.lists(mutation, min_size=1, max_size=6))


def mutate(data: bytes, mutations: list[tuple[str, float, float, str]]) -> etree._Element:
    """A generated dossier with elements deleted, copied, moved, renamed, emptied or given new text."""
    root = etree.fromstring(data)
    for op, where, other, text in mutations:
        elements = list(root.iter())[1:]
        if not elements:
            break
        target = elements[int(where * len(elements))]
        pick = elements[int(other * (len(elements) - 1))]
        parent = target.getparent()
        if op == "delete":
            parent.remove(target)
        elif op == "duplicate":
            target.addnext(copy.deepcopy(target))
        elif op == "move" and target not in pick.iterancestors() and target is not pick:
            pick.append(target)
        elif op == "text":
            target.text = text
        elif op == "rename":
            target.tag = pick.tag
        elif op == "insert":
            etree.SubElement(target, pick.tag).text = text
        elif op == "attribute":
            target.set("x", text)
        elif op == "empty":
            target[:] = []
            target.text = None
    return root
