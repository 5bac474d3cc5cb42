# Two commands: `make run` starts everything locally; `make test` runs every check and test.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PID_FILE := .cache/test-processes

.PHONY: install system-deps kafka keycloak run test lint typecheck unit bench clean

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)  # bytecode: every process starts without compiling
	touch $@

system-deps:
	@infra/system-deps.sh

kafka: install system-deps
	@$(PY) -c "from labour_tracker.devstack.kafka import ensure_kafka, kafka_version; ensure_kafka(); print('Apache Kafka', kafka_version(), 'from Maven Central: ready')"

# Keycloak for the sign-in tests: the server distribution from Maven Central (infra/keycloak/pom.xml), built once.
keycloak: install system-deps
	@$(PY) -m labour_tracker.devstack.keycloak

run: kafka
	$(PY) -m labour_tracker.devstack run

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy --no-incremental

unit: install
	$(PY) -m pytest tests/unit -q

# Every process a test starts is recorded; whatever outlives pytest (even a killed one) is ended afterwards.
test: kafka keycloak lint typecheck
	@mkdir -p .cache && rm -f $(PID_FILE)
	LABOUR_TRACKER_PID_FILE=$(CURDIR)/$(PID_FILE) $(PY) -m pytest tests $(PYTEST_ARGS); \
	status=$$?; $(PY) -m labour_tracker.devstack reap $(PID_FILE); exit $$status

# Every benchmark in bench/, then one report (bench/reports/report.md and .json); BENCHMARKS= picks some.
bench: kafka
	$(PY) -m bench $(BENCHMARKS)

clean:
	rm -rf .cache .venv .tools .mypy_cache .ruff_cache .pytest_cache
