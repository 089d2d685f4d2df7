"""Vendor adapters: how the suite makes a vendor's LAS act and reads back what it did.

Three ways, one interface (:class:`VendorAdapter`):

* :class:`HttpAdapter` speaks the HTTP control contract (``conformance/control-api.yaml``) that a
  vendor's test environment implements. The simulator implements the same contract for the LAS it
  hosts as vendor under test, so the reference LAS and the mutants are driven exactly like a vendor.
* a Python class of the vendor's own (``--adapter package.module:ClassName``), subclassing
  :class:`VendorAdapter`;
* :class:`ManualAdapter`: prints what a person should make the LAS do and waits, with a timeout,
  until the simulator sees the expected message. It cannot read back imports or prepare dossiers,
  so the checks that need that are skipped, with the reason.

Every call to a vendor's control API is bounded (``timeout``); a call that fails is an
:class:`AdapterError` (the check it served ends in an error, not a failed rule), and after
:data:`UNREACHABLE_AFTER` failed calls in a row :class:`Unreachable` says the LAS is gone.
"""

from __future__ import annotations

import importlib
import json
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

import httpx

from conformance.options import Target
from oso.errors import OsokitError, UserError
from oso.identifiers import is_valid_brin, is_valid_routeringskenmerk

UNREACHABLE_AFTER = 3  # control API calls failing in a row (no answer, time-out) that stop the run


class AdapterError(UserError):
    """The adapter cannot reach or drive the LAS: the check it served ends in an error, not a failed rule
    (and, setting up a run, a setup error: exit code 2)."""


class Unreachable(AdapterError):
    """The LAS's control API failed several calls in a row: the run stops (exit code 2)."""


class NotSupported(OsokitError):
    """This adapter cannot do that (manual mode reading back imports, say): the check is not testable."""

    def __init__(self, reason: str, remedy: str = "drive the LAS with an adapter that can (--adapter http)") -> None:
        self.reason, self.remedy = reason, remedy
        super().__init__(reason)


@dataclass(frozen=True)
class School:
    brin: str
    routeringskenmerk: str
    url: str

    @classmethod
    def from_dict(cls, data: Any, where: str) -> School:
        """A school of ``/info``, every field checked: a bad one is found before the first check."""
        if not isinstance(data, dict) or set(data) != {"brin", "routeringskenmerk", "url"}:
            raise AdapterError(f"{where}: give exactly brin, routeringskenmerk and url, not {data!r}")
        brin, rk, url = data["brin"], data["routeringskenmerk"], data["url"]
        if not isinstance(brin, str) or not is_valid_brin(brin):
            raise AdapterError(f"{where}.brin: {brin!r} is not a BRIN (4 characters, e.g. 80AB)")
        if not isinstance(rk, str) or not is_valid_routeringskenmerk(rk):
            raise AdapterError(f"{where}.routeringskenmerk: {rk!r} is not a 20-character routeringskenmerk")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
            raise AdapterError(f"{where}.url: {url!r} is not the http(s) URL of an aanleverpunt")
        return cls(brin, rk, url)


