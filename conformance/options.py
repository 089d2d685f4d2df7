"""The options of a conformance run, declared once.

``osokit conformance run``'s flags, the pytest plugin's ``--oso-*`` options, the arguments a run
hands to pytest and the re-run line under each failed check are all made from :class:`RunOptions`:
a new option is one field here. Values are parsed once, at the edge (argparse ``type`` functions),
into typed values: a :class:`Target`, :class:`~oso.profiles.Role` and
:class:`~oso.profiles.TransferKind` tuples, seconds.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oso.profiles import DEFAULT_TRANSFERS, Role, TransferKind, kinds_in
from reports.i18n import LANGUAGES

REFERENCE = "reference"
MUTANT = "mutant:"
DEFAULT_TIMEOUT = 30.0  # seconds one call to the LAS's control API may take
DEFAULT_DEADLINE = 1800.0  # seconds a whole run may take


@dataclass(frozen=True)
class Target:
    """The LAS under test: the built-in reference LAS, a built-in mutant, or the URL of a vendor's control API."""

    mutant: str | None = None
    url: str | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        if text == REFERENCE:
            return cls()
        if text.startswith(MUTANT):
            if not text.removeprefix(MUTANT):
                raise ValueError("mutant:<name> needs a name (`osokit conformance mutants --list` lists them)")
            return cls(mutant=text.removeprefix(MUTANT))
        if text.startswith(("http://", "https://")) and urlsplit(text).hostname:
            return cls(url=text)
        raise ValueError(
            f"{text!r}: use reference, mutant:<name>, or the http(s) URL of the LAS's control API "
            "(conformance/control-api.yaml)"
        )

    @property
    def hosted(self) -> bool:
        """The LAS runs inside the suite's simulator (the reference or a mutant), not at a vendor's URL."""
        return self.url is None

    def __str__(self) -> str:
        return self.url or (MUTANT + self.mutant if self.mutant else REFERENCE)


class Prepare(StrEnum):
    """How the suite gives the LAS its pupils as bron."""

    EXPORT = "export"  # pupil data (POST /control/pupils): the LAS's own export makes the dossiers checked
    PASSTHROUGH = "passthrough"  # dossier XML (POST /control/dossiers): the LAS only serves it; export untested


def parse_prepare(text: str) -> Prepare:
    try:
        return Prepare(text)
    except ValueError:
        raise ValueError(f"{text!r}: choose export or passthrough") from None


def parse_lang(text: str) -> str:
    if text not in LANGUAGES:
        raise ValueError(f"{text!r}: choose {' or '.join(LANGUAGES)}")
    return text


def parse_roles(text: str) -> tuple[Role, ...]:
    if text == "both":
        return tuple(Role)
    try:
        return (Role(text),)
    except ValueError:
        raise ValueError(f"{text!r}: choose doel, bron or both") from None


def show_roles(roles: tuple[Role, ...]) -> str:
    return "both" if set(roles) == set(Role) else ",".join(roles)


def parse_transfers(text: str) -> tuple[TransferKind, ...]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in set(TransferKind)]
    if unknown or not chosen:
        raise ValueError(f"{text!r}: choose from {','.join(TransferKind)} (comma-separated)")
    return tuple(TransferKind(x) for x in dict.fromkeys(chosen))


def parse_tls(text: str) -> bool | None:
    try:
        return {"auto": None, "on": True, "off": False}[text]
    except KeyError:
        raise ValueError(f"{text!r}: choose auto, on or off") from None


def show_tls(tls: bool | None) -> str:
    return {None: "auto", True: "on", False: "off"}[tls]


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{text!r}: give a number of seconds greater than 0")
    return seconds


def show_seconds(seconds: float) -> str:
    return f"{seconds:g}"


def parse_port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"{text!r}: give a port, 1..65535 (or 0: a free one)")
    return int(text)


@dataclass(frozen=True)
class Flag:
    """How one run option is spelled: ``--NAME`` for osokit, ``--oso-NAME`` for pytest, and on the re-run line."""

    name: str
    help: str
    parse: Callable[[str], Any] | None = None  # text -> value; None: a plain string (or a switch)
    show: Callable[[Any], str] = str  # value -> text, for pytest's arguments and the re-run line
    metavar: str | None = None
    switch: bool = False  # present or not (store_true)
    repeat: bool = False  # may be given more than once
    cli: bool = True  # an ``osokit conformance run`` flag
    pytest: bool = True  # a ``--oso-*`` option of the plugin
    rerun: str = "changed"  # on the re-run line: always, changed (when not the default), never


