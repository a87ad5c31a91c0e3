# Two entry points for a fresh machine (README): `make demo` and `make test`.
PYTHON ?= python3
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

.PHONY: setup demo test lint lint-imports lint-workflows types unit integration bench

setup:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	bash scripts/install-rig.sh

demo: setup
	$(PYTHON) scripts/demo.py

lint:
	$(PYTHON) -m ruff check renewer tests scripts
	$(PYTHON) -m ruff format --check renewer

lint-workflows:
	"$$($(GO) env GOPATH | cut -d: -f1)/bin/actionlint"
	"$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/zizmor" --offline --persona=pedantic --config .github/zizmor.yml .github/workflows action.yml

lint-imports:
	"$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/lint-imports"

types:
	$(PYTHON) -m mypy --strict renewer tests/rig

unit:
	$(PYTHON) -m pytest -q -m "not integration" tests

integration:
	$(PYTHON) -m pytest -q -m integration tests

test: setup lint lint-imports lint-workflows types
	$(PYTHON) -m pytest -q -p no:cacheprovider tests

# Benchmarks (by hand or a separate CI job, not part of `make test`): renewer vs certbot
# (and lego where it installs) on the same Pebble + BIND rig; prints a table, writes
# bench/results.md and bench/plot.png.
bench: setup
	bash bench/setup.sh
	$(PYTHON) bench/run.py
