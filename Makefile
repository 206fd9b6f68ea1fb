# Routing Health — developer commands. Everything runs from the project's own .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install test test-sqlite test-postgres postgres-answers lint bench bench-scale demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The suite on SQLite, then on PostgreSQL. PostgreSQL is checked first so a missing server
# fails the run at once instead of after the SQLite pass (`make test-sqlite` runs without it).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	@$(MAKE) --no-print-directory postgres-answers
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

postgres-answers: $(STAMP)
	@$(PY) -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null \
		|| { echo "make test: PostgreSQL at $(PG_URL) does not answer; start it (.ci/run does) or run 'make test-sqlite' alone" >&2; exit 1; }

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite"
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== test suite on PostgreSQL"
	DATABASE_URL=$(PG_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true

bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

# Only the scale run (bench/bench_scale.py: the real commands as processes on a 1M- and a
# 100k-lead org, SQLite and PostgreSQL); BENCH_ARGS="--scale small" for 100k alone.
bench-scale: $(STAMP)
	$(PY) -m bench.run --only scale $(BENCH_ARGS)

demo: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) data artifacts .pytest_cache .ruff_cache .hypothesis
