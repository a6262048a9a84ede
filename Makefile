# pmo-warehouse: the README's commands.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BASE_STAMP := $(VENV)/.installed-base
PIP_FLAGS := -qq --disable-pip-version-check
# The oldest DuckDB client the README promises reads serving.duckdb, installed beside the venv (never on
# sys.path of the project) for tests/integration/test_pipeline.py::test_oldest_promised_client_reads_serving.
OLD_DUCKDB_VERSION := 1.1.3
OLD_DUCKDB := $(VENV)/duckdb-$(OLD_DUCKDB_VERSION)
OLD_DUCKDB_STAMP := $(OLD_DUCKDB)/.installed
# mypy, installed beside the venv like the old client: mypy 2.x requires pathspec>=1 and dbt-core
# pathspec<0.13, so it cannot sit in the project's dependency set ([dev] pins the other lint tools).
# make lint runs it with this directory first on PYTHONPATH, over the venv's packages.
MYPY_VERSION := 2.4.1
MYPY := $(VENV)/mypy-$(MYPY_VERSION)
MYPY_STAMP := $(MYPY)/.installed

.PHONY: demo test test-all test-spark install-spark lint lint-python lint-sql lint-types dev bench bench-scale clean install

install: $(STAMP) $(OLD_DUCKDB_STAMP) $(MYPY_STAMP)

# uv installs the same packages as pip (the same resolution of pyproject.toml) about five times faster: 8 s
# against 45 s for the product's 150 packages on a 2-core machine, even with its download cache empty. It is
# installed from PyPI beside the venv (never inside it), and pip does the install instead when uv cannot be
# had or fails (a machine whose only index is pip's configuration, which uv does not read).
UV_VERSION := 0.13.9
UV := $(VENV)/uv-$(UV_VERSION)/bin/uv
define install_packages
	@{ test -x $(UV) || $(BIN)/python -m pip install $(PIP_FLAGS) --target $(VENV)/uv-$(UV_VERSION) uv==$(UV_VERSION) > /dev/null 2>&1; } \
	  && $(UV) pip install --quiet --python $(BIN)/python $(1) \
	  || { echo "(uv unavailable: installing with pip)"; $(BIN)/python -m pip install $(PIP_FLAGS) --no-compile $(1); }
endef

# Neither uv nor pip (--no-compile) byte-compiles what it installs; compileall then compiles the venv on every
# core, as the first imports of a run would otherwise have to. The packages' own test suites (30 % of the
# venv's bytecode, never imported by pmo) are left out.
COMPILE := $(BIN)/python -m compileall -q -j 0 -x '/(tests?|testing)/' $(VENV)/lib > /dev/null 2>&1 || true

# What `make demo` needs (the product); `make test` adds the dev and cluster extras.
$(BASE_STAMP): pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) (first time: under a minute)…"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call install_packages,-e .)
	@$(COMPILE)
	@touch $(BASE_STAMP)

# (a variable: a comma in $(call)'s argument would split it)
DEV_EXTRAS := -e '.[dev,cluster]'
$(STAMP): $(BASE_STAMP)
	$(call install_packages,$(DEV_EXTRAS))
	@$(COMPILE)
	@touch $(STAMP)

## The optional Spark extra (dbt-spark session method + pyspark) into the same venv; needs Java 17 on PATH.
SPARK_STAMP := $(VENV)/.installed-spark
install-spark: $(SPARK_STAMP)

SPARK_EXTRAS := -e '.[dev,spark]'
$(SPARK_STAMP): pyproject.toml | $(STAMP)
	@command -v java >/dev/null || { echo "install-spark: no java on PATH (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(call install_packages,$(SPARK_EXTRAS))
	@$(COMPILE)
	@touch $(SPARK_STAMP)

$(OLD_DUCKDB_STAMP): | $(STAMP)
	@rm -rf $(OLD_DUCKDB)
	@$(BIN)/python -m pip install $(PIP_FLAGS) --no-warn-conflicts --no-deps --target $(OLD_DUCKDB) duckdb==$(OLD_DUCKDB_VERSION)
	@touch $(OLD_DUCKDB_STAMP)

$(MYPY_STAMP): | $(STAMP)
	@rm -rf $(MYPY)
	@$(BIN)/python -m pip install $(PIP_FLAGS) --no-warn-conflicts --target $(MYPY) mypy==$(MYPY_VERSION)
	@touch $(MYPY_STAMP)

## Generate the demo organisation and run the whole flow for each of its periods.
demo: $(BASE_STAMP)
	$(BIN)/pmo demo

## Lint first, then the default (quick) test suite, one test module per worker process (modules share pipeline runs);
## the slowest tests are listed at the end, to keep the suite well under 15 minutes.
test: lint $(STAMP) $(OLD_DUCKDB_STAMP)
	$(BIN)/pytest -n auto --dist loadfile --durations=12

## The Spark tests (marker spark, excluded from make test): the dbt project built on Spark local[2] and compared
## with DuckDB. One worker: each test holds a JVM.
test-spark: $(SPARK_STAMP) $(OLD_DUCKDB_STAMP)
	$(BIN)/pytest -m spark -p no:xdist

## Every test, slow ones included.
test-all: $(STAMP) $(OLD_DUCKDB_STAMP)
	$(BIN)/pytest -m '' -n auto --dist loadfile

## ruff (Python), sqlfluff (the dbt models and data tests) and mypy (the package); any finding fails.
lint: lint-python lint-sql lint-types

lint-python: $(STAMP)
	$(BIN)/ruff check orchestration tests bench

lint-sql: $(STAMP)
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests --processes 0 --disable-progress-bar

lint-types: $(STAMP) $(MYPY_STAMP)
	PYTHONPATH=$(MYPY) $(BIN)/python -m mypy

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
