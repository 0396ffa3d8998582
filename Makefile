# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install clean

BENCH_SIZES ?= 1000 10000

demo: $(VENV)/.installed
	$(BIN)/escalation demo

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Scale benchmark (README, "Benchmarks"); BENCH_SIZES="1000 10000 100000" adds the 100k world (minutes).
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_scale.py --sizes $(BENCH_SIZES)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV)
