"""One error root: every error osokit raises on purpose derives from OsokitError; the CLI maps a UserError
to one line and exit code 2, wherever it is raised."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import conformance
import fixtures
import load
import oso
import osokit
import reports
import simulator
from oso.errors import OsokitError
from osokit.cli import main

PACKAGES = (oso, fixtures, simulator, conformance, load, reports, osokit)
SKIP = {
    "conformance.scenarios",
    "load.locustfile",
    "load.capacityfile",
    "load.replay",
}  # pytest modules and locust files, imported by their tools


def osokit_exceptions() -> list[type[BaseException]]:
    found = []
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if any(info.name.startswith(s) for s in SKIP):
                continue
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                    found.append(cls)
    return found


def test_every_error_class_has_the_one_root():
    classes = osokit_exceptions()
    assert len(classes) >= 20  # the walk found them (a broken walk must not pass)
    outcomes = (pytest.skip.Exception,)  # a check's outcome (not testable), not an error
    strays = [
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not issubclass(c, OsokitError) and not issubclass(c, outcomes)
    ]
    assert strays == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["serve", "--scenario", "/nonexistent/s.toml", "--port", "0"],
            "/nonexistent/s.toml: no such file",
        ),  # found by the argument checks, before any work: the subcommand's usage and one error line
        (["serve", "--vut", "mutant:nope", "--port", "0"], "--vut mutant:nope"),  # the registry's UserError, checked
        (["report", "validate", "/nonexistent/results.json"], "/nonexistent/results.json"),  # ResultsError
        (["fixtures", "validate", "--schema-dir", "/nonexistent/xsd", "."], "/nonexistent/xsd"),  # SchemaError
    ],
)
def test_a_user_error_from_any_package_is_one_line_and_exit_2(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error: " in line]
    assert len(errors) == 1 and errors[0].startswith("osokit") and says in errors[0], err
    assert "Traceback" not in err
