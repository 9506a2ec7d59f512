# gapwatch: the README's commands. A fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_INTEROP := tests/interop/node
NODE_FRAMEWORKS := $(patsubst %/package-lock.json,%,$(wildcard tests/frameworks/node/*/package-lock.json))

.PHONY: help demo serve test lint bench install node-deps browser dashboards clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): instrumentation/pyproject.toml collector/pyproject.toml analyzer/pyproject.toml pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e './instrumentation[test]' -e ./collector -e './analyzer[test]' --group dev --group frameworks
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the three packages

demo: $(STAMP)  ## the main job: a simulated agent fleet through gapwatch, on embedded chDB
	$(BIN)/gapwatch demo

serve: $(STAMP)  ## run gapwatch (receiver + analyzer) on embedded chDB
	$(BIN)/gapwatch serve

node-deps:  ## Node.js packages: the OpenTelemetry SDK (interop test), agent frameworks (conformance)
	@if command -v npm >/dev/null 2>&1; then \
		for dir in $(NODE_INTEROP) $(NODE_FRAMEWORKS); do \
			(cd $$dir && npm ci --no-audit --no-fund --silent) || exit 1; \
		done; \
	else echo "npm not found: the Node.js interop and conformance tests will fail"; fi

browser:  ## headless Chromium for the HTML report test (Debian package, needs root)
	@if [ ! -x /usr/bin/chromium ]; then \
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
