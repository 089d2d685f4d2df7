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
"""

from __future__ import annotations

import importlib
import json
import ssl
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from oso.errors import OsokitError, UserError


class AdapterError(UserError):
    """The adapter cannot reach or drive the LAS: a setup error (exit code 2), not a failed check."""


class NotSupported(OsokitError):
    """This adapter cannot do that (manual mode reading back imports, say): the check is skipped."""


@dataclass(frozen=True)
class School:
    brin: str
    routeringskenmerk: str
    url: str


@dataclass(frozen=True)
class VendorInfo:
    vendor: str
    name: str
    doel: dict[str, School]  # per sector (po, vo): the school the LAS requests dossiers for
    bron: dict[str, School]  # per sector: the school the LAS sends dossiers from

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VendorInfo:
        try:
            return cls(
                str(data["vendor"]),
                str(data.get("name", data["vendor"])),
                {k: School(**v) for k, v in data["doel"].items()},
                {k: School(**v) for k, v in data["bron"].items()},
            )
        except (KeyError, TypeError) as exc:
            raise AdapterError(f"vendor info is incomplete: {exc} (see control-api.yaml, GET /info)") from None


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

    def imported(self, doel_brin: str, pgn: str) -> Imported | None:
        """What the LAS imported of this pupil, or None when it imported nothing."""
        raise NotSupported("this adapter cannot read back imports")

    def prepare(self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> None:
        """Make the LAS (as bron) hold this pupil's dossier(s) in this state (ready, not-ready, not-allowed)."""
        raise NotSupported("this adapter cannot prepare dossiers")

    def set_clock(self, now: datetime) -> None:
        """Set the LAS's clock (checks of expiry and dossierVerzameldatum need a moment in the school year)."""
        raise NotSupported("this adapter cannot set the LAS's clock")

    def reset(self) -> None:
        """Forget what earlier checks imported and prepared."""

    def close(self) -> None:
        """Release connections."""


class HttpAdapter(VendorAdapter):
    name = "http"

    def __init__(
        self,
        base_url: str,
        timeout: float = 120.0,
        verify: ssl.SSLContext | bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=verify, headers=headers)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise AdapterError(f"control API {self.base_url}{path}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in (400, 405, 415):
            raise AdapterError(f"control API {method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def info(self) -> VendorInfo:
        response = self._call("GET", "/info")
        if response.status_code != 200:
            raise AdapterError(f"control API GET /info: HTTP {response.status_code}: {response.text[:300]}")
        return VendorInfo.from_dict(response.json())

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

    def imported(self, doel_brin: str, pgn: str) -> Imported | None:
        response = self._call("POST", "/imports", {"doel_brin": doel_brin, "pgn": pgn})
        if response.status_code == 404:
            return None
        data = response.json()
        return Imported(int(data["records"]), dict(data.get("steps", {})))

    def prepare(self, bron_brin: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> None:
        self._call(
            "POST",
            "/dossiers",
            {
                "bron_brin": bron_brin,
                "pgn": pgn,
                "state": state,
                "versions": [{"prepared": at.isoformat(), "dossier": xml} for at, xml in versions],
            },
        )

    def set_clock(self, now: datetime) -> None:
        if self._call("PUT", "/clock", {"now": now.isoformat()}).status_code == 404:
            raise NotSupported("the LAS's control API has no PUT /clock: checks that need another date are skipped")

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
        try:
            self._info = VendorInfo.from_dict(json.loads(info_file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise AdapterError(f"manual adapter: cannot read vendor info {info_file}: {exc}") from None
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


def load_adapter(
    spec: str | None,
    target: str,
    simulator_url: str,
    verify: ssl.SSLContext | bool = True,
    admin_headers: dict[str, str] | None = None,
) -> VendorAdapter:
    """The adapter for a run: ``http`` (default), ``manual:INFO.json``, or ``package.module:Class``.

    ``verify`` is how to trust the simulator under TLS (the run's test CA); ``admin_headers`` its admin
    credential, for the simulator's admin API and the control API of the LAS it hosts.
    """
    hosted = not target.startswith(("http://", "https://"))
    if spec in (None, "", "http"):
        if hosted:
            return HttpAdapter(f"{simulator_url}/control", verify=verify, headers=admin_headers)
        return HttpAdapter(target)
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
    return cls(target)