def _option(default: Any, flag: Flag) -> Any:
    return field(default=default, metadata={"flag": flag})


@dataclass(frozen=True)
class RunOptions:
    """One conformance run as asked for: what to test, how, and how long it may take."""

    target: Target = _option(
        Target(),
        Flag(
            "target",
            "reference (default), mutant:<name>, or the URL of the LAS's control API (conformance/control-api.yaml)",
            Target.parse,
            metavar="TARGET",
            rerun="always",
        ),
    )
    roles: tuple[Role, ...] = _option(
        tuple(Role),
        Flag("role", "the role(s) to check (default both)", parse_roles, show_roles, "doel|bron|both", rerun="always"),
    )
    transfers: tuple[TransferKind, ...] = _option(
        DEFAULT_TRANSFERS,
        Flag(
            "transfer",
            "transfer kinds, comma-separated (default popo,povo,vovo; binnenbrin, poswv and voswv are "
            "certified in the bron role only)",
            parse_transfers,
            ",".join,
            "KINDS",
            rerun="always",
        ),
    )
    prepare: Prepare = _option(
        Prepare.EXPORT,
        Flag(
            "prepare",
            "how the LAS gets its pupils as bron: export (default) gives it pupil data and tests its own export; "
            "passthrough hands it dossier XML to store and serve (its export is then not tested)",
            parse_prepare,
            metavar="export|passthrough",
        ),
    )
    adapter: str | None = _option(
        None, Flag("adapter", "http (default), manual:VENDOR.json, or package.module:Class", metavar="SPEC")
    )
    seed: int = _option(
        0, Flag("seed", "seed of the dossiers the suite prepares (default 0)", int, metavar="S", rerun="always")
    )
    out: Path = _option(
        Path("out/conformance"),
        Flag(
            "out",
            "where results.json, junit.xml and report.html go (default out/conformance)",
            Path,
            metavar="DIR",
            pytest=False,
            rerun="never",
        ),
    )
    only: tuple[str, ...] = _option(
        (),
        Flag(
            "only",
            "run this check alone (its id as the report gives it, e.g. "
            "test_bron.py::test_dossier_verzameldatum_is_honoured); repeatable",
            metavar="CHECK",
            repeat=True,
            pytest=False,
            rerun="never",
        ),
    )
    tls: bool | None = _option(
        None,
        Flag(
            "tls",
            "mutual TLS between the parties (auto, the default: on for reference and mutants, off for a URL; "
            "on with a URL needs --pki-dir)",
            parse_tls,
            show_tls,
            "auto|on|off",
        ),
    )
    pki_dir: Path | None = _option(
        None,
        Flag(
            "pki-dir",
            "the test PKI (osokit pki init --dir DIR --vendor ID) whose certificates the LAS at a URL uses: "
            "needed with --tls on for a URL target (default: a throw-away one, for reference and mutants)",
            Path,
            metavar="DIR",
        ),
    )
    control_token_file: Path | None = _option(
        None,
        Flag(
            "control-token-file",
            "a file holding the token the LAS's control API asks for, sent on every control call as "
            "Authorization: Bearer <token> (e.g. the admin token of `osokit serve --vut ... --tls`)",
            Path,
            metavar="FILE",
        ),
    )
    lang: str = _option(
        "en",
        Flag(
            "lang",
            "the language of report.html: en (default) or nl",
            parse_lang,
            metavar="en|nl",
            pytest=False,
            rerun="never",
        ),
    )
    show_pgn: bool = _option(False, Flag("show-pgn", "keep pupil numbers in clear in the evidence", switch=True))
    timeout: float = _option(
        DEFAULT_TIMEOUT,
        Flag(
            "timeout",
            f"seconds one call to the LAS's control API may take (default {DEFAULT_TIMEOUT:g}); "
            "a call that takes longer is an error of that check",
            parse_seconds,
            show_seconds,
            "SECONDS",
        ),
    )
    deadline: float = _option(
        DEFAULT_DEADLINE,
        Flag(
            "deadline",
            f"seconds the whole run may take (default {DEFAULT_DEADLINE:g}); checks not started by then are "
            "reported as not tested",
            parse_seconds,
            show_seconds,
            "SECONDS",
        ),
    )
    port: int = _option(
        0,
        Flag(
            "port",
            "the port of the run's simulator, its Traffic Center and schools (default 0: a free one), for a "
            "LAS that must reach them through a firewall",
            parse_port,
            metavar="P",
            rerun="never",
        ),
    )
    keep: bool = _option(
        False,
        Flag(
            "keep",
            "keep the run's simulator data and test keys (the folder is printed) instead of removing them",
            switch=True,
            rerun="never",
        ),
    )
    command: str | None = _option(
        None, Flag("command", "the osokit command that started the run (set by osokit)", cli=False, rerun="never")
    )

    def unfit(self) -> str | None:
        """Why these roles and transfer kinds make no run (a role with none of its kinds), or None."""
        for role in self.roles:
            if not kinds_in(role, self.transfers):
                only = ",".join(t for t in self.transfers if role not in t.roles)
                return (
                    f"--transfer {only}: certified in the bron role only; the {role} role needs one of "
                    f"{','.join(t for t in TransferKind if role in t.roles)} (or run with --role bron)"
                )
        return None

    @property
    def secure(self) -> bool:
        """Mutual TLS between the parties: as asked, or by default for hosted targets (as in production)."""
        return self.target.hosted if self.tls is None else self.tls

    # --- the three places options are spelled -----------------------------------------------------

    @classmethod
    def add_arguments(cls, add: Callable[..., Any], *, pytest: bool = False) -> None:
        """Declare the options with ``add`` (argparse's ``add_argument`` or pytest's ``addoption``)."""
        for f, flag in _flags(pytest):
            kwargs: dict[str, Any] = {"dest": _dest(f.name, pytest), "help": flag.help}
            if flag.switch:
                kwargs["action"] = "store_true"
            else:
                kwargs["default"] = None if flag.repeat else f.default
                kwargs["metavar"] = flag.metavar
                if flag.parse is not None:
                    kwargs["type"] = _argparse_type(flag.parse, flag.name)
                if flag.repeat:
                    kwargs["action"] = "append"
            add(f"--{'oso-' if pytest else ''}{flag.name}", **kwargs)

    @classmethod
    def from_values(cls, get: Callable[[str], Any], *, pytest: bool = False) -> RunOptions:
        """The options from parsed arguments: ``get(dest)`` is ``getattr(namespace, dest)`` or ``config.getoption``."""
        values: dict[str, Any] = {}
        for f, flag in _flags(pytest):
            value = get(_dest(f.name, pytest))
            values[f.name] = tuple(value or ()) if flag.repeat else value
        return cls(**values)

    def pytest_args(self) -> list[str]:
        """The ``--oso-*`` arguments that make the plugin run with these options (defaults left out)."""
        return [arg for f, flag in _flags(pytest=True) for arg in self._spelled(f, flag, "--oso-")]

    def rerun(self, check: str) -> str:
        """The osokit command that re-runs exactly ``check`` against the same target with the same seed."""
        parts = ["osokit", "conformance", "run"]
        for f, flag in _flags(pytest=False):
            if flag.rerun == "always" or flag.rerun == "changed" and getattr(self, f.name) != f.default:
                parts += self._spelled(f, flag, "--", always=True)
        return shlex.join([*parts, "--only", check, "--out", "out/rerun"])

    def _spelled(self, f: Any, flag: Flag, prefix: str, *, always: bool = False) -> list[str]:
        value = getattr(self, f.name)
        if flag.switch:
            return [prefix + flag.name] if value else []
        if value is None or (value == f.default and not always):
            return []
        values = value if flag.repeat else (value,)
        return [arg for v in values for arg in (prefix + flag.name, flag.show(v))]


def _flags(pytest: bool) -> list[tuple[Any, Flag]]:
    found = [(f, f.metadata["flag"]) for f in fields(RunOptions)]
    return [(f, flag) for f, flag in found if (flag.pytest if pytest else flag.cli)]


def _dest(name: str, pytest: bool) -> str:
    return f"oso_{name}" if pytest else name


def _argparse_type(parse: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """``parse`` with its ValueError as argparse's one-line "argument --NAME: ..." message."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert
