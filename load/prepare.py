"""The pupils a LAS holds as bron for a capacity run, given to it as the conformance suite gives them:
export mode, neutral pupil data (``POST /control/pupils``) that the LAS maps into its own data model
and prepares with its own export, so the dossiers it serves under load are its own.
"""

from __future__ import annotations

from datetime import datetime

from conformance.adapter import AdapterError, NotSupported, VendorAdapter, VendorInfo
from conformance.harness import AMSTERDAM, Timeline
from conformance.pupildata import version
from load.run import LoadError
from oso.profiles import Profile


def prepare_pupils(adapter: VendorAdapter, vendor: VendorInfo, bron_brin: str, count: int, seed: int) -> list[str]:
    """``count`` po-vo pupils prepared (klaargezet, seen by the parents) at the LAS's po school; their numbers."""
    timeline = Timeline(vendor.now or datetime.now(AMSTERDAM))
    prepared = timeline.moment(0.5)  # in the LAS's school year, before its now: valid, not expired
    pgns = []
    for index in range(count):
        pupil = version(
            Profile.POVO, index, seed=seed, school_year=timeline.school_year, bron_brin=bron_brin, prepared=prepared
        )
        try:
            adapter.prepare_pupil(bron_brin, pupil.pgn, "ready", [(pupil.prepared, pupil.data)])
        except (AdapterError, NotSupported) as exc:
            raise LoadError(f"the LAS did not take pupil {index + 1} of {count} (POST /pupils): {exc}") from None
        pgns.append(pupil.pgn)
    return pgns
