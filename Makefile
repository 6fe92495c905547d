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

.PHONY: demo test lint test-slow soak docs clean

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

test: lint
	$(BIN)/python -m pytest -q

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
