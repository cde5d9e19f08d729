# Two commands: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
export DAGSTER_HOME := $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := false
export PYTHONUNBUFFERED := 1
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: run test ui lint setup clean bench

run: setup
	$(VENV)/bin/python -m pipelines run $(if $(ALL),--all)

test: setup
	$(VENV)/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

ui: setup
	$(VENV)/bin/python -m pipelines ui --host $(HOST) --port $(PORT)

bench: setup
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $@

clean:
	rm -rf $(VENV) .tools $(DAGSTER_HOME)
