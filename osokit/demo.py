"""`make demo`: run the harness once on this machine and say where everything is.

Three steps: synthetic dossiers (generated and validated), the conformance suite against the
simulator's built-in reference LAS, and the same suite against one faulty LAS (a mutant), so the
reports show both a pass and what a failure looks like.
"""

from __future__ import annotations

import time
from pathlib import Path

from conformance.options import RunOptions, Target
from conformance.run import describe, run
from fixtures.cohort import write_cohort
from fixtures.generator import Size
from fixtures.validate import validate_paths
from oso.profiles import Profile, Role
from oso.schema import dossier_schema
from oso.validation import failed

DEMO_COUNTS = {Size.OPT_OUT: 25, Size.FULL: 5}
DEMO_MUTANT = "doel-closes-twice"


def fixtures_step(out: Path, seed: int) -> int:
    schema = dossier_schema()
    rows = []
    for profile in Profile:
        for size, count in DEMO_COUNTS.items():
            folder = out / f"{profile.value}-{size.value}"
            write_cohort(folder, profile, count, seed=seed, size=size, force=True)  # the demo owns its folder
            results = list(validate_paths([folder], schema))
            rows.append((profile.value, size.value, len(results), sum(failed(p) for _, p in results), folder))
    print(f"{'profile':<11} {'size':<8} {'dossiers':>8} {'invalid':>8}  folder")
    for profile_name, size_name, n, invalid, folder in rows:
        print(f"{profile_name:<11} {size_name:<8} {n:>8} {invalid:>8}  {folder}")
    return sum(r[3] for r in rows)


def run_demo(out: Path, *, seed: int = 0) -> int:
    started = time.monotonic()
    print("== 1/3 synthetic dossiers: generate and validate (XSD + business rules)")
    invalid = fixtures_step(out / "fixtures", seed)

    print("\n== 2/3 conformance suite against the simulator's reference LAS (doel and bron, popo/povo/vovo)")
    step = time.monotonic()
    reference = run(RunOptions(seed=seed, out=out / "conformance", command=f"osokit demo --out {out}"), quiet=True)
    print(describe(reference, time.monotonic() - step))

    print(f"\n== 3/3 the same suite against a faulty LAS (mutant '{DEMO_MUTANT}': sends the afmelding twice)")
    step = time.monotonic()
    mutant = run(
        RunOptions(target=Target(mutant=DEMO_MUTANT), roles=(Role.DOEL,), seed=seed, out=out / "conformance-mutant"),
        quiet=True,
    )
    print(describe(mutant, time.monotonic() - step))

    ok = invalid == 0 and reference.code == 0 and mutant.code == 1
    verdict = "all as expected" if ok else "SOMETHING IS WRONG (see above)"
    print(f"\nDone in {time.monotonic() - started:.1f} s: {verdict}.")
    print(f"  Open {out / 'conformance' / 'report.html'} in a browser: the reference LAS passes every check.")
    print(f"  Open {out / 'conformance-mutant' / 'report.html'}: a failure, with the messages that prove it.")
    print(
        "Next: `osokit serve` runs the simulator for your LAS; `osokit conformance run --target URL` checks it "
        "(docs/conformance.md)."
    )
    return 0 if ok else 1
