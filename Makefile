# merit — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= var/demo
BENCH_DIR ?= var/bench

.PHONY: demo demo-cli test test-postgres lint bench venv clean fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark]'
	touch $@

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check merit tests benchmarks manage.py
	$(VENV)/bin/ruff format --check merit tests benchmarks manage.py
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

# The suite on the embedded default (SQLite). CI runs it on PostgreSQL too (test-postgres).
test: lint
	$(PY) -m pytest -q

# The application's tests against PostgreSQL (DATABASE_URL, default: the local server, trust auth).
PG_URL ?= postgres://postgres@127.0.0.1:5432/merit
test-postgres: $(VENV)/.installed
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q merit

# The API fuzz test with a longer profile (200 generated requests per operation and role; make test runs 10).
fuzz: $(VENV)/.installed
	MERIT_FUZZ_EXAMPLES=200 $(PY) -m pytest -q -s merit/api/tests/test_fuzz.py

# The embedded default: migrate a SQLite file, generate and import a demo shop (3 teams, 30 agents,
# 6 months), print the users of every role with their passwords, and serve on 127.0.0.1:8000.
demo: $(VENV)/.installed
	$(VENV)/bin/merit demo --dir $(DEMO_DIR)

# The command-line assessment of the bundled sample package with every preset (no server, no database).
demo-cli: $(VENV)/.installed
	$(VENV)/bin/merit policy list
	@for p in S1 S5 S6 S6-FD S7 S10; do \
	  $(VENV)/bin/merit assess --data sample_data/shop --policy $$p --period 2026-03 --out $(DEMO_DIR)/cli/$$p --limit 12 || exit $$?; \
	done
	@for p in S2 S3 S4 S8 S9; do \
	  $(VENV)/bin/merit assess --data sample_data/shop --policy $$p --period 2026-01..2026-06 --out $(DEMO_DIR)/cli/$$p --quiet || exit $$?; \
	done
	@echo "results written under $(DEMO_DIR)/cli/<preset>/results.json"

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_engine.py --dir $(BENCH_DIR)
	$(PY) benchmarks/bench_app.py --dir $(BENCH_DIR)
	$(PY) benchmarks/bench_runs.py --dir $(BENCH_DIR)
	$(PY) benchmarks/bench_desk.py --dir $(BENCH_DIR)
	$(PY) benchmarks/bench_spark.py --dir $(BENCH_DIR)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
