# Sourcemark: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
WORKERS ?= 4
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg | sha256sum | cut -c1-16)

export FLASK_APP := wsgi.py

.PHONY: install run test serve bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when setup.cfg changed (the stamp carries its hash).
$(STAMP): setup.cfg | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

serve: install
	$(BIN)/flask db upgrade
	# Sync workers (one request at a time, no thread hand-offs) that keep their heartbeat while a
	# long export streams: gunicorn's own sync worker would be killed after --timeout seconds in
	# the middle of a download (app/serving.py).
	$(BIN)/gunicorn --workers $(WORKERS) --worker-class app.serving.StreamingSyncWorker --timeout 120 \
		--bind 127.0.0.1:$(PORT) --graceful-timeout 30 wsgi:app

# The whole suite on SQLite, then the same suite on a PostgreSQL server the tests start
# themselves (Debian's postgresql package; a missing server fails the run).
test: install
	$(BIN)/ruff check app tests bench
	$(BIN)/bandit --quiet --recursive app --severity-level high
	SOURCEMARK_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)
	SOURCEMARK_TEST_DB=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
