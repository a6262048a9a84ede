# pmo-warehouse: the README's commands.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP_FLAGS := -qq --disable-pip-version-check

.PHONY: demo test test-all lint dev bench bench-scale clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) (first time: about a minute)…"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev]'
	@touch $(STAMP)

## Generate the demo organisation and run the whole flow for each of its periods.
demo: $(STAMP)
	$(BIN)/pmo demo

## The default (quick) test suite, one test module per worker process (modules share pipeline runs).
test: $(STAMP)
	$(BIN)/pytest -n auto --dist loadfile

## Every test, slow ones included.
test-all: $(STAMP)
	$(BIN)/pytest -m '' -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests

## The Dagster UI on the demo home.
dev: $(STAMP)
	$(BIN)/pmo ui

bench: $(STAMP)
	$(BIN)/python bench/bench_xer.py
	$(BIN)/python bench/bench_mart.py

## Cold run and a night's increment at 30, 300 and 2,000 projects x 36 months (minutes; 8 GB at 2,000 on main).
## e.g. make bench-scale BENCH_SCALE_ARGS="--sizes 30,300 --record"
BENCH_SCALE_ARGS ?=
bench-scale: $(STAMP)
	$(BIN)/python bench/bench_scale.py $(BENCH_SCALE_ARGS)

clean:
	rm -rf $(VENV) .pmo dbt_project/target dbt_project/logs
