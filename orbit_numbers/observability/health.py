"""Liveness and readiness probes, answered before the rest of the middleware.

- ``/healthz``: the process is up and answering. Touches nothing, so a slow database never gets a
  healthy process restarted.
- ``/readyz``: this process can serve traffic: every database answers, every migration is applied,
  the shared cache (Redis) and the Celery broker answer when they are configured. 503 otherwise,
  with a JSON body naming the failed checks (the reason goes to the log, not to the caller).

Being a middleware ahead of SecurityMiddleware and CommonMiddleware, the probes skip host
validation and HTTPS redirects: load balancers and orchestrators probe by IP over plain HTTP.
Neither needs credentials, and neither says more than which dependency is down.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
PROBE_PATHS = (LIVENESS_PATH, READINESS_PATH)
BROKER_TIMEOUT_SECONDS = 2.0
# Backends that live inside the process: nothing to reach.
LOCAL_CACHE_BACKENDS = ("django.core.cache.backends.locmem.LocMemCache",
                        "django.core.cache.backends.dummy.DummyCache")

OK = "ok"
SKIPPED = "skipped"
FAILED = "failed"

# Once every migration is applied it stays applied for the life of this process (new migrations come
# with new code, hence a new process), so the migration graph is loaded until the first success only.
_migrations_known_applied = False


def check_databases() -> str:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    return OK


def check_migrations() -> str:
    global _migrations_known_applied
    if _migrations_known_applied:
        return OK
    for alias in connections:
        executor = MigrationExecutor(connections[alias])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise RuntimeError(f"{len(pending)} unapplied migration(s) on {alias!r}, first {pending[0][0]}")
    _migrations_known_applied = True
    return OK


def check_cache() -> str:
    if settings.CACHES["default"]["BACKEND"] in LOCAL_CACHE_BACKENDS:
        return SKIPPED
    key, token = "readyz-probe", uuid.uuid4().hex
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise RuntimeError("the cache did not return what was just stored")
    return OK


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return SKIPPED  # tasks run eagerly in the process
    from ..celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    return OK


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_databases,
    "migrations": check_migrations,
    "cache": check_cache,
    "broker": check_broker,
}


def readiness() -> dict[str, str]:
    """Each check's outcome: ok, skipped (not configured) or failed."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means "not ready"; the reason is for the log only
            logger.warning("Readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = FAILED
    return results


def probe_response(body: dict, status: int = 200) -> HttpResponse:
    response = JsonResponse(body, status=status)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in PROBE_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = probe_response({"status": "method_not_allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        if request.path == LIVENESS_PATH:
            return probe_response({"status": OK})
        checks = readiness()
        failed = [name for name, outcome in checks.items() if outcome == FAILED]
        if failed:
            return probe_response({"status": "unavailable", "failed": failed, "checks": checks}, status=503)
        return probe_response({"status": OK, "checks": checks})
