"""Seeded fault injection: a profile of rules that slows, breaks, drops or repeats SOAP messages.

Vendors test their retries and timeouts against ``osokit serve --faults FILE``. The simulator asks
:meth:`FaultProfile.decide` about every message it handles and applies the :class:`Action` it gets;
this module only decides, it never sleeps or touches the network. Decisions are deterministic:
the same profile and the same sequence of calls give the same actions.

A profile is a TOML file (full reference with examples: ``docs/fault-profiles.md``)::

    name = "flaky-bron"                 # optional; defaults to the file name
    description = "..."                 # optional
    seed = 42                           # optional, default 0

    [[rule]]
    operation = "documentRequest"       # an OPERATIONS name, a list of them, or "*" (default)
    school = "90AA"                     # a BRIN, a routeringskenmerk, a list of them, or "*" (default)
    direction = "in"                    # "in" (default), "out" or "*"
    probability = 0.2                   # chance the rule fires for a matching message (default 1.0)
    latency = { distribution = "lognormal", median_ms = 80, p99_ms = 400 }
    fault = "TijdelijkNietBeschikbaar"  # outcome: a SOAP fault with this catalogue code (direction "in"),
    # http_status = 503                 #   or a bare HTTP error status (direction "in"),
    # drop = true                       #   or close the connection / lose the message
    # duplicate = true                  # direction "out" only: deliver twice
    # delay_ms = 2000                   # direction "out" only: deliver late (or delay = { distribution ... })

Distributions (all values in milliseconds): ``{ ms }`` (fixed, the default), ``{ distribution =
"uniform", min_ms, max_ms }``, ``{ distribution = "normal", mean_ms, sd_ms }`` and ``{ distribution =
"lognormal", median_ms, p99_ms }``. A single draw is capped at 60 s.

Semantics: every matching rule draws whether it fires. Latencies and delays of all fired rules add
up; the first fired rule in file order that has an outcome decides the outcome, so a later outcome
rule only gets the messages earlier ones left (its share is its probability times what is left).

Each (rule, operation, school, direction) has its own random stream, seeded from the profile seed
and those four values, so traffic on one school or operation never changes what another one sees.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from statistics import NormalDist
from typing import Any

from oso.errors import OsokitError, UserError
from oso.faults import CATALOGUE, OsoFault
from oso.identifiers import is_valid_brin, is_valid_routeringskenmerk

ANY = "*"
# The SOAP operations of the OSO transport (oso.transport.OPERATIONS), Traffic Center first.
TC_OPERATIONS = (
    "overdrachtRequest",
    "sessiecontroleRequest",
    "afmeldingRequest",
    "meldenNotificatieRequest",
    "meldenTerugkoppelingRequest",
    "overzichtAanleverpuntRequest",
)
AANLEVERPUNT_OPERATIONS = ("documentRequest", "notificatieRequest", "terugkoppelingRequest")
OPERATIONS = TC_OPERATIONS + AANLEVERPUNT_OPERATIONS

MAX_LATENCY_MS = 60_000  # one draw never exceeds a minute: longer is a hang, and `drop` says that better
SHIPPED_DIR = Path(__file__).parent / "faults"
_Z99 = NormalDist().inv_cdf(0.99)  # ≈ 2.3263: the 99th percentile of a standard normal


class FaultProfileError(UserError, ValueError):
    """A profile that cannot be used; the message names the file, the rule and the field."""


class Direction(StrEnum):
    IN = "in"  # messages the simulator receives (it answers them)
    OUT = "out"  # messages the simulator sends to a vendor's endpoint
    ANY = ANY  # rules only: both


# --- latency distributions ---------------------------------------------------------------------
# Each ``sample(rng)`` gives one draw in milliseconds, clipped to 0..MAX_LATENCY_MS.


def _capped(ms: float) -> float:
    return min(max(ms, 0.0), MAX_LATENCY_MS)


@dataclass(frozen=True)
class Fixed:
    ms: float

    def sample(self, rng: random.Random) -> float:
        return _capped(self.ms)


@dataclass(frozen=True)
class Uniform:
    min_ms: float
    max_ms: float

    def sample(self, rng: random.Random) -> float:
        return _capped(rng.uniform(self.min_ms, self.max_ms))


@dataclass(frozen=True)
class Normal:
    """Negative draws count as no latency."""

    mean_ms: float
    sd_ms: float

    def sample(self, rng: random.Random) -> float:
        return _capped(rng.normalvariate(self.mean_ms, self.sd_ms))


@dataclass(frozen=True)
class LogNormal:
    """Given as median and p99 because that is how latency SLOs are written."""

    median_ms: float
    p99_ms: float

    @property
    def mu(self) -> float:
        return math.log(self.median_ms)

    @property
    def sigma(self) -> float:
        return (math.log(self.p99_ms) - self.mu) / _Z99

    def sample(self, rng: random.Random) -> float:
        return _capped(rng.lognormvariate(self.mu, self.sigma))


Distribution = Fixed | Uniform | Normal | LogNormal
# distribution name -> (class, its parameters, parameters that may be 0)
_DISTRIBUTIONS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "fixed": (Fixed, ("ms",), ()),
    "uniform": (Uniform, ("min_ms", "max_ms"), ("min_ms",)),
    "normal": (Normal, ("mean_ms", "sd_ms"), ()),
    "lognormal": (LogNormal, ("median_ms", "p99_ms"), ()),
}


# --- rules and actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """What the simulator does to one message. Times are in seconds.

    ``latency``: wait this long before answering (in) or sending (out). ``fault``: answer with a SOAP
    fault of this catalogue code; ``http_status``: answer with a bare HTTP error; ``drop``: close the
    connection without an answer (in) or never deliver (out). ``duplicate``: deliver an outbound
    message twice, the copy right after the first; ``delay``: hold an outbound message back before
    sending (its own flow waits, others go on), so it may arrive after messages sent later.
    """

    latency: float = 0.0
    fault: str | None = None
    http_status: int | None = None
    drop: bool = False
    duplicate: bool = False
    delay: float = 0.0

    @property
    def nothing(self) -> bool:
        return self == _NOTHING


_NOTHING = Action()

# What the evidence log says the fault profile did to an exchange (its messages' ``injected``): answered
# with a fault, an HTTP error (``oso.exchange.HTTP_ERROR``), dropped it (``oso.exchange.DROPPED``), or
# sent it twice.
INJECTED_FAULT, DUPLICATE = "fault", "duplicate"


class InjectedFault(OsoFault):
    """A SOAP fault the fault profile answered with instead of the real answer: marked so in the evidence."""

    def __init__(self, code: str) -> None:
        super().__init__(code, "injected by the fault profile")


class WireAnswer(OsokitError):
    """Raised by a hosted LAS that answers no SOAP message at all (a faulty one: a mutant). The wire
    gets what ``action`` says, as from a fault profile: a bare HTTP status, or a dropped connection."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"no SOAP answer: {action}")
        self.action = action


