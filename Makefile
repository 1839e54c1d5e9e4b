# scripthost: `make run` serves the platform, `make test` checks it.
# `make bench` measures it (QUICK=1: under 2 minutes; see bench/README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench conformance clean-venv editor

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "scripthost needs Python 3.11+; try: make PYTHON=python3.12 ..." >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pytest exits 5 when it collects no tests; make treats that as a failure too.
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The seed conformance suite, then docs/conformance.md from its results (the
# suite also runs in `make test`; a failing test is reported, not hidden).
conformance: $(VENV)/.installed
	-CONFORMANCE_REPORT=var/conformance.json $(PY) -m pytest -q -p no:cacheprovider tests/conformance
	$(PY) -m tests.conformance.report var/conformance.json docs/conformance.md

# The bench's extra (matplotlib, py-spy, pyinstrument) on top of .[test]; only
# `make bench` needs it.
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $@

# Not part of `make test`: it takes minutes and needs the machine to itself.
# QUICK=1: the short run; PROFILE=1: also write profiles (see bench/README.md).
bench: $(VENV)/.bench-installed
	QUICK=$(QUICK) PROFILE=$(PROFILE) $(PY) -m bench.run

# The admin's script editor: CodeMirror 6 bundled by esbuild (frontend/) into
# static/scripthost/editor/, and the completions made from scripthost.d.ts.
# Needs node and npm; the output is committed, so run and test do not.
editor: $(VENV)/.installed
	cd frontend && npm ci --no-audit --no-fund && npm run check && npm run build
	$(PY) -m scripts_app.typedefs

clean-venv:
	rm -rf $(VENV)
