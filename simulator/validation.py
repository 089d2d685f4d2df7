"""The edge of the admin and control JSON APIs: every body read under a size limit, parsed strictly and
validated once into a typed model (pydantic), so a handler only ever sees values of the right type and
range. Anything else is a :class:`BadRequest`, a 4xx JSON error that names the field.

Strict JSON here means UTF-8, no duplicate keys, no NaN/Infinity, bounded nesting, an object at the top.
The models are strict too (no ``"5"`` for 5, no ``1`` for true); only date-times come as ISO text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.requests import Request

from oso.errors import OsokitError
from simulator.register import CHANGE_KINDS

MAX_JSON_BYTES = 4 * 1024 * 1024  # a prepared dossier (control API) is the largest body: as large as a SOAP request
MAX_DEPTH = 32  # no body of either API nests deeper than a few levels
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id names nothing (and would overflow the query)
MAX_PUPILS = 10_000  # pupils in one batch (zoeksleutels, transfers)
MAX_FAULT_RULES = 1_000


class BadRequest(OsokitError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request, model: type[M]) -> M:
    """The body as ``model``; an empty body is ``{}`` (every field at its default)."""
    return validate(model, await read_object(request))


async def read_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, strictly parsed but not yet typed."""
    return parse_json(await _body(request))


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(describe(exc)) from None