@dataclass(frozen=True)
class Rule:
    """One ``[[rule]]``; ``FaultProfile.parse`` guarantees the combinations are valid."""

    operations: tuple[str, ...] = (ANY,)
    schools: tuple[str, ...] = (ANY,)
    direction: Direction = Direction.IN
    probability: float = 1.0
    latency: Distribution | None = None
    fault: str | None = None
    http_status: int | None = None
    drop: bool = False
    duplicate: bool = False
    delay: Distribution | None = None

    @property
    def has_outcome(self) -> bool:
        return self.fault is not None or self.http_status is not None or self.drop

    def matches(self, operation: str, schools: tuple[str, ...], direction: Direction) -> bool:
        return (
            self.direction in (Direction.ANY, direction)
            and (ANY in self.operations or operation in self.operations)
            and (ANY in self.schools or any(s in self.schools for s in schools))
        )


def school_keys(school: str | None) -> tuple[str, ...]:
    """The names a rule's ``school`` may match: the value itself and, for a routeringskenmerk, its BRIN.

    osokit's routeringskenmerken are ``<10-digit vendor number><BRIN><2-digit vestiging><4-digit
    endpoint>`` (``simulator.register.routeringskenmerk``), so characters 10..14 are the BRIN, and a
    rule for a school covers all of its aanleverpunten. None (school unknown) matches only ``"*"``.
    """
    if school is None:
        return ()
    if len(school) == 20 and is_valid_brin(school[10:14]):
        return (school, school[10:14])
    return (school,)


# --- the profile -------------------------------------------------------------------------------


