"""How a check says what went wrong, in words a vendor can act on.

A check that finds a violation raises :class:`CheckFailed` (through :func:`expect` or :func:`fail`)
with what the rule asks (*expected*), what the LAS did (*found*), where it was seen, and the log ids
of the messages that show it; the report puts those words first and marks those messages in the
evidence. A check that cannot be judged with this LAS calls :func:`not_testable` with the reason
and what would make it testable; the verdict is then INCOMPLETE, never PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import pytest

from oso.errors import OsokitError


class CheckFailed(OsokitError, AssertionError):
    """A rule the LAS broke: expected vs found, where, and the messages (log ids) that show it."""

    def __init__(self, expected: str, found: str, where: str | None = None, messages: Iterable[int] = ()) -> None:
        self.expected, self.found, self.where = expected, found, where
        self.messages = tuple(messages)
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return f"expected {self.expected}; found {self.found}" + (f" (where: {self.where})" if self.where else "")


def fail(expected: str, found: str, *, where: str | None = None, messages: Iterable[int] = ()) -> NoReturn:
    raise CheckFailed(expected, found, where, messages)


def expect(ok: object, expected: str, found: str, *, where: str | None = None, messages: Iterable[int] = ()) -> None:
    """Fail the check unless ``ok``: the rule asks ``expected``, the LAS did ``found``."""
    if not ok:
        fail(expected, found, where=where, messages=messages)


class NotTestable(pytest.skip.Exception):  # type: ignore[name-defined]
    """This check cannot be judged with this LAS or adapter: why, and what would make it testable."""

    def __init__(self, reason: str, remedy: str) -> None:
        self.reason, self.remedy = reason, remedy
        super().__init__(reason)


def not_testable(reason: str, remedy: str) -> NoReturn:
    raise NotTestable(reason, remedy)
