# budgetlens — two commands do everything on a fresh machine with Python 3.11:
#   make demo   create .venv, install, run on the bundled samples, write a report
#   make test   create .venv if needed and run the test suite
# and for development:
#   make lint        ruff (pyflakes, bugbear, isort, mccabe ≤ 20) and mypy on the core packages
#   make test-fast   the suite without Prefect, Chromium, the notebook kernel and the real-PDF runs
#   make typecheck   mypy alone
#   make bench       issue 15's benchmarks and targets (make bench-quick: ~3 min)
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= budgetlens-out

.PHONY: bytecode demo test test-fast lint typecheck bench bench-quick bench-regions bench-pairing fuzz clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)

# the project's bytecode, as a regular install has it (an editable install under
# PYTHONDONTWRITEBYTECODE=1 would compile every module at every start, ~0.25 CPU-s)
bytecode:
	@$(PY) -m compileall -q budgetlens extractors gazetteers pipelines >/dev/null

demo: $(STAMP) bytecode
	$(VENV)/bin/budgetlens run samples --out $(OUT)
	@echo "report: $(abspath $(OUT))/report.html"

test: $(STAMP)
	DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(PY) -m pytest -q -p no:cacheprovider

FAST := not real and not prefect and not browser and not slow

test-fast: $(STAMP)
	DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(PY) -m pytest -q -p no:cacheprovider -m "$(FAST)"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# issue 15's comparisons side by side, the table of targets (met / not met) printed last;
# writes benchmarks/results/latest.{md,json} and the README's Performance table
bench: $(STAMP) bench-regions
	$(PY) -m benchmarks.run --readme

# every section on fewer documents (~3 min on a quiet machine), for checking: results/quick.*
bench-quick: $(STAMP)
	$(PY) -m benchmarks.run --quick

# per city: metadata accuracy against the corpus READMEs, typed-cell share, template chosen
bench-regions: $(STAMP)
	$(PY) -m benchmarks.regions --run --out /tmp/budgetlens-regions --write benchmarks/results/regions.md

# pairing narrative + tables files on a synthetic province of 2,000 and 20,000 units (CPU-s)
bench-pairing: $(STAMP)
	$(PY) benchmarks/pairing.py

fuzz: $(STAMP)
	$(PY) -m pip install -q atheris
	$(PY) tests/fuzz/run.py

clean:
	rm -rf $(OUT) .pytest_cache
