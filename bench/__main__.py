"""Run every benchmark: `python -m bench [--quick]`."""

from __future__ import annotations

import argparse
import platform

from bench import dossiers, exchange, load, simulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run)")
    parser.add_argument("--only", choices=["dossiers", "exchange", "simulator", "load"], help="run one section")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    print(
        f"osokit benchmarks on {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}; medians of interleaved rounds\n"
    )
    sections = {"dossiers": dossiers.run, "exchange": exchange.run, "simulator": simulator.run, "load": load.run}
    for name, section in sections.items():
        if args.only in (None, name):
            section(scale)


if __name__ == "__main__":
    main()
