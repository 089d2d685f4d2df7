"""docs/simulator.md stays true to the code: its flags exist, its routes exist, and every route is in it.

No server: the CLI parser is built as `osokit` builds it, and the route tables are read from the modules
(building them only defines handlers; the simulator they close over is never touched).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from starlette.routing import Route

from osokit.cli import build_parser
from simulator import admin, control

PAGE = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`]+)`")
FLAG = re.compile(r"--[a-z][a-z0-9-]*")
ADMIN_PATH = re.compile(r"/admin/[^\s`|)\"',?]*")
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser, *, visible_only: bool = False) -> set[str]:
    return {
        option
        for action in parser._actions
        if not (visible_only and action.help == argparse.SUPPRESS)
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def _command_flags(text: str) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(command, flag, its parser) for each `--flag` after an `osokit <subcommand...>` in ``text``."""
    found = []
    for match in re.finditer(r"\bosokit\s+(.*)", text, re.DOTALL):
        parser, words, rest = build_parser(), ["osokit"], match.group(1).split()
        while rest and rest[0] in _subparsers(parser):
            parser = _subparsers(parser)[rest[0]]
            words.append(rest.pop(0))
        found += [(" ".join(words), flag, parser) for flag in FLAG.findall(" ".join(rest))]
    return found


def _mentions(page: str) -> tuple[list[tuple[str, str, argparse.ArgumentParser]], set[str]]:
    """Flags the page gives for an `osokit` command, and the bare `--flag` spans (which are `osokit serve`'s)."""
    commands, bare = [], set()
    for block in FENCE.findall(page):
        for line in block.splitlines():
            commands += _command_flags(line)
    for span in INLINE.findall(FENCE.sub("", page)):
        if "osokit " in span:
            commands += _command_flags(span)
        elif span.startswith("--"):
            bare.update(FLAG.findall(span)[:1])
    return commands, bare


def _serve() -> argparse.ArgumentParser:
    return _subparsers(build_parser())["serve"]


def test_every_flag_on_the_page_exists(page):
    commands, bare = _mentions(page)
    assert bare, "the page's flag table was not found"
    unknown = [f"{cmd} {flag}" for cmd, flag, parser in commands if flag not in _options(parser)]
    unknown += [f"osokit serve {flag}" for flag in sorted(bare - _options(_serve()))]
    assert not unknown, f"docs/simulator.md mentions flags the CLI does not have: {unknown}"


def test_every_serve_flag_is_on_the_page(page):
    _, bare = _mentions(page)
    missing = sorted(_options(_serve(), visible_only=True) - bare)
    assert not missing, f"docs/simulator.md does not describe these `osokit serve` flags: {missing}"


def _documented(path: str) -> str:
    """A route path as the page writes it: /admin/sessions/{sessie_id} -> /admin/sessions/<sessie_id>."""
    return PARAM.sub(lambda m: f"<{m.group(1)}>", path)


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+(?::\w+)?\})", path)
    regex = "".join((".+" if p.endswith(":path}") else "[^/]+") if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex)


def _route_table(routes: list[Route]) -> dict[str, set[str]]:
    return {_documented(r.path): set(r.methods or ()) - {"HEAD"} for r in routes}


def _page_table(page: str, prefix: str) -> dict[str, set[str]]:
    """Rows `| GET, POST | `/admin/clock` | ... |` of the page's tables, as path -> methods."""
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and re.fullmatch(r"[A-Z]+(, [A-Z]+)*", cells[0]) and cells[1].startswith(f"`{prefix}"):
            rows[cells[1].strip("`")] = set(cells[0].split(", "))
    return rows


@pytest.mark.parametrize(
    ("prefix", "routes"),
    [("/admin/", admin.ROUTES), ("/control/", control.routes(None))],  # type: ignore[arg-type]
    ids=["admin", "control"],
)
def test_route_tables_match_the_code(page, prefix, routes):
    assert _page_table(page, prefix) == _route_table(routes)


def test_every_admin_path_mentioned_exists(page):
    patterns = [_pattern(r.path) for r in admin.ROUTES]
    mentioned = {m.rstrip(".:;") for m in ADMIN_PATH.findall(page)}
    unknown = sorted(m for m in mentioned if not any(p.fullmatch(m) for p in patterns))
    assert not unknown, f"docs/simulator.md mentions admin routes that do not exist: {unknown}"


def _common_calls(page: str) -> list[str]:
    """The shell lines of the page's "Common calls" block."""
    block = page.split("Common calls:", 1)[1]
    return FENCE.search(block).group(0).splitlines()[1:-1]


def test_the_common_calls_work_on_a_fresh_simulator_in_the_order_given(page, tmp_path):
    """Each curl line of the block, sent as written (`$A` pointed at a fresh default simulator): all
    answer 200, and the transfer they end with succeeds without any set-up from elsewhere on the page."""
    import shlex

    import httpx

    from simulator.server import start_in_thread
    from simulator.service import Config

    running = start_in_thread(Config(data_dir=tmp_path))
    answers: dict[str, object] = {}
    try:
        variables: dict[str, str] = {}
        for line in _common_calls(page):
            words = shlex.split(line, comments=True)
            if len(words) == 1 and "=" in words[0]:
                name, value = words[0].split("=", 1)
                variables[name] = value.replace("http://127.0.0.1:8700", running.url)
                continue
            assert words[0] == "curl", line
            method, body, url = "GET", None, None
            args = iter(words[1:])
            for word in args:
                if word == "-XPOST":
                    method = "POST"
                elif word == "-d":
                    body = next(args)
                elif not word.startswith("-"):
                    url = re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], word)
            response = httpx.request(method, url, content=body, timeout=30)
            assert response.status_code == 200, (line, response.text)
            answers[url] = response.json()
    finally:
        running.stop()
    transfer = next(a for url, a in answers.items() if url.endswith("/las/transfers"))
    assert [t["resultaat"] for t in transfer["transfers"]] == ["OverdrachtGeslaagd"], transfer
    imports = next(a for url, a in answers.items() if "/las/imports" in url)["imports"]
    assert {i["step"] for i in imports} == {"personalia", "schoolloopbaan", "ondersteuning"}
