#!/usr/bin/env bash
# make soak: the scale-out proof (soak/run.py). Needs PostgreSQL and Redis running (.ci/run starts them).
#   SOAK_SECONDS (120)  SOAK_CLIENTS (16)  SOAK_ORGS (4)  SOAK_DB (orbit_soak)  SOAK_PG (postgres://postgres@127.0.0.1:5432)
#   SOAK_REDIS_URL (redis://127.0.0.1:6379/11)  SOAK_LATENCY_MS (50)  SOAK_FAIL_SUFFIXES (07,42,77)  SOAK_SEED
#   SOAK_WRITE (1 by hand, 0 under CI: update RELIABILITY.md)
# Reports: soak/report/ (summary.json, one log per process). Exit code 1 on any violated invariant.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$(pwd)/.venv/bin/python}
exec "$PY" soak/run.py