@dataclass(frozen=True)
class VendorInfo:
    vendor: str
    name: str
    doel: dict[str, School]  # per sector (po, vo): the school the LAS requests dossiers for
    bron: dict[str, School]  # per sector: the school the LAS sends dossiers from
    now: datetime | None = None  # the LAS's clock when it answered, if it says (else the suite takes the real one)

    @classmethod
    def from_dict(cls, data: Any) -> VendorInfo:
        """``GET /info``'s answer, checked against control-api.yaml: what is wrong, and where."""
        where = "vendor info (control-api.yaml, GET /info)"
        if not isinstance(data, dict):
            raise AdapterError(f"{where}: expected a JSON object, got {data!r:.100}")
        missing = [k for k in ("vendor", "doel", "bron") if k not in data]
        if missing:
            raise AdapterError(f"{where} is incomplete: missing {', '.join(missing)}")
        if not isinstance(data["vendor"], str) or not data["vendor"]:
            raise AdapterError(f"{where}: vendor must be the vendor id, not {data['vendor']!r}")
        schools = {}
        for side in ("doel", "bron"):
            given = data[side]
            if not isinstance(given, dict) or set(given) != {"po", "vo"}:
                raise AdapterError(f"{where}: {side} must give one school per sector, po and vo, not {given!r:.200}")
            schools[side] = {sector: School.from_dict(given[sector], f"{side}.{sector}") for sector in ("po", "vo")}
        name = data.get("name", data["vendor"])
        return cls(data["vendor"], str(name), schools["doel"], schools["bron"], _now(data.get("now"), where))

    @classmethod
    def load(cls, path: Path) -> VendorInfo:
        """A vendor info file (what ``GET /info`` would answer), for manual mode."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AdapterError(f"cannot read vendor info {path}: {exc}") from None
        return cls.from_dict(data)


def _now(given: Any, where: str) -> datetime | None:
    """``/info``'s optional ``now``: the LAS's clock, a date-time with its timezone."""
    if given is None:
        return None
    try:
        now = datetime.fromisoformat(given)
    except (TypeError, ValueError):
        raise AdapterError(f"{where}.now: {given!r:.60} is not a date-time (e.g. 2026-03-02T09:00:00+01:00)") from None
    if now.tzinfo is None:
        raise AdapterError(f"{where}.now: {given!r} has no timezone (e.g. 2026-03-02T09:00:00+01:00)")
    return now


@dataclass(frozen=True)
class Imported:
    """What the LAS imported of one pupil: how many pupil records and, per step, how often and from what."""

    records: int
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)


class VendorAdapter:
    """How the suite drives a LAS. Subclass it for a vendor's own Python adapter."""

    name = "adapter"

    def info(self) -> VendorInfo:
        raise NotImplementedError

    def setup(self, tc_url: str, zoeksleutel_scheme: str, zoeksleutel_key: str) -> None:
        """Tell the LAS where the Traffic Center is and how to make zoeksleutels."""

    def request(
        self,
        doel_brin: str,
        bron_brin: str,
        pgns: list[str],
        *,
        update: bool = False,
        overdrachtsoort: str = "overstapdossier",
    ) -> None:
        """Make the LAS (as doel) run a full transfer per pupil; return when it has finished."""
        raise NotImplementedError

    def rerun_steps(self, doel_brin: str, bron_brin: str, pgn: str, steps: list[str]) -> None:
        """Make the LAS re-request a pupil it imported before (update) and run only these import steps on
        the newer dossier; the other steps keep what they hold."""
        raise NotSupported("this adapter cannot re-run single import steps", "an adapter that implements rerun_steps")

    def imported(self, doel_brin: str, pgn: str) -> Imported | None:
        """What the LAS imported of this pupil, or None when it imported nothing."""
        raise NotSupported("this adapter cannot read back imports", "an adapter that implements imported")

    def prepare(self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> None:
        """Passthrough: make the LAS (as bron) hold this pupil's dossier XML in this state (ready, not-ready, ...)."""
        raise NotSupported("this adapter cannot prepare dossiers", "an adapter that implements prepare")

    def prepare_pupil(
        self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, dict[str, Any]]]
    ) -> None:
        """Export: make the LAS (as bron) hold this pupil's data and prepare each version with its own export."""
        raise NotSupported(
            "this adapter cannot give the LAS pupil data",
            "an adapter that implements prepare_pupil (or --prepare passthrough: the export is then not tested)",
        )

    def reset(self) -> None:
        """Forget what earlier checks imported and prepared."""

    def close(self) -> None:
        """Release connections."""


