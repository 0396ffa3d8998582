# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install browser clean

BENCH_SIZES ?= 1000 10000

demo: $(VENV)/.installed
	$(BIN)/escalation demo

test: $(VENV)/.installed browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The web UI's browser tests drive Debian's chromium (Playwright's own browser download is not used):
# installed with apt-get when it is missing and apt-get is there (as root, or through sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

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
