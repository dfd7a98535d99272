"""/healthz and /readyz: JSON, no auth, before host checks; /readyz names the dependency that is down."""
from __future__ import annotations

import os
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from orbit_numbers.observability import health

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def probe():
    return Client()


@pytest.fixture
def migrations_unknown(monkeypatch):
    """Forget that this process already saw every migration applied."""
    monkeypatch.setattr(health, "_migrations_known_applied", False)


def test_liveness_answers_without_touching_any_dependency(probe):
    # No db fixture: pytest-django fails any database access here.
    response = probe.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert response["X-Request-Id"]


def test_probes_answer_a_load_balancer_probing_by_ip(probe, db):
    # The pod or host IP is not in ALLOWED_HOSTS; Django would answer 400 DisallowedHost.
    assert probe.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert probe.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert probe.get("/admin/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_probes_need_no_credentials_and_refuse_writes_in_json(probe):
    response = probe.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"status": "method_not_allowed"}
    assert probe.head("/healthz").status_code == 200


def test_readiness_checks_every_configured_dependency(probe, db, migrations_unknown, settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]  # the suite's Redis stands in for the broker
    response = probe.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "cache": "ok",
                                                          "broker": "ok"}}


def test_readiness_skips_what_is_not_configured(probe, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_BROKER_URL = ""  # tasks run eagerly: no broker to reach
    response = probe.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": "skipped",
                                         "broker": "skipped"}


def test_unreachable_cache_is_503_naming_it(probe, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": UNREACHABLE_REDIS}}
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # the reason is logged, not told


def test_unreachable_broker_is_503_naming_it(probe, db, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


@pytest.mark.django_db(transaction=True)
def test_unreachable_database_is_503_naming_it(probe, migrations_unknown):
    connection.close()
    try:
        with mock.patch.dict(connection.settings_dict, {"HOST": "127.0.0.1", "PORT": "1"}):
            response = probe.get("/readyz")
    finally:
        connection.close()  # the next query reconnects to the real database
    assert response.status_code == 503
    assert "database" in response.json()["failed"]


def test_unapplied_migration_is_503_naming_it(probe, db, migrations_unknown):
    latest = MigrationRecorder.Migration.objects.filter(app="inventory").latest("id")
    latest.delete()  # as if the new code's migration had not been run yet (rolled back with the test)
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]


def test_migrations_are_read_once_then_remembered(probe, db, migrations_unknown, django_assert_num_queries):
    assert probe.get("/readyz").status_code == 200
    with django_assert_num_queries(1):  # SELECT 1 only: the migration table is not read again
        assert probe.get("/readyz").status_code == 200


def test_a_cache_that_never_answers_fails_the_probe_instead_of_hanging(probe, db, settings):
    """A Redis host that accepts connections but never replies (hung, or a black-holed network)."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    configured = {**settings.CACHES["default"]}  # the project's Redis cache, with its timeouts
    assert configured["BACKEND"].endswith("RedisCache"), "make test runs with REDIS_URL"
    settings.CACHES = {"default": {**configured, "LOCATION": f"redis://127.0.0.1:{silent.getsockname()[1]}/0"}}
    answers = []
    asking = threading.Thread(target=lambda: answers.append(probe.get("/readyz")), daemon=True)
    try:
        asking.start()
        asking.join(timeout=15)
    finally:
        silent.close()
    assert answers, "the readiness probe hung on a silent Redis"
    assert answers[0].status_code == 503 and answers[0].json()["failed"] == ["cache"]
