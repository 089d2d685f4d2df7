"""The zoeksleutel: how a pupil number (PGN) travels without ever being in clear.

The public OSO record says the zoeksleutel is the encrypted BSN or onderwijsnummer but not how it is
made, so osokit chooses, documents and makes it pluggable:

* ``hmac-sha256`` (default): base64 of HMAC-SHA256 over the PGN with a key per simulator instance.
  It is deterministic, so the TC compares zoeksleutels as strings and a bron finds its pupil by
  computing the zoeksleutel of each pupil it holds; it cannot be turned back into the PGN.
* ``plain``: ``plain:<PGN>``, for debugging only. It puts the PGN on the wire; conformance checks
  flag it, and the simulator only accepts it when started with it.

A scheme is any object with ``name``, ``zoeksleutel(pgn)`` and ``pgnfrag(pgn)``; register more in
:data:`SCHEMES`. The OSO'22 ``pgnfrag`` is taken as the last four digits of the PGN (the public
example shows four digits; its definition is not public).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Protocol

from oso.identifiers import pupil_number_kind

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


class Scheme(Protocol):
    @property
    def name(self) -> str: ...  # read-only: the schemes are frozen dataclasses

    def zoeksleutel(self, pgn: str) -> str: ...

    def pgnfrag(self, pgn: str) -> str: ...


@dataclass(frozen=True)
class HmacScheme:
    key: bytes
    name: str = "hmac-sha256"

    def zoeksleutel(self, pgn: str) -> str:
        digest = hmac.new(self.key, b"osokit-zoeksleutel/" + pgn.encode("ascii"), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def pgnfrag(self, pgn: str) -> str:
        return pgn[-4:]


@dataclass(frozen=True)
class PlainScheme:
    name: str = "plain"

    def zoeksleutel(self, pgn: str) -> str:
        return f"plain:{pgn}"

    def pgnfrag(self, pgn: str) -> str:
        return pgn[-4:]


SCHEMES = {"hmac-sha256": HmacScheme, "plain": PlainScheme}


def make(name: str, key: bytes) -> Scheme:
    if name == "plain":
        return PlainScheme()
    if name == "hmac-sha256":
        return HmacScheme(key)
    raise ValueError(f"unknown zoeksleutel scheme '{name}' (known: {', '.join(SCHEMES)})")


def pgns_in_clear(text: str) -> list[str]:
    """Nine-digit numbers in ``text`` that are valid BSNs or onderwijsnummers: a PGN in clear."""
    return [m for m in _NINE_DIGITS.findall(text) if pupil_number_kind(m) is not None]
