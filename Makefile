# Zero-setup defaults: SQLite under var/, the filesystem Celery broker, mail written to var/mail/.
# Set DATABASE_URL and REDIS_URL to run the same on PostgreSQL and Redis.
PY := .venv/bin/python
VAR_DIR ?= var
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: run setup venv test lint format migrations-check bench bench-levelload bench-reminders bench-pages loadtest screenshots

venv:
	@scripts/ensure-venv

## Migrate and seed the demo center once (the demo command changes nothing when it exists).
setup: export DJANGO_DEBUG ?= true
setup: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_center

## Web app on http://127.0.0.1:8000 (PORT=...) with a Celery worker and beat; Ctrl-C stops them all (exit 0).
run: export DJANGO_DEBUG ?= true
run: setup
	@echo "Open http://127.0.0.1:$(PORT)/ (admin: http://127.0.0.1:$(PORT)/admin/). Ctrl-C stops everything."
	@PORT=$(PORT) $(PY) scripts/devserver.py

## The whole suite (PostgreSQL-only tests run when DATABASE_URL points at PostgreSQL).
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: venv
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

migrations-check: export DJANGO_DEBUG ?= true
migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

# Benchmarks run as in production (DEBUG off) on a dedicated PostgreSQL database that they WIPE (bench) or
# fill and clean up (bench-reminders): BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench make bench
BENCH_SECRET_KEY ?= benchmark-only-not-a-secret-0123456789abcdefghijklmnop
BENCH_ENV = DEVTOOLS=true DATABASE_URL="$(BENCH_DATABASE_URL)" DJANGO_DEBUG=false DJANGO_SECRET_KEY="$(BENCH_SECRET_KEY)"
BENCH_ARGS ?=

## Slot finding, course search and booking at 1x, 4x and 16x history. WIPES the database in BENCH_DATABASE_URL.
bench: venv
	@test -n "$(BENCH_DATABASE_URL)" || { echo "make bench needs BENCH_DATABASE_URL: a dedicated PostgreSQL database that it will WIPE, e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench make bench" >&2; exit 2; }
	$(BENCH_ENV) $(PY) manage.py migrate --noinput
	$(BENCH_ENV) $(PY) manage.py bench_scheduling --yes-wipe $(BENCH_ARGS)

## Level-loading: generated months of MS requests through `plan_requests` (at booking and re-optimised), earliest-first
## and the CP-SAT optimum, per instance. Uses no database. Extra arguments: LEVELLOAD_ARGS (e.g. --time-limit 20).
LEVELLOAD_ARGS ?=
bench-levelload: venv
	DEVTOOLS=true DJANGO_DEBUG=false DJANGO_SECRET_KEY="$(BENCH_SECRET_KEY)" $(PY) manage.py bench_levelload $(LEVELLOAD_ARGS)

## 10,000 due reminders through a Celery worker on Redis (in-memory mail): emails per second and duplicates.
bench-reminders: venv
	@test -n "$(BENCH_DATABASE_URL)" -a -n "$(BENCH_REDIS_URL)" || { echo "make bench-reminders needs BENCH_DATABASE_URL (a dedicated PostgreSQL database) and BENCH_REDIS_URL (a Redis database whose queue it purges), e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench BENCH_REDIS_URL=redis://127.0.0.1:6379/15 make bench-reminders" >&2; exit 2; }
	$(BENCH_ENV) $(PY) manage.py migrate --noinput
	$(BENCH_ENV) REDIS_URL="$(BENCH_REDIS_URL)" $(PY) manage.py bench_reminders $(BENCH_ARGS)

## Every staff page under gunicorn with production settings, one user and 10 at once: server p50/p95, queries and
## rows per page against the targets. Builds (or reuses) the center in BENCH_DATABASE_URL, which it WIPES to build.
## Extra arguments: BENCH_PAGES_ARGS, e.g. a 10x center in a second database and the growth between the two:
## BENCH_PAGES_ARGS="--compare-database-url postgres://postgres@127.0.0.1:5432/ic_bench10 --compare-factor 10"
BENCH_PAGES_ARGS ?=
bench-pages: venv
	@test -n "$(BENCH_DATABASE_URL)" || { echo "make bench-pages needs BENCH_DATABASE_URL: a dedicated PostgreSQL database that it will WIPE, e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench make bench-pages" >&2; exit 2; }
	$(BENCH_ENV) $(PY) manage.py bench_pages --yes-wipe $(BENCH_PAGES_ARGS)

## Load test: the benchmark center in LOADTEST_DATABASE_URL (a dedicated PostgreSQL database: it is WIPED),
## then gunicorn with production settings over HTTP measured by wrk. Extra arguments: LOADTEST_ARGS.
LOADTEST_ARGS ?=
LOADTEST_PORT ?= 8765
loadtest: export DATABASE_URL = $(LOADTEST_DATABASE_URL)
loadtest: export DEVTOOLS = true
loadtest: venv
	@case "$(LOADTEST_DATABASE_URL)" in postgres://*|postgresql://*) ;; \
	  *) echo "Set LOADTEST_DATABASE_URL to a dedicated PostgreSQL database (it is wiped), e.g." \
	       "make loadtest LOADTEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_loadtest"; exit 2;; esac
	@command -v wrk >/dev/null || { echo "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)."; exit 2; }
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=true $(PY) manage.py bench_scheduling --yes-wipe --build-only
	$(PY) scripts/loadtest.py --port $(LOADTEST_PORT) $(LOADTEST_ARGS)

screenshots: venv
	$(PY) -m pytest -m screenshots $(PYTEST_ARGS)
