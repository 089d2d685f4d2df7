"""`make demo`: run the harness once on this machine and say where everything is."""

from __future__ import annotations

import time
from pathlib import Path

from fixtures.cohort import write_cohort
from fixtures.generator import Size
from fixtures.validate import validate_paths
from oso.profiles import Profile
from oso.schema import dossier_schema
from oso.validation import failed

DEMO_COUNTS = {Size.OPT_OUT: 25, Size.FULL: 5}


def run_demo(out: Path, *, seed: int = 0) -> int:
    started = time.monotonic()
    schema = dossier_schema()
    rows = []
    for profile in Profile:
        for size, count in DEMO_COUNTS.items():
            folder = out / "fixtures" / f"{profile.value}-{size.value}"
            write_cohort(folder, profile, count, seed=seed, size=size)
            results = list(validate_paths([folder], schema))
            invalid = sum(failed(problems) for _, problems in results)
            rows.append((profile.value, size.value, len(results), invalid, folder))
    print(f"{'profile':<11} {'size':<8} {'dossiers':>8} {'invalid':>8}  folder")
    for profile_name, size_name, n, invalid, folder in rows:
        print(f"{profile_name:<11} {size_name:<8} {n:>8} {invalid:>8}  {folder}")
    total_invalid = sum(r[3] for r in rows)
    print(
        f"\n{sum(r[2] for r in rows)} synthetic dossiers generated and validated in "
        f"{time.monotonic() - started:.1f} s; {total_invalid} invalid."
    )
    print(f"Dossiers and manifests: {out / 'fixtures'}")
    return 1 if total_invalid else 0
