"""Reports of conformance runs: versioned JSON, JUnit XML for CI, a self-contained HTML page, diffs.

A conformance run produces one ``results.json`` (schema ``schemas/results-v2.schema.json``,
``osokit-results/2``; version 1 files are still read); every other output is rendered from it
alone, so an old run can be re-rendered, compared or fed to CI later without re-running anything.

- ``results``: the typed values, ``Results.load``/``dump``, the schema checker ``validate``.
- ``junit``: ``junit_xml(results)`` for GitLab, Jenkins and GitHub test reporters.
- ``html``: ``html_report(results, lang)``, one offline page with the verdict, rules, failures, evidence,
  in English or Dutch (the words: ``i18n``).
- ``diff``: ``diff(old, new)`` and ``render_diff_text`` for "what changed since the last run".
- ``browser``: headless Chromium helpers that screenshot a report with the network shut off.

``write_all`` writes the three files a run leaves behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from reports.results import Results, write_atomic

__all__ = ["OUTPUTS", "write_all"]

OUTPUTS = {"json": "results.json", "junit": "junit.xml", "html": "report.html"}
"""The file each output is written to inside the output folder."""


def write_all(results: Results, out_dir: str | os.PathLike[str], *, lang: str = "en") -> dict[str, Path]:
    """``results.json``, ``junit.xml`` and ``report.html`` (in ``lang``: en or nl) in ``out_dir``.

    Returns the paths by kind (``json``, ``junit``, ``html``). Each file is written atomically.
    """
    from reports.html import html_report
    from reports.junit import junit_xml

    out = Path(out_dir)
    return {
        "json": results.dump(out / OUTPUTS["json"]),
        "junit": write_atomic(out / OUTPUTS["junit"], junit_xml(results)),
        "html": write_atomic(out / OUTPUTS["html"], html_report(results, lang).encode("utf-8")),
    }
