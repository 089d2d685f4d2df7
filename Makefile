# osokit: two commands for a newcomer, `make demo` and `make test`.
# Everything runs from a project-local virtualenv that this Makefile creates.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
OUT    ?= out

# Debian's chromium for the browser tests: installed when missing and this is root (.ci/chromium);
# otherwise those tests skip with one line saying so (a failure under CI=true). BROWSER_INSTALL=no
# never installs.
BROWSER_INSTALL ?= yes

.PHONY: install demo test test-slow bench lint clean browser

install: $(STAMP)

# PIP_EDITABLE: setuptools notes every editable install ("Editable installation. Please be careful
# with folders ..."): a note, not a problem, and the only line an install would otherwise print.
PIP_EDITABLE := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP_EDITABLE) '.[dev]'
	@touch $(STAMP)

browser:
	@if [ "$(BROWSER_INSTALL)" = yes ]; then bash .ci/chromium --if-possible; fi

demo: install
	$(BIN)/osokit demo --out $(OUT)/demo

test: install browser
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The slow suites (kill -9 loops, full hostile corpus, big cohorts). OSOKIT_REDUCED=1 makes
# each run a smaller but complete version of itself; CI runs them that way.
test-slow: install browser
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# The bench extra (spyne, the SOAP service the Traffic Center is compared with) only for `make bench`.
$(BENCH_STAMP): $(STAMP)
	$(PIP_EDITABLE) '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check oso fixtures simulator conformance load reports osokit bench tests
	$(BIN)/ruff format --check oso fixtures simulator conformance load reports osokit bench tests
	$(BIN)/mypy  # what and how strictly: [tool.mypy] in pyproject.toml

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
