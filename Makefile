# Two entry points (see README): `make run` and `make test`. Both need only python3.11 on PATH.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cbam run --scenario eu-cbam-rules-2026 --year 2025 --by origin,sector --top 25

lint: $(STAMP)
	$(BIN)/ruff check cbam tests benchmarks scripts
	$(BIN)/ruff format --check cbam tests benchmarks scripts
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest

# The documentation site, into site/ (offline; the notebooks run on the bundled data).
# `make test` builds it too, with --strict (tests/test_docs.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_compute.py
	$(BIN)/python benchmarks/bench_totals.py
	$(BIN)/python benchmarks/bench_reference.py
	$(BIN)/python benchmarks/bench_sweep.py
	nice $(BIN)/python benchmarks/bench_scale.py

clean:
	rm -rf $(VENV) build dist site .pytest_cache .mypy_cache .ruff_cache .hypothesis
