# Entry points: `make demo` (set up, then run the demo), `make test` (set up, lint, type-check, then the
# tests), `make lint` (the three static checks alone), `make docs` (the HTML API reference in docs/api/),
# `make soak` (the long reliability runs: thousands of fuzzed inputs per reader, many kills; about an hour).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.wordseq-installed
DEVSTAMP := $(VENV)/.wordseq-dev-installed
CODE   := src tests bench
# Every public module of the package, for the API reference (private _modules and __main__ left out).
MODULES = $(shell cd src && find wordseq -name '*.py' | sed -e 's|/__init__\.py$$||' -e 's|\.py$$||' -e 's|/|.|g' \
            | grep -v -e '\._' | sort)

.PHONY: demo test lint test-slow soak docs clean browser

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# What the tests and checks need besides: the reference tools (gensim, NLTK, seqeval, fastText) and the linters,
# then kenlm, which compiles from source (a C++ compiler and the Python headers). The tests compare the n-gram
# models against it, so a failed build stops here rather than letting those comparisons skip.
$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet kenlm
	touch $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/wordseq demo

lint: $(DEVSTAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

test: lint browser
	$(BIN)/python -m pytest -q

# The browser tests of `wordseq serve`'s page run in a headless Chromium. When it or its driver is missing and
# this is root on a machine with apt-get, install them; anywhere else say that those tests will skip. This step
# never fails the build: the rest of the suite needs nothing but Python, pip and a C compiler.
CHROMIUM := $(firstword $(foreach b,chromium chromium-browser google-chrome,$(shell command -v $(b) 2>/dev/null)))
browser:
	@if [ -n "$(CHROMIUM)" ] && command -v chromedriver >/dev/null 2>&1; then \
	    echo "browser tests: $(CHROMIUM) and $$(command -v chromedriver)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "browser tests: installing chromium and chromium-driver with apt-get"; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
	      || { apt-get update -qq >/dev/null 2>&1 \
	           && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }; } \
	      || echo "browser tests: chromium could not be installed; they will skip"; \
	else \
	    echo "browser tests: no chromium and chromedriver here (and no root apt-get to install them); they will skip"; \
	fi

test-slow: $(DEVSTAMP)
	$(BIN)/python -m pytest -q -m slow

# The figures (inputs tried per reader, kills survived, faults injected) are printed at the end and kept in
# reliability-report.json.
soak: $(DEVSTAMP)
	WORDSEQ_RELIABILITY_REPORT=reliability-report.json $(BIN)/python -m pytest -q -m soak tests/reliability

docs: $(DEVSTAMP)
	rm -rf docs/api
	$(BIN)/pdoc --docformat restructuredtext -o docs/api $(MODULES)
	@echo "API reference: docs/api/index.html"

clean:
	rm -rf $(VENV) wordseq-demo .pytest_cache .mypy_cache .ruff_cache docs/api reliability-report.json
