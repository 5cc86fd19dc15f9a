# The commands of the README: `make demo`, `make test` and `make bench`. Each creates .venv and installs what is missing.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "hrcase needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev,kafka]"
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/hrcase demo

test: $(STAMP)
	scripts/test

# Every benchmark at the sizes of issue 8; results in bench/results/, tables in docs/benchmarks.md.
# Arguments through BENCH_ARGS, e.g. make bench BENCH_ARGS="--only sla --runs 5".
bench: $(STAMP)
	scripts/bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
