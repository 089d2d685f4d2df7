"""OSO identifiers: pupil numbers (BSN, onderwijsnummer), BRIN, vestigingscode, routeringskenmerk.

Also the one documented synthetic block osokit draws pupil numbers from, so that no fixture can
ever carry a number that belongs to a real person by construction:

* BSNs: nine digits starting ``99`` (990 000 000 - 999 999 999) that pass the 11-proef.
* Onderwijsnummers: nine digits starting ``109`` that pass the onderwijsnummer check.

Both blocks are enumerated by index (``synthetic_bsn(i)``), which makes a cohort of N pupils
unique by construction and lets the same index always give the same number.
"""

from __future__ import annotations

import re
from enum import StrEnum

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)

BSN_BLOCK_PREFIX = "99"
ONDERWIJSNUMMER_BLOCK_PREFIX = "109"
# How many distinct numbers each block yields through synthetic_bsn / synthetic_onderwijsnummer.
BSN_BLOCK_SIZE = 9 * 10**5
ONDERWIJSNUMMER_BLOCK_SIZE = 9 * 10**4

_BRIN = re.compile(r"[0-9]{2}[A-Z]{2}")
_VESTIGING = re.compile(r"[0-9]{2}")
_ROUTERINGSKENMERK = re.compile(r"[0-9A-Z]{20}")


class PupilNumberKind(StrEnum):
    """Which kind of persoonsgebonden nummer (PGN) a pupil carries."""

    BSN = "bsn"
    ONDERWIJSNUMMER = "onderwijsnummer"


def _weighted_sum(digits: str) -> int:
    return sum(w * int(d) for w, d in zip(_WEIGHTS, digits[:8], strict=True))


def is_valid_bsn(value: str) -> bool:
    """The BSN 11-proef: (9*d1 + 8*d2 + ... + 2*d8 - d9) mod 11 == 0."""
    if len(value) != 9 or not value.isascii() or not value.isdigit() or value == "000000000":
        return False
    return (_weighted_sum(value) - int(value[8])) % 11 == 0


def is_valid_onderwijsnummer(value: str) -> bool:
    """Onderwijsnummer: starts with 1 and (weighted sum - d9) mod 11 == 5."""
    if len(value) != 9 or not value.isascii() or not value.isdigit() or value[0] != "1":
        return False
    return (_weighted_sum(value) - int(value[8])) % 11 == 5


def pupil_number_kind(value: str) -> PupilNumberKind | None:
    """Classify a PGN; None when it is neither a valid BSN nor a valid onderwijsnummer."""
    if is_valid_bsn(value):
        return PupilNumberKind.BSN
    if is_valid_onderwijsnummer(value):
        return PupilNumberKind.ONDERWIJSNUMMER
    return None


def is_valid_brin(value: str) -> bool:
    return bool(_BRIN.fullmatch(value))


def is_valid_vestigingscode(value: str) -> bool:
    return bool(_VESTIGING.fullmatch(value))


def is_valid_routeringskenmerk(value: str) -> bool:
    return bool(_ROUTERINGSKENMERK.fullmatch(value))


def _nth_in_block(prefix: str, index: int, remainder: int) -> str:
    """The index-th number of the block: prefix + free digits + d8 + d9 with the check holding.

    For fixed leading digits, stepping d8 through 0..9 moves the weighted sum by 2 each time, so at
    most one of the ten values gives an impossible check digit (10): nine always remain. Taking the
    (index % 9)-th usable d8 makes the mapping index -> number injective and cheap.
    """
    free = 8 - len(prefix) - 1
    head, pick = divmod(index, 9)
    if not 0 <= head < 10**free:
        raise ValueError(f"index {index} is outside the synthetic block {prefix}*")
    stem = f"{prefix}{head:0{free}d}"
    base = _weighted_sum(stem + "0")  # d8 carries weight 2: each step of d8 adds 2
    usable = 0
    for d8 in range(10):
        d9 = (base + 2 * d8 - remainder) % 11
        if d9 == 10:
            continue
        if usable == pick:
            return f"{stem}{d8}{d9}"
        usable += 1
    raise AssertionError("unreachable: nine usable check digits per stem")


def synthetic_bsn(index: int) -> str:
    """The index-th BSN of osokit's synthetic block (0 <= index < BSN_BLOCK_SIZE)."""
    return _nth_in_block(BSN_BLOCK_PREFIX, index, 0)


def synthetic_onderwijsnummer(index: int) -> str:
    """The index-th onderwijsnummer of osokit's synthetic block."""
    return _nth_in_block(ONDERWIJSNUMMER_BLOCK_PREFIX, index, 5)


def in_synthetic_block(value: str) -> bool:
    """True when a PGN is a valid number from osokit's documented synthetic blocks."""
    if value.startswith(ONDERWIJSNUMMER_BLOCK_PREFIX):
        return is_valid_onderwijsnummer(value)
    return value.startswith(BSN_BLOCK_PREFIX) and is_valid_bsn(value)


def mask_pgn(value: str) -> str:
    """Mask a PGN for logs and reports: keep the last two digits only."""
    return "*" * max(len(value) - 2, 0) + value[-2:]
