"""Run every benchmark: `python -m bench [--quick]`."""

from __future__ import annotations

import argparse
import platform

from bench import dossiers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    print(
        f"osokit benchmarks on {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}; medians of interleaved rounds\n"
    )
    dossiers.run(scale)


if __name__ == "__main__":
    main()