def describe(exc: ValidationError, *, tagged: bool = False) -> str:
    """The first error or two, each as ``field: what is wrong``; ``tagged``: the location starts with the
    tag of a union (the register change's kind), which the sender knows and the message leaves out."""
    parts = []
    for error in exc.errors(include_url=False)[:2]:
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            parts.append(f"kind must be {', '.join(CHANGE_KINDS[:-1])} or {CHANGE_KINDS[-1]}")
            continue
        where = json_path(error["loc"][1 if tagged else 0 :]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def json_path(location: Iterable[str | int]) -> str:
    """A field's place in the body as vendors write it: ``versions[0].pupil.personalia``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise BadRequest(f"body: more than {MAX_JSON_BYTES} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise BadRequest(f"body: more than {MAX_JSON_BYTES} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body: not UTF-8 (byte {exc.start})") from None
    if _depth(text) > MAX_DEPTH:
        raise BadRequest(f"body: nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _depth(text: str) -> int:
    """How deep brackets nest, counted before parsing (so a deep body never reaches the recursive parser).
    Brackets inside strings count too: an over-estimate, harmless at this limit."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise BadRequest(f"{twice}: given twice")
    return data


def _no_constant(name: str) -> None:
    raise BadRequest(f"body: {name} is not a JSON number")


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path (the route's ``:int`` already took only digits)."""
    value = request.path_params[name]
    if value > MAX_ID:
        raise BadRequest(f"{name}: at most {MAX_ID}", 404)
    return int(value)


# --- the models: one per body --------------------------------------------------------------------------

Text = Annotated[str, Field(max_length=200)]
Brin = Annotated[str, Field(max_length=8)]
Pgn = Annotated[str, Field(max_length=16)]
ImportStep = Literal["personalia", "schoolloopbaan", "ondersteuning"]  # the three steps of an import
Moment = Annotated[AwareDatetime, Field(strict=False)]  # ISO text with a timezone, e.g. 2026-03-02T09:00:00+01:00
DAY = 86_400.0
YEARS_100 = 100 * 366 * DAY


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ClockChange(Body):
    set: Moment | None = None
    frozen: bool = False
    advance_seconds: float | None = Field(None, ge=-YEARS_100, le=YEARS_100, allow_inf_nan=False)
    advance_days: float | None = Field(None, ge=-YEARS_100 / DAY, le=YEARS_100 / DAY, allow_inf_nan=False)

    @field_validator("set")
    @classmethod
    def _within_simulation(cls, value: datetime | None) -> datetime | None:
        if value is not None and not 2000 <= value.year <= 2199:
            raise ValueError("a simulation clock runs between the years 2000 and 2199")
        return value


class FaultProfileChange(Body):
    toml: Annotated[str, Field(max_length=1024 * 1024)] | None = None


class Zoeksleutels(Body):
    pgn: Pgn | None = None
    pgns: Annotated[list[Pgn], Field(max_length=MAX_PUPILS)] | None = None


class AdminTransfers(Body):
    doel_brin: Brin
    bron_brin: Brin
    pgn: Pgn | None = None
    pgns: Annotated[list[Pgn], Field(max_length=MAX_PUPILS)] | None = None
    verzameldatum: Moment | None = None
    overdrachtsoort: Text = "overstapdossier"
    bron_rk: Annotated[str, Field(max_length=20)] | None = None


class PupilDating(Body):
    prepared: Moment | None = None  # when the pupil's first version was prepared
    updated: Moment | None = None  # when the scripted pupil's later version (after the eindtoets) was prepared

    @model_validator(mode="after")
    def _a_date(self) -> PupilDating:
        if self.prepared is None and self.updated is None:
            raise ValueError("give prepared or updated (or both): a date-time with timezone")
        return self


class Notify(Body):
    bron_brin: Brin
    doel_brin: Brin
    doel_rk: Annotated[str, Field(max_length=20)] | None = None
    pupil: Text | None = None


class NewEndpointFields(Body):
    routeringskenmerk: Annotated[str, Field(max_length=20)] | None = None
    url: Annotated[str, Field(max_length=2000)] = "reference"
    doel: Text = "LAS"
    active: bool = True


class VendorChange(Body):
    kind: Literal["vendor"]
    id: Annotated[str, Field(max_length=64)]
    name: Text | None = None
    number: int = Field(ge=1, le=9_999_999_999)  # ten digits of every routeringskenmerk of the vendor


class SchoolChange(Body):
    kind: Literal["school"]
    brin: Brin
    vestiging: Annotated[str, Field(max_length=2)] = "00"
    name: Text | None = None
    sector: Annotated[str, Field(max_length=8)] = "po"
    region: Text = "-"
    vendor: Annotated[str, Field(max_length=64)] = "reference"
    endpoints: Annotated[list[NewEndpointFields], Field(max_length=20)] | None = None


class EndpointChange(Body):
    kind: Literal["endpoint"]
    routeringskenmerk: Annotated[str, Field(max_length=20)]
    active: bool


class EndpointAdd(NewEndpointFields):
    kind: Literal["endpoint-add"]
    brin: Brin
    active: Literal[True] = True


_CHANGE = TypeAdapter(
    Annotated[VendorChange | SchoolChange | EndpointChange | EndpointAdd, Field(discriminator="kind")]
)


def register_change(data: dict[str, Any]) -> dict[str, Any]:
    """A register change, typed, as a plain dict without the defaults it did not give (the register
    checks it against what it holds and completes it)."""
    try:
        return _CHANGE.validate_python(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise BadRequest(describe(exc, tagged=True)) from None


# control API (conformance/control-api.yaml): extra fields are the vendor's business, so ignored
class ControlBody(Body):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Setup(ControlBody):
    tc_url: Annotated[HttpUrl, Field(strict=False)]
    zoeksleutel_scheme: Annotated[str, Field(max_length=64)]
    zoeksleutel_key: Annotated[str, Field(max_length=1024, pattern="^[0-9a-fA-F]*$")] = ""


class ControlTransfers(ControlBody):
    doel_brin: Brin
    bron_brin: Brin
    pgns: Annotated[list[Pgn], Field(min_length=1, max_length=MAX_PUPILS)]
    update: bool = False
    overdrachtsoort: Text = "overstapdossier"
    # the import steps to run (default: all three); a re-run of one step on a newer dossier
    steps: Annotated[list[ImportStep], Field(min_length=1, max_length=3)] | None = None


class ControlImports(ControlBody):
    doel_brin: Brin
    pgn: Pgn


class PreparedVersion(ControlBody):
    prepared: Moment
    dossier: Annotated[str, Field(max_length=MAX_JSON_BYTES)]


class Preparation(ControlBody):
    """What a bron school holds ready for one pupil: ``versions`` as dossier XML or as pupil data."""

    bron_brin: Brin
    pgn: Pgn
    state: Literal["ready", "not-ready", "not-allowed"] = "ready"


class Dossiers(Preparation):
    versions: Annotated[list[PreparedVersion], Field(min_length=1, max_length=100)]


class PupilVersion(ControlBody):
    prepared: Moment
    pupil: dict[str, Any]  # checked against conformance/pupil.schema.json by the control API


class Pupils(Preparation):
    versions: Annotated[list[PupilVersion], Field(min_length=1, max_length=100)]


class ControlClock(ControlBody):
    now: Moment
