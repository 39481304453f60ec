# Injaaz: `make run` serves the app, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test lint install install-dev system-packages browsers clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian packages outside the venv (WeasyPrint's libraries, fonts, Chromium, …): installed when
# missing if it can, otherwise it stops with the apt-get line to run.
system-packages:
	bin/system-packages

run: system-packages install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py ensure_demo_user
	DEBUG=1 PY=$(PY) bin/run

# `make test PYTEST_ARGS="tests/test_jobs_reports.py -x"` runs part of the suite.
test: system-packages install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
