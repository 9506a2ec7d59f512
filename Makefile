# gapwatch: the README's commands. A fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_INTEROP := tests/interop/node
NODE_FRAMEWORKS := $(patsubst %/package-lock.json,%,$(wildcard tests/frameworks/node/*/package-lock.json))

.PHONY: help demo serve test lint bench install prereqs node-deps browser dashboards clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

prereqs:  ## check Python >= 3.11 and the venv module (what every other target needs)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "gapwatch needs Python 3.11 or newer; '$(PYTHON)' is $$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo "not installed")."; \
		echo "Install one and run e.g. 'make PYTHON=python3.12 demo'."; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "'$(PYTHON)' has no venv/ensurepip module: on Debian/Ubuntu, apt-get install python3-venv"; exit 1; }

$(STAMP): instrumentation/pyproject.toml collector/pyproject.toml analyzer/pyproject.toml pyproject.toml
	@$(MAKE) --no-print-directory prereqs PYTHON=$(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e './instrumentation[test]' -e ./collector -e './analyzer[test]' --group dev --group frameworks
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the three packages

demo: $(STAMP)  ## the main job: a simulated fleet through gapwatch, then its UI (Ctrl-C stops)
	$(BIN)/gapwatch demo --serve

serve: $(STAMP)  ## run gapwatch (receiver + analyzer) on embedded chDB
	$(BIN)/gapwatch serve

node-deps:  ## Node.js packages: the OpenTelemetry SDK (interop test), agent frameworks (conformance)
	@if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then \
		echo "Node.js 20 or newer with npm is needed for the interop and conformance tests"; \
		echo "(apt-get install nodejs npm, or https://nodejs.org); without it those tests fail."; \
	elif ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then \
		echo "Node.js $$(node --version) is too old for the conformance suite: it needs 20 or newer."; \
	else \
		for dir in $(NODE_INTEROP) $(NODE_FRAMEWORKS); do \
			(cd $$dir && npm ci --no-audit --no-fund --silent) || exit 1; \
		done; \
	fi

browser:  ## headless Chromium for the report and UI browser tests (Debian package, needs root)
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "Chromium is missing and installing Debian's chromium package needs root:"; \
			echo "run 'sudo make browser' (or 'sudo apt-get install chromium'), then make test again."; \
			exit 1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi

dashboards: $(STAMP)  ## regenerate dashboards/ from code
	$(BIN)/gapwatch publish grafana --to-dir dashboards

test: $(STAMP) node-deps browser  ## run every test
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy instrumentation/src collector/src analyzer/src

bench: $(STAMP)  ## run the benchmarks and print their figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) .gapwatch gapwatch-out
