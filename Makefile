# Two entry points for a fresh machine (README): `make demo` and `make test`.
# Everything Python runs from the project's virtual environment $(VENV), made with
# `python3 -m venv` by scripts/venv.sh (never pip into the system interpreter).
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PYTHON VENV

.PHONY: venv lock lock-upgrade setup demo test lint lint-imports lint-workflows types unit integration bench

# The virtual environment, remade when the dependencies change.
$(VENV)/.installed: pyproject.toml uv.lock scripts/venv.sh
	@bash scripts/venv.sh

venv: $(VENV)/.installed

# uv.lock from pyproject.toml (universal: Python >= 3.11, Linux/macOS/Windows). `make lock`
# keeps the current pins where they still fit; `make lock-upgrade` moves all to the newest.
lock: venv
	$(VENV)/bin/uv lock
lock-upgrade: venv
	$(VENV)/bin/uv lock --upgrade

# `make demo`: no root, no apt. Prerequisites are checked first (one line each).
demo:
	@bash scripts/venv.sh check
	@bash scripts/install-rig.sh check demo
	@$(MAKE) -s --no-print-directory venv
	@bash scripts/install-rig.sh demo
	$(VPY) scripts/demo.py

# Everything `make test` needs: the venv, Debian packages (apt-get as root; as
# non-root the missing packages are named), go-installed servers and linters.
setup:
	@bash scripts/venv.sh check
	@bash scripts/install-rig.sh check test
	@$(MAKE) -s --no-print-directory venv
	@bash scripts/install-rig.sh test

lint: venv
	$(VPY) -m ruff check renewer tests scripts
	$(VPY) -m ruff format --check renewer

lint-workflows: venv
	"$$($(GO) env GOPATH | cut -d: -f1)/bin/actionlint"
	$(VENV)/bin/zizmor --offline --persona=pedantic --config .github/zizmor.yml .github/workflows .github/dependabot.yml action.yml

lint-imports: venv
	$(VENV)/bin/lint-imports

types: venv
	$(VPY) -m mypy --strict renewer tests/rig

unit: venv
	$(VPY) -m pytest -q -m "not integration" tests

integration: venv
	$(VPY) -m pytest -q -m integration tests

test: setup lint lint-imports lint-workflows types
	$(VPY) -m pytest -q -p no:cacheprovider tests

# Benchmarks (by hand or a separate CI job, not part of `make test`): renewer vs certbot
# (and lego where it installs) on the same Pebble + BIND rig; prints a table, writes
# bench/results.md and bench/plot.png.
bench: setup
	bash bench/setup.sh
	$(VPY) bench/run.py
