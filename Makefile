# Quick start: `make run` (default scenario) and `make test` (whole suite). Both build .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint system-deps bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m sim

# The whole truth: Python packages (pyproject's `test` extra), Debian's chromium and slurm-wlm when root
# (scripts/system-deps.sh), the architecture and style checks (lint), then every test on 2 workers with line
# coverage of sim/ (figure printed at the end). --dist worksteal: a worker that runs out of tests takes some of the
# other's, so a long test near the end does not leave one core idle.
test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -n 2 --dist worksteal -q --cov=sim --cov-report=term:skip-covered

# dependencies run one way between the rooms of sim/ (pyproject's [tool.importlinter]); the agreed ruff rules
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check sim tests experiments benchmarks

system-deps:
	@bash scripts/system-deps.sh

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q -m "not slow"

# speed and memory against the targets of issues 6 and 15 (the two uncertainty rows alone took 19 min on 2026-12-03); table printed,
# figures in results/bench/latest.json.
# Also installs the profiler (the `bench` extra) for following a figure up: see docs/performance.md.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) results
