"""A simulator to test against, for osokit's own tests and for the conformance harness alike.

:class:`World` serves the real app with uvicorn on 127.0.0.1 (a free port) in a background thread and
holds the handles a test or a check needs: the admin API (JSON), the suite's SOAP client, one per
vendor certificate under TLS, and what the evidence log says a window of messages was. ``close()``
stops it; nothing outlives it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from oso import transport as t
from simulator.access import client_headers
from simulator.client import OsoClient, tls_context
from simulator.register import REFERENCE
from simulator.server import Running, start_in_thread
from simulator.service import Config, Simulator

if TYPE_CHECKING:
    from simulator.pki import Pki

OVERSTAPDOSSIER = "overstapdossier"


class World:
    def __init__(self, config: Config, *, pki: Pki | None = None, timeout: float = 30.0, port: int = 0) -> None:
        """``pki``: the run's test PKI when ``config`` has TLS on (the admin client trusts its CA); ``port``:
        0 for a free one."""
        self.pki = pki
        self.running: Running = start_in_thread(config, port=port)
        self.verify = tls_context(pki.ca_cert) if pki else True
        self.admin_headers = client_headers(self.running.access.token)  # the admin token, when access is guarded
        self.admin = httpx.Client(base_url=self.url, timeout=timeout, verify=self.verify, headers=self.admin_headers)
        self.oso = self.client_as(REFERENCE)

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def sim(self) -> Simulator:
        return self.running.simulator

    def close(self) -> None:
        for close in (self.admin.close, self.oso.close, self.running.stop):
            try:
                close()
            except Exception:  # noqa: BLE001, S110 - closing must close the rest too
                pass

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def client_as(self, vendor: str | None) -> OsoClient:
        """A SOAP client; under TLS it presents ``vendor``'s certificate (None: no certificate)."""
        if self.pki is None:
            return OsoClient(self.url)
        if vendor is None:
            return OsoClient(self.url, tls=tls_context(self.pki.ca_cert))
        return self.client_presenting(self.pki.vendor_cert(vendor), self.pki.vendor_key(vendor))

    def client_presenting(self, cert: Path, key: Path) -> OsoClient:
        """A SOAP client that trusts the run's CA and presents ``cert`` (a vendor's, or one of another CA)."""
        assert self.pki is not None, "a client certificate needs TLS"
        return OsoClient(self.url, tls=tls_context(self.pki.ca_cert, cert, key))

    # --- the register, the pupils, the evidence log -------------------------------------------------

    def pupil(self, label: str) -> dict[str, Any]:
        """A pupil by scripted label or ``<profile>/<index>``, with its pgn and zoeksleutel (the set-up channel)."""
        return dict(self.admin.get(f"/admin/pupils/{label}").json())

    def school(self, sector: str, n: int = 0) -> tuple[str, str]:
        """(brin, routeringskenmerk) of the n-th school of a sector."""
        schools = [s for s in self.sim.register.schools.values() if s.sector == sector]
        brin = schools[n].brin
        return brin, self.sim.register.endpoints_of(brin)[0].routeringskenmerk

    def zoeksleutel(self, pgn: str) -> t.ZoeksleutelPgnfrag:
        key = self.admin.post("/admin/zoeksleutel", json={"pgn": pgn}).json()["zoeksleutel"]
        return t.ZoeksleutelPgnfrag(zoeksleutel=key)

    def faults(self, toml: str) -> None:
        """Put a fault profile in force (``""`` for none)."""
        self.admin.post("/admin/faults", json={"toml": toml}).raise_for_status()

    def mark(self) -> int:
        """Where the evidence log is now: the messages after it are what happens next."""
        return int(self.admin.get("/admin/info").json()["messages"])

    def messages(self, after: int) -> list[dict[str, Any]]:
        found = self.admin.get("/admin/messages", params={"after": after, "limit": 10_000, "body": 1})
        return list(found.json()["messages"])

    def session(self, sessie_id: str) -> dict[str, Any] | None:
        found = self.admin.get(f"/admin/sessions/{sessie_id}")
        return dict(found.json()) if found.status_code == 200 else None

    # --- a doel's requests, spelled out --------------------------------------------------------------

    def overdracht(self, pupil: dict[str, Any], doel: tuple[str, str], **change: Any) -> t.OverdrachtResponse:
        """A session for ``pupil`` at school ``doel`` (brin, routeringskenmerk); ``change`` overrides fields."""
        fields: dict[str, Any] = {
            "bron_brin": pupil["bron_brin"],
            "doel_brin": doel[0],
            "doel_rk": doel[1],
            "zoeksleutel_pgnfrag": t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
            "overdrachtsoort": OVERSTAPDOSSIER,
        }
        return self.oso.overdracht(**(fields | change))

    def document(
        self, pupil: dict[str, Any], doel: tuple[str, str], granted: t.OverdrachtResponse, **change: Any
    ) -> t.DocumentResponse:
        """The dossier from the first aanleverpunt the session named."""
        ap = granted.aanleverpunt[0]
        fields: dict[str, Any] = {
            "sessie_id": granted.sessie_id,
            "bron_brin": pupil["bron_brin"],
            "bron_rk": ap.routeringskenmerk,
            "doel_brin": doel[0],
            "doel_rk": doel[1],
            "zoeksleutel_pgnfrag": t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
            "overdrachtsoort": OVERSTAPDOSSIER,
        }
        return self.oso.document(ap.url, **(fields | change))
