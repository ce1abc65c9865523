VENV := .venv
PY   := $(VENV)/bin/python

.PHONY: setup lint test test-slow demo bench schemas docs

setup:
	@bash scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# every test but the slow ones (the QEMU lease suites, which wait real lease timings)
test: lint
	$(PY) -m pytest -n 2 --dist loadfile -ra --strict-markers -m "not slow" tests

test-slow: setup
	$(PY) -m pytest -n 2 --dist loadfile -ra --strict-markers -m slow tests

demo: setup
	$(PY) -m engine_api.lab_demo

bench: setup
	$(PY) benchmarks/run.py
	$(PY) benchmarks/hosts.py
	$(PY) benchmarks/qemu_hosts.py
	$(PY) benchmarks/ha.py
	$(PY) benchmarks/estate.py
	$(PY) benchmarks/estate.py --vms 5000 --hosts 50 --clusters 10 --parallel 16 --skip-ovirt --inventory --output benchmarks/estate_5000_results.json
	$(PY) benchmarks/tasks.py
	$(PY) benchmarks/scheduling.py
	$(PY) benchmarks/external_units.py
	$(PY) benchmarks/hooks.py
	$(PY) benchmarks/rbac.py
	$(PY) benchmarks/webadmin.py

schemas: setup
	$(PY) scripts/gen_schemas.py

# Module docs (options, returns) and argument specs derived from the option declarations, the table the collection
# reads the engine's JSON by (from the wire model), and the schemas.
docs: setup
	$(PY) scripts/gen_docs.py
	$(PY) scripts/gen_wire_types.py
	$(PY) scripts/gen_schemas.py
