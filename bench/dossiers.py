"""Dossier generation rate and validation cost relative to raw lxml (issue 3)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lxml import etree

from bench.timing import interleaved, row
from fixtures.cohort import generate, write_cohort
from fixtures.generator import Size
from oso import codec, schema, validation
from oso.profiles import Profile


def run(scale: float = 1.0) -> None:
    print("Dossiers (one process, one core)")
    for size, count in ((Size.OPT_OUT, int(2000 * scale)), (Size.FULL, int(500 * scale))):

        def in_memory(count: int = count, size: Size = size) -> None:
            for item in generate(Profile.POVO, count, seed=1, size=size):
                codec.encode(item.dossier)

        with tempfile.TemporaryDirectory() as tmp:

            def to_disk(tmp: str = tmp, count: int = count, size: Size = size) -> None:
                write_cohort(Path(tmp) / "c", Profile.POVO, count, seed=1, size=size, force=True)

            t = interleaved({"memory": in_memory, "disk": to_disk}, rounds=3)
        row(
            f"generate {size.value} (model + XML)",
            f"{count / t['memory']:,.0f} /s",
            "target >= 1,000/s" if size is Size.OPT_OUT else "",
        )
        row(f"generate {size.value} + write file + manifest", f"{count / t['disk']:,.0f} /s")

    xsd = schema.dossier_schema()
    for size, count in ((Size.OPT_OUT, int(1000 * scale)), (Size.FULL, int(250 * scale))):
        docs = [codec.encode(i.dossier) for i in generate(Profile.POVO, count, seed=2, size=size)]

        def raw(docs: list[bytes] = docs) -> None:
            for data in docs:
                xsd.validate(etree.fromstring(data))  # noqa: TID251 - raw lxml is what this row compares against

        def ours(docs: list[bytes] = docs) -> None:
            for data in docs:
                validation.validate(data, xsd)

        t = interleaved({"raw": raw, "ours": ours})
        row(f"validate {size.value}: osokit (parse + XSD + all rules)", f"{count / t['ours']:,.0f} /s")
        row(f"validate {size.value}: raw lxml parse + XSD", f"{count / t['raw']:,.0f} /s")
        row(f"validate {size.value}: ratio osokit / raw lxml", f"{t['raw'] / t['ours']:.2f}", "target >= 0.5")
    print(f"  (cpu count {os.cpu_count()})")
