"""Runners for the worker pool's tests (``conformance.mutation.run_mutants(runner=...)``): importable by
name, as a spawned worker needs, and each behaving as a mutant's run can: done after a while, crashed,
hung, raised. A name says what to do: ``<anything>:<seconds>``, ``crash``, ``hang...``, ``raise``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from conformance.mutation import MutantResult


def scripted(name: str, out: Path, seed: int) -> MutantResult:
    """Done after the seconds the name gives, caught by a rule that names the mutant and the seed."""
    (out / f"{name}.pid").write_text(str(os.getpid()))
    if name == "crash":
        print("the worker goes down now", file=sys.stderr, flush=True)
        os._exit(3)
    if name.startswith("hang"):
        time.sleep(3600)
    if name == "raise":
        raise RuntimeError("a surprise in the run")
    time.sleep(float(name.partition(":")[2] or 0))
    return MutantResult(name, "a scripted defect", "bron", (f"RULE-{name}-{seed}",), 1)
