"""A real simulator for each test that needs one: uvicorn on 127.0.0.1, a small cohort, a fresh data dir."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from oso import transport as t
from simulator.client import OsoClient
from simulator.server import Running, start_in_thread
from simulator.service import Config, Simulator

SMALL_COHORT = {"povo": 40, "popo": 10, "vovo": 10, "binnenbrin": 10}


@dataclass
class World:
    """A running simulator and the handles a test needs: admin JSON, a SOAP client, the register."""

    running: Running
    admin: httpx.Client
    oso: OsoClient

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def sim(self) -> Simulator:
        return self.running.simulator

    def close(self) -> None:
        self.admin.close()
        self.oso.close()
        self.running.stop()

    def pupil(self, label: str) -> dict[str, Any]:
        return self.admin.get(f"/admin/pupils/{label}").json()

    def school(self, sector: str, n: int = 0) -> tuple[str, str]:
        """(brin, routeringskenmerk) of the n-th school of a sector."""
        schools = [s for s in self.sim.register.schools.values() if s.sector == sector]
        brin = schools[n].brin
        return brin, self.sim.register.endpoints_of(brin)[0].routeringskenmerk

    def overdracht(self, pupil: dict[str, Any], doel: tuple[str, str], **kw: Any) -> t.OverdrachtResponse:
        fields = (
            dict(
                bron_brin=pupil["bron_brin"],
                doel_brin=doel[0],
                doel_rk=doel[1],
                zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
                overdrachtsoort="overstapdossier",
            )
            | kw
        )
        return self.oso.overdracht(**fields)

    def document(
        self, pupil: dict[str, Any], doel: tuple[str, str], granted: t.OverdrachtResponse, **kw: Any
    ) -> t.DocumentResponse:
        ap = granted.aanleverpunt[0]
        fields = (
            dict(
                sessie_id=granted.sessie_id,
                bron_brin=pupil["bron_brin"],
                bron_rk=ap.routeringskenmerk,
                doel_brin=doel[0],
                doel_rk=doel[1],
                zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
                overdrachtsoort="overstapdossier",
            )
            | kw
        )
        return self.oso.document(ap.url, **fields)


def start_world(config: Config) -> World:
    running = start_in_thread(config)
    return World(running, httpx.Client(base_url=running.url, timeout=30), OsoClient(running.url))


@pytest.fixture
def world(tmp_path):
    w = start_world(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT))
    yield w
    w.close()
