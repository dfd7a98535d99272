# Two commands: `make run` (zero-setup demo on SQLite) and `make test` (the suite on PostgreSQL).
# `make fuzz`: schemathesis against a live server on a fresh PostgreSQL database (fuzz/run.sh).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orbit_numbers
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

FUZZ_MAX_SECONDS ?= 240
# Where `make run` listens.
RUN_ADDR ?= 127.0.0.1:8000

.PHONY: install install-test run demo-server serve worker beat test test-e2e fuzz soak migrate seed bench bench-api clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

run: install
	$(MAKE) --no-print-directory demo-server

# `make run` without the install step; the e2e lane starts the demo exactly this way
# (tests/e2e/test_served_demo.py). DEBUG stays off: WhiteNoise serves the collected static files,
# and the demo needs a SECRET_KEY: the environment's, else a local one generated once into
# .secret_key (git-ignored) and reused, so sessions and signed URLs survive a restart.
demo-server:
	@test -n "$$SECRET_KEY" || test -s .secret_key || \
		(umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key)
	export SECRET_KEY="$${SECRET_KEY:-$$(cat .secret_key)}" && \
		$(PY) manage.py migrate --noinput && \
		$(PY) manage.py collectstatic --noinput -v 0 && \
		$(PY) manage.py seed_demo && \
		$(PY) manage.py runserver $(RUN_ADDR)

# The production profile: gunicorn (gunicorn.conf.py) on PostgreSQL and Redis from the environment
# (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS, …: see DEPLOY.md).
serve: install
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL (PostgreSQL); see DEPLOY.md" >&2; exit 2; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	exec $(VENV)/bin/gunicorn -c gunicorn.conf.py

# Celery worker(s): CELERY_QUEUES=carrier,housekeeping,celery by default (DEPLOY.md: one pool per queue).
CELERY_QUEUES ?= carrier,housekeeping,celery
CELERY_CONCURRENCY ?= 4
worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "make worker: set CELERY_BROKER_URL (Redis)" >&2; exit 2; }
	exec $(VENV)/bin/celery -A orbit_numbers worker -Q $(CELERY_QUEUES) --concurrency=$(CELERY_CONCURRENCY) \
		--loglevel=$${LOG_LEVEL:-INFO}

# Exactly one beat per deployment: it only enqueues the periodic jobs (CELERY_BEAT_SCHEDULE).
beat: install
	@test -n "$$CELERY_BROKER_URL" || { echo "make beat: set CELERY_BROKER_URL (Redis)" >&2; exit 2; }
	exec $(VENV)/bin/celery -A orbit_numbers beat --loglevel=$${LOG_LEVEL:-INFO} \
		--schedule=$${CELERY_BEAT_SCHEDULE_FILE:-/tmp/orbit-celerybeat-schedule}

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(VENV)/bin/pytest -m "not e2e" $(PYTEST_ARGS)

test-e2e: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

# Contract fuzzing; FUZZ_MAX_SECONDS is schemathesis's time budget (setup adds ~15 s). Reports: fuzz/report/.
fuzz: install-test
	FUZZ_MAX_SECONDS=$(FUZZ_MAX_SECONDS) PY=$(CURDIR)/$(PY) fuzz/run.sh

# Scale-out proof (soak/run.sh): 2 gunicorn + 2 Celery workers on a fresh database, SOAK_CLIENTS clients
# for SOAK_SECONDS, one web process and one worker SIGKILLed mid-run; invariants checked after (RELIABILITY.md).
SOAK_SECONDS ?= 120
soak: install
	SOAK_SECONDS=$(SOAK_SECONDS) PY=$(abspath $(PY)) soak/run.sh

# The scale table of issue #11 (bench/scale/run.py): loads 1 M numbers + 100 k owned into BENCH_DATABASE_URL
# (default orbit_bench_scale, created if absent) once, then prints every row as figures and ratios to the raw
# query measured in the same run. e.g. make bench BENCH_ARGS="--only search --rounds 50 --output /tmp/b.md"
bench: install
	$(PY) bench/scale/run.py $(BENCH_ARGS)

# Side-by-side API timing of two code trees (bench/bench_api.py; ≈ 7 min; not part of `make test`).
# e.g. make bench-api BENCH_API_ARGS="--after ../wt-api --write"  (in a worktree without .venv: VENV=/work/main/.venv)
bench-api:
	$(PY) bench/bench_api.py $(BENCH_API_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache fuzz/report fuzz/.work tests/e2e/artifacts
