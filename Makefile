VENV := .venv
PY   := $(VENV)/bin/python

.PHONY: setup lint test demo bench schemas

setup:
	@bash scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest -n 2 -ra --strict-markers tests

demo: setup
	$(PY) -m engine_api.lab_demo

bench: setup
	$(PY) benchmarks/run.py
	$(PY) benchmarks/hosts.py
	$(PY) benchmarks/estate.py

schemas: setup
	$(PY) scripts/gen_schemas.py