class FaultProfile:
    """Parsed rules plus one random stream per (rule, operation, school, direction), made on first use.

    ``parse`` and ``load`` validate; the constructor trusts the rules it is given.
    """

    def __init__(
        self, rules: tuple[Rule, ...] = (), *, name: str = "none", description: str = "", seed: int = 0
    ) -> None:
        self.rules = tuple(rules)
        self.name = name
        self.description = description
        self.seed = seed
        self._streams: dict[tuple[int, str, str | None, Direction], random.Random] = {}

    def __repr__(self) -> str:
        return f"FaultProfile(name={self.name!r}, seed={self.seed}, rules={len(self.rules)})"

    @classmethod
    def none(cls) -> FaultProfile:
        return cls()

    @classmethod
    def load(cls, path: Path | str) -> FaultProfile:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FaultProfileError(f"{path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise FaultProfileError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); write TOML") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<string>") -> FaultProfile:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FaultProfileError(f"{source}: {exc}") from None
        _check_keys(data, {"name", "description", "seed", "rule"}, source)
        name = _string(data.get("name", Path(source).stem), source, "name")
        description = _string(data.get("description", ""), source, "description")
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise FaultProfileError(f"{source}: seed must be an integer, not {seed!r}")
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise FaultProfileError(f"{source}: rule must be an array of tables: write [[rule]]")
        rules = tuple(_rule(raw, f"{source}: rule {i}") for i, raw in enumerate(raw_rules, start=1))
        return cls(rules, name=name, description=description, seed=seed)

    def reset(self) -> None:
        """Start every stream again, as if the profile had just been loaded."""
        self._streams.clear()

    def _stream(self, index: int, operation: str, school: str | None, direction: Direction) -> random.Random:
        key = (index, operation, school, direction)
        rng = self._streams.get(key)
        if rng is None:
            # A string seed is hashed with SHA-512: stable across runs and PYTHONHASHSEED.
            rng = self._streams[key] = random.Random(f"{self.seed}|{index}|{operation}|{school}|{direction}")
        return rng

    def decide(self, operation: str, school: str | None, direction: str = "in") -> Action:
        """What to do with one message; ``school`` is the BRIN or routeringskenmerk it is attributed to.

        An operation outside OPERATIONS (say, an unknown body element) only matches ``"*"`` rules.
        """
        if direction not in (Direction.IN, Direction.OUT):
            raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")
        way = Direction(direction)
        keys = school_keys(school)
        latency_ms = delay_ms = 0.0  # summed in ms, turned into seconds once: 100 ms + 50 ms is 0.15 s exactly
        decider: Rule | None = None
        duplicate = False
        for index, rule in enumerate(self.rules):
            if not rule.matches(operation, keys, way):
                continue
            rng = self._stream(index, operation, school, way)
            if rng.random() >= rule.probability:  # one draw per matching message, fired or not
                continue
            if rule.latency is not None:
                latency_ms += rule.latency.sample(rng)
            if rule.delay is not None:
                delay_ms += rule.delay.sample(rng)
            duplicate = duplicate or rule.duplicate
            if decider is None and rule.has_outcome:
                decider = rule
        latency, delay = latency_ms / 1000, delay_ms / 1000
        if decider is None:
            return Action(latency=latency, duplicate=duplicate, delay=delay)
        if decider.drop:  # a lost message is neither repeated nor late
            return Action(latency=latency, drop=True)
        return Action(
            latency=latency, fault=decider.fault, http_status=decider.http_status, duplicate=duplicate, delay=delay
        )


def shipped_profiles() -> list[Path]:
    """The profiles that come with osokit (``simulator/faults/*.toml``)."""
    return sorted(SHIPPED_DIR.glob("*.toml"))


# --- parsing -----------------------------------------------------------------------------------

