# Two entry points: `make demo` (set up, then run the demo) and `make test` (set up, then run the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.wordseq-installed

.PHONY: demo test test-slow bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[plot,dev]'
	@# kenlm compiles from source; without it only the tests that compare against it are skipped.
	$(BIN)/python -m pip install --quiet kenlm || echo "note: kenlm did not install; tests against it will be skipped"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wordseq demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) wordseq-demo .pytest_cache
