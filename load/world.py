"""What load users know of the simulator: its schools, and its generated cohort page by page.

Read over the admin API once per process (pupil numbers travel in clear there: it is the test
set-up channel, never the OSO wire).
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

import httpx

from simulator.access import client_headers

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PAGE = 1000
# locust logs at INFO, where httpx logs every admin request: those lines would sit among locust's own.
logging.getLogger("httpx").setLevel(logging.WARNING)


class World:
    """The simulator's schools and a page-wise view of its cohort, fetched over the admin API."""

    def __init__(self, host: str, profile: str, seed: int, token: str | None = None) -> None:
        self.http = httpx.Client(base_url=host, timeout=60, headers=client_headers(token))  # else $OSOKIT_ADMIN_TOKEN
        register = self.http.get("/admin/register").json()
        self.schools = {s["brin"]: s for s in register["schools"] if s.get("endpoints")}
        first = self.http.get("/admin/cohort", params={"profile": profile, "limit": 1}).json()
        self.profile, self.total = profile, int(first["total"])
        if not self.total:
            raise RuntimeError(f"the simulator has no {profile} cohort: start it with --cohort {profile}=N")
        self.rng = random.Random(seed)
        self.pages: dict[int, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def page(self, n: int) -> list[dict[str, Any]]:
        with self.lock:  # users of one process share the pages: each is fetched once
            if n not in self.pages:
                params: dict[str, str | int] = {"profile": self.profile, "offset": n * PAGE, "limit": PAGE}
                self.pages[n] = self.http.get("/admin/cohort", params=params).json()["pupils"]
            return self.pages[n]

    def pupil(self, index: int | None = None) -> dict[str, Any]:
        index = self.rng.randrange(self.total) if index is None else index % self.total
        return self.page(index // PAGE)[index % PAGE]

    def groep8(self) -> list[dict[str, Any]]:
        """The pupils of one po school in one page: a class the vo school asks for at once."""
        page = self.page(self.rng.randrange((self.total + PAGE - 1) // PAGE))
        school = self.rng.choice(page)["bron_brin"]
        return [p for p in page if p["bron_brin"] == school][:30]

    def doel(self, sector: str) -> tuple[str, str]:
        """A reference school of ``sector`` as the doel, with its aanleverpunt."""
        brin = self.rng.choice(
            [b for b, s in self.schools.items() if s["sector"] == sector and s["vendor"] == "reference"]
        )
        return brin, self.schools[brin]["endpoints"][0]["routeringskenmerk"]
