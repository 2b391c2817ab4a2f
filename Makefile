# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test lint format bench worker scheduler clean browser mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

## make run: migrate, seed the demo brand if the database is empty, serve on 127.0.0.1:8050
run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(BIN)/python app.py

## make test: the whole suite (PostgreSQL/Redis when TEST_DATABASE_URL/REDIS_URL are set), in
## TEST_WORKERS pytest-xdist processes, one test file per process at a time; each process gets its
## own database, Redis database and E2E port (tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-dev browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term

## the E2E tests need Chromium and chromedriver: installed when missing (root + apt), or stop now
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing chromium and chromium-driver for the E2E tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "make: the E2E tests need Chromium. Run: sudo apt-get install -y chromium chromium-driver"; \
	    exit 1; \
	  fi; \
	fi

## make mutate: mutation testing (mutmut; [tool.mutmut] in pyproject.toml), NOT part of make test.
## Everything takes hours; pick mutants by name: make mutate MUTANTS='models.tenancy*'
MUTANTS ?=
mutate: $(VENV)/.installed-dev
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut results

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/brain.py

## production-style processes (REDIS_URL set)
worker: $(VENV)/.installed
	$(BIN)/rq worker -w jobs.queue.FlaskWorker --with-scheduler --url $${REDIS_URL} sync brain ai mail default

clean:
	rm -rf $(VENV) instance/omnify.db .pytest_cache .coverage
