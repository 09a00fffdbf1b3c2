# citykg: `make run` builds the graph from seeds/ and serves it (open http://127.0.0.1:8000/);
# `make test` runs every test. Both create .venv and install into it on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COMUNICA := $(VENV)/comunica/node_modules/@comunica/query-sparql/bin/query.js
STORE  ?= var/store
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run build test install vendor bench clean distclean

run: build
	$(BIN)/citykg serve --store $(STORE) --host $(HOST) --port $(PORT)

build: install
	$(BIN)/citykg build --store $(STORE)

test: install $(COMUNICA)
	$(BIN)/pytest

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp (editable install: code changes
# need no reinstall).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Comunica, the JavaScript SPARQL client tests/server/web/test_real_clients.py drives, from its
# lockfile into the venv (the tests themselves stay offline). Without npm the test skips.
$(COMUNICA): tests/clients/comunica/package-lock.json | $(BIN)/python
	@if command -v npm >/dev/null; then \
	  mkdir -p $(VENV)/comunica && cp tests/clients/comunica/package.json tests/clients/comunica/package-lock.json $(VENV)/comunica/ && \
	  (cd $(VENV)/comunica && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); \
	else echo "npm not found: the Comunica client test will skip"; fi

# Benchmarks against the peers (bench/README.md); wrk is a Debian package.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk"; exit 2; }
	for s in parse build http scale; do $(BIN)/python -m bench.$$s || exit 1; done

# Refresh server/web/static/vendor/ from its package-lock.json (needs npm; see vendor/README.md).
vendor:
	bash server/web/static/vendor.sh

clean:
	rm -rf var .pytest_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