class HttpAdapter(VendorAdapter):
    name = "http"

    def __init__(
        self,
        base_url: str,
        timeout: float = 30.0,
        verify: ssl.SSLContext | bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=verify, headers=headers)
        self.failed_in_row = 0  # calls without an answer in a row

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = self.http.request(method, path, json=body)
        except httpx.TimeoutException:
            self._no_answer(f"control API {method} {self.base_url}{path}: no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            self._no_answer(f"control API {method} {self.base_url}{path}: {type(exc).__name__}: {exc}")
        self.failed_in_row = 0
        if response.status_code >= 500 or response.status_code in (400, 405, 415):
            raise AdapterError(f"control API {method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def _no_answer(self, what: str) -> NoReturn:
        self.failed_in_row += 1
        if self.failed_in_row >= UNREACHABLE_AFTER:
            raise Unreachable(f"{what} ({self.failed_in_row} calls in a row without an answer)")
        raise AdapterError(what)

    def info(self) -> VendorInfo:
        response = self._call("GET", "/info")
        if response.status_code != 200:
            asks_token = response.status_code in (401, 403)
            hint = " (a control API that asks for a token: --control-token-file FILE)" if asks_token else ""
            raise AdapterError(f"control API GET /info: HTTP {response.status_code}: {response.text[:300]}{hint}")
        try:
            data = response.json()
        except ValueError:
            raise AdapterError(f"control API GET /info: not JSON: {response.text[:200]!r}") from None
        return VendorInfo.from_dict(data)

    def setup(self, tc_url: str, zoeksleutel_scheme: str, zoeksleutel_key: str) -> None:
        self._call(
            "PUT",
            "/setup",
            {"tc_url": tc_url, "zoeksleutel_scheme": zoeksleutel_scheme, "zoeksleutel_key": zoeksleutel_key},
        )

    def request(
        self,
        doel_brin: str,
        bron_brin: str,
        pgns: list[str],
        *,
        update: bool = False,
        overdrachtsoort: str = "overstapdossier",
    ) -> None:
        self._call(
            "POST",
            "/transfers",
            {
                "doel_brin": doel_brin,
                "bron_brin": bron_brin,
                "pgns": pgns,
                "update": update,
                "overdrachtsoort": overdrachtsoort,
            },
        )

    def rerun_steps(self, doel_brin: str, bron_brin: str, pgn: str, steps: list[str]) -> None:
        body = {"doel_brin": doel_brin, "bron_brin": bron_brin, "pgns": [pgn], "update": True, "steps": steps}
        self._call("POST", "/transfers", body)

    def imported(self, doel_brin: str, pgn: str) -> Imported | None:
        response = self._call("POST", "/imports", {"doel_brin": doel_brin, "pgn": pgn})
        if response.status_code == 404:
            return None
        data = response.json()
        return Imported(int(data["records"]), dict(data.get("steps", {})))

    def prepare(self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> None:
        given = [{"prepared": at.isoformat(), "dossier": xml} for at, xml in versions]
        self._prepare("/dossiers", bron_brin, pgn, state, given, "run in export mode (--prepare export)")

    def prepare_pupil(
        self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, dict[str, Any]]]
    ) -> None:
        given = [{"prepared": at.isoformat(), "pupil": data} for at, data in versions]
        remedy = "implement POST /pupils (conformance/control-api.yaml), or run with --prepare passthrough"
        self._prepare("/pupils", bron_brin, pgn, state, given, remedy)

    def _prepare(self, path: str, bron_brin: str, pgn: str, state: str, versions: list[Any], remedy: str) -> None:
        """POST the pupil; a control API without this call (404) leaves the checks that need it untested."""
        body = {"bron_brin": bron_brin, "pgn": pgn, "state": state, "versions": versions}
        if self._call("POST", path, body).status_code == 404:
            raise NotSupported(f"the LAS's control API answers 404 to POST {path}", remedy)

    def reset(self) -> None:
        self._call("POST", "/reset")

    def close(self) -> None:
        self.http.close()


class ManualAdapter(VendorAdapter):
    """A person makes the LAS act; the suite waits until the simulator sees the result."""

    name = "manual"

    def __init__(
        self,
        info_file: Path,
        simulator_url: str,
        timeout: float = 300.0,
        verify: ssl.SSLContext | bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._info = VendorInfo.load(info_file)
        self.admin = httpx.Client(base_url=simulator_url, timeout=30, verify=verify, headers=headers)
        self.timeout = timeout

    def info(self) -> VendorInfo:
        return self._info

    def setup(self, tc_url: str, zoeksleutel_scheme: str, zoeksleutel_key: str) -> None:
        print(
            f"\n>>> Configure the LAS under test: Traffic Center {tc_url}, zoeksleutel scheme "
            f"{zoeksleutel_scheme}, key {zoeksleutel_key}",
            file=sys.stderr,
        )

    def request(
        self,
        doel_brin: str,
        bron_brin: str,
        pgns: list[str],
        *,
        update: bool = False,
        overdrachtsoort: str = "overstapdossier",
    ) -> None:
        doel_rks = {s.routeringskenmerk for s in self._info.doel.values() if s.brin == doel_brin}
        kind = "an updated dossier (after the eindtoets)" if update else "the dossier"
        mark = int(self.admin.get("/admin/info").json()["messages"])
        print(
            f"\n>>> In the LAS, for school {doel_brin}: request {kind} of pupil(s) {', '.join(pgns)} from "
            f"school {bron_brin} ({overdrachtsoort}). Waiting up to {self.timeout:.0f} s ...",
            file=sys.stderr,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            seen = self.admin.get(
                "/admin/messages", params={"after": mark, "operation": "afmeldingRequest", "body": 1, "limit": 1000}
            ).json()["messages"]
            closed = [m for m in seen if any(rk in (m.get("body") or "") for rk in doel_rks)]
            if len(closed) >= len(pgns):
                return
            time.sleep(1)
        raise AdapterError(f"manual mode: no afmelding from {doel_brin} within {self.timeout:.0f} s")

    def close(self) -> None:
        self.admin.close()


def control_headers(token_file: Path | None) -> dict[str, str] | None:
    """What a control API at a URL asks for: ``Authorization: Bearer`` with the token in ``token_file``."""
    if token_file is None:
        return None
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AdapterError(f"--control-token-file {token_file}: {getattr(exc, 'strerror', None) or exc}") from None
    if not token or any(c.isspace() for c in token):
        raise AdapterError(f"--control-token-file {token_file}: the token must be one word")
    return {"authorization": f"Bearer {token}"}


def load_adapter(
    spec: str | None,
    target: Target,
    simulator_url: str,
    verify: ssl.SSLContext | bool = True,
    timeout: float = 30.0,
    admin_headers: dict[str, str] | None = None,
    control_headers: dict[str, str] | None = None,
) -> VendorAdapter:
    """The adapter for a run: ``http`` (default), ``manual:INFO.json``, or ``package.module:Class``.

    A hosted target (the reference or a mutant) is driven through the simulator's own control API;
    ``verify`` is how to trust the simulator and a control API at an https URL under TLS (the run's test
    CA); ``timeout`` bounds each call to the control API; ``admin_headers`` is the simulator's admin
    credential, for its admin API and the control API of the LAS it hosts; ``control_headers`` what a
    control API at a URL asks for (--control-token-file). A vendor's adapter class is constructed with
    the target as given.
    """
    if spec in (None, "", "http"):
        if target.url is None:
            return HttpAdapter(f"{simulator_url}/control", timeout=timeout, verify=verify, headers=admin_headers)
        return HttpAdapter(target.url, timeout=timeout, verify=verify, headers=control_headers)
    if spec.startswith("manual"):
        _, _, path = spec.partition(":")
        if not path:
            raise AdapterError("manual mode needs the vendor info file: --adapter manual:vendor.json")
        return ManualAdapter(Path(path), simulator_url, verify=verify, headers=admin_headers)
    module_name, _, class_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise AdapterError(f"--adapter {spec}: cannot load {class_name or '?'} from {module_name}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, VendorAdapter)):
        raise AdapterError(f"--adapter {spec}: {cls!r} is not a conformance.adapter.VendorAdapter subclass")
    # The documented contract (docs/conformance.md): a vendor's class is constructed with the target.
    return cast(Callable[[str], VendorAdapter], cls)(str(target))