_RULE_KEYS = {
    "operation", "school", "direction", "probability", "latency",
    "fault", "http_status", "drop", "duplicate", "delay", "delay_ms",
}  # fmt: skip


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, suffix: str = "") -> None:
    """Typo protection: a misspelt key would otherwise be ignored without a word."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise FaultProfileError(f"{where}: unknown key(s) {names}{suffix} (allowed: {', '.join(sorted(allowed))})")


def _string(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise FaultProfileError(f"{where}: {field} must be a string, not {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _names(value: Any, where: str, field: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise FaultProfileError(f"{where}: {field} must be a string or a list of strings, not {value!r}")
    return tuple(items)


def _operations(value: Any, where: str) -> tuple[str, ...]:
    names = _names(value, where, "operation")
    for name in names:
        if name != ANY and name not in OPERATIONS:
            raise FaultProfileError(f"{where}: unknown operation {name!r} (known: {', '.join(OPERATIONS)} or '*')")
    return names


def _schools(value: Any, where: str) -> tuple[str, ...]:
    names = _names(value, where, "school")
    for name in names:
        if name != ANY and not is_valid_brin(name) and not is_valid_routeringskenmerk(name):
            raise FaultProfileError(
                f"{where}: school {name!r} is not a BRIN (e.g. 90AA), a 20-character routeringskenmerk or '*'"
            )
    return names


def _milliseconds(value: Any, where: str, field: str, *, may_be_zero: bool = False) -> float:
    if not _is_number(value) or value < 0 or (value == 0 and not may_be_zero):
        what = "a non-negative" if may_be_zero else "a positive"
        raise FaultProfileError(f"{where}: {field} must be {what} number of milliseconds, not {value!r}")
    if value > MAX_LATENCY_MS:
        raise FaultProfileError(
            f"{where}: {field} is {value}, above {MAX_LATENCY_MS} (osokit caps a single latency at 60 s)"
        )
    return float(value)


def _distribution(value: Any, where: str, field: str) -> Distribution:
    if not isinstance(value, dict):
        raise FaultProfileError(
            f'{where}: {field} must be a table, e.g. {{ distribution = "lognormal", median_ms = 80, p99_ms = 400 }}'
        )
    kind = value.get("distribution", "fixed")
    if kind not in _DISTRIBUTIONS:
        raise FaultProfileError(f"{where}: {field}: unknown distribution {kind!r} (known: {', '.join(_DISTRIBUTIONS)})")
    cls, params, may_be_zero = _DISTRIBUTIONS[kind]
    _check_keys(value, {"distribution", *params}, f"{where}: {field}", f" for a {kind} distribution")
    if any(p not in value for p in params):
        raise FaultProfileError(f"{where}: {field}: a {kind} distribution needs {' and '.join(params)}")
    ms = {p: _milliseconds(value[p], where, f"{field}.{p}", may_be_zero=p in may_be_zero) for p in params}
    for low, high in (("min_ms", "max_ms"), ("median_ms", "p99_ms")):
        if low in ms and ms[high] < ms[low]:
            raise FaultProfileError(f"{where}: {field}.{high} ({value[high]}) is below {field}.{low} ({value[low]})")
    return cls(*ms.values())


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise FaultProfileError(f"{where}: must be a table ([[rule]]), not {raw!r}")
    _check_keys(raw, _RULE_KEYS, where)
    operations = _operations(raw.get("operation", ANY), where)
    schools = _schools(raw.get("school", ANY), where)
    direction = raw.get("direction", Direction.IN.value)
    if direction not in tuple(Direction):
        raise FaultProfileError(f"{where}: direction {direction!r} is not 'in', 'out' or '*'")
    direction = Direction(direction)
    probability = raw.get("probability", 1.0)
    if not _is_number(probability) or not 0 <= probability <= 1:
        raise FaultProfileError(f"{where}: probability {probability!r} is not a number between 0 and 1")
    latency = _distribution(raw["latency"], where, "latency") if "latency" in raw else None

    fault = raw.get("fault")
    if fault is not None and fault not in CATALOGUE:
        raise FaultProfileError(f"{where}: unknown fault code {fault!r} (see osokit's fault catalogue)")
    status = raw.get("http_status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599):
        raise FaultProfileError(f"{where}: http_status {status!r} is not an HTTP error status (400-599)")
    drop, duplicate = raw.get("drop", False), raw.get("duplicate", False)
    for flag, value in (("drop", drop), ("duplicate", duplicate)):
        if not isinstance(value, bool):
            raise FaultProfileError(f"{where}: {flag} must be true or false, not {value!r}")
    outcomes = [k for k, v in (("fault", fault), ("http_status", status), ("drop", drop or None)) if v is not None]
    if len(outcomes) > 1:
        raise FaultProfileError(
            f"{where}: {' and '.join(outcomes)}: give at most one outcome per rule (fault, http_status or drop)"
        )
    if outcomes and outcomes[0] != "drop" and direction is not Direction.IN:
        raise FaultProfileError(
            f'{where}: {outcomes[0]} needs direction = "in" (the simulator only answers messages it receives)'
        )

    if "delay" in raw and "delay_ms" in raw:
        raise FaultProfileError(f"{where}: give delay or delay_ms, not both")
    delay: Distribution | None = None
    if "delay" in raw:
        delay = _distribution(raw["delay"], where, "delay")
    elif "delay_ms" in raw:
        delay = Fixed(_milliseconds(raw["delay_ms"], where, "delay_ms"))
    late = [k for k, v in (("duplicate", duplicate), ("delay", delay)) if v]
    if late and direction is not Direction.OUT:
        raise FaultProfileError(
            f'{where}: {late[0]} needs direction = "out" (only messages the simulator sends can be repeated or delayed)'
        )
    if drop and late:
        raise FaultProfileError(
            f"{where}: drop cannot be combined with {late[0]} (a dropped message is never delivered)"
        )
    if latency is None and not outcomes and not late:
        raise FaultProfileError(
            f"{where}: the rule has no effect (give latency, fault, http_status, drop, duplicate or delay)"
        )
    return Rule(operations, schools, direction, float(probability), latency, fault, status, drop, duplicate, delay)
