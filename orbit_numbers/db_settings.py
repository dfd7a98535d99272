"""DATABASES entries from the environment: the URL, and how a process holds its PostgreSQL connections.

Two ways, one per kind of process (DEPLOY.md, *Database connections*):

- ``DB_POOL=on``: a psycopg connection pool per process (Django's ``OPTIONS["pool"]``). A request
  borrows a connection and gives it back when it ends, so a gthread worker reuses warm connections
  and never opens more than ``DB_POOL_MAX_SIZE`` (its threads). gunicorn.conf.py turns it on for the
  web workers unless the environment says otherwise.
- Otherwise a connection per thread, kept ``DB_CONN_MAX_AGE`` seconds (0: closed after each request
  or task). Celery workers, management commands and the test suite use this: a prefork child runs
  one task at a time, and Celery's Django fixup closes connections (and any pool) around every task.

Either way ``CONN_HEALTH_CHECKS`` is on: a connection the server or a proxy dropped while it sat
idle is replaced before a request uses it, instead of failing that request. SQLite (the demo) is left
as it was.
"""
from __future__ import annotations

from collections.abc import Mapping

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
# Threads per gunicorn worker by default (gunicorn.conf.py), hence connections per pool.
DEFAULT_POOL_MAX_SIZE = 4
# A request that finds every connection of its pool busy fails after this, rather than hang its client.
DEFAULT_POOL_TIMEOUT_SECONDS = 10.0


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in TRUE


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    value = int(raw) if raw else default
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1 (got {value}).")
    return value


def pool_options(env: Mapping[str, str]) -> dict:
    """psycopg_pool.ConnectionPool arguments. The minimum defaults to the maximum: a fixed-size pool
    opened with the worker, so the first requests after a (re)start do not each wait for a connect."""
    max_size = _positive_int(env, "DB_POOL_MAX_SIZE", DEFAULT_POOL_MAX_SIZE)
    min_size = _positive_int(env, "DB_POOL_MIN_SIZE", max_size)
    if min_size > max_size:
        raise ImproperlyConfigured(f"DB_POOL_MIN_SIZE ({min_size}) exceeds DB_POOL_MAX_SIZE ({max_size}).")
    timeout = float(env.get("DB_POOL_TIMEOUT", "").strip() or DEFAULT_POOL_TIMEOUT_SECONDS)
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout}


def database_settings(url: str, *, env: Mapping[str, str]) -> dict:
    """One DATABASES entry for ``url``, its connection handling read from ``env``."""
    config = dj_database_url.parse(url, conn_max_age=int(env.get("DB_CONN_MAX_AGE", "0")))
    if not config["ENGINE"].endswith("postgresql"):
        return config  # SQLite demo: one process, nothing to pool
    config["CONN_HEALTH_CHECKS"] = True
    if _flag(env, "DB_POOL"):
        # Django refuses a pool with persistent connections: the pool is what keeps them.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = pool_options(env)
    if _flag(env, "DB_DISABLE_SERVER_SIDE_CURSORS"):
        # Behind PgBouncer in transaction mode a named cursor may land on another server connection.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config
