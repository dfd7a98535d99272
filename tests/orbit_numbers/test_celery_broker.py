"""A real Celery worker on a real Redis broker runs a real task against the test database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from orbit_numbers.models import IdempotencyRecord
from orbit_numbers.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

ROOT = Path(__file__).resolve().parents[2]
RESULT_TIMEOUT_SECONDS = 90


def broker_url() -> str:
    """The Redis the suite already uses (REDIS_URL): its db is private to this test run, and a
    per-test queue name keeps concurrent runs apart."""
    url = os.environ.get("REDIS_URL")
    assert url and url.startswith("redis://"), "make test sets REDIS_URL; the broker lane needs it"
    return url


def worker_database_url() -> str:
    """DATABASE_URL of the database this test runs in (test_<name>), for the worker process."""
    db = connection.settings_dict
    assert db["ENGINE"].endswith("postgresql")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    netloc = f"{auth}@" if auth else ""
    netloc += f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return urlunsplit(("postgres", netloc, "/" + db["NAME"], "", ""))


@contextmanager
def running_worker(queues: list[str], name: str):
    """A real worker process (solo pool) consuming ``queues`` on the test broker, against the test
    database; yields a Celery client routed like the project (settings.CELERY_TASK_ROUTES), then
    stops the worker and returns its log in ``log[0]``."""
    url = broker_url()
    assert urlsplit(worker_database_url()).path.lstrip("/").startswith("test_")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings", "DATABASE_URL": worker_database_url(),
           "CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url, "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orbit_numbers", "worker", "--pool=solo", "--concurrency=1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", ",".join(queues),
         "--loglevel=INFO", "-n", f"{name}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    client = Celery("broker-test-client", broker=url, backend=url)
    client.conf.task_routes = settings.CELERY_TASK_ROUTES
    log = [""]
    try:
        yield client, log
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            log[0], _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            log[0], _ = worker.communicate()
        client.close()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_purge_task_against_the_test_database(org):
    ttl = timedelta(hours=settings.ORBIT["IDEMPOTENCY_TTL_HOURS"])
    stale = IdempotencyRecord.objects.create(organization=org, key="stale", fingerprint="f" * 64, status_code=201)
    fresh = IdempotencyRecord.objects.create(organization=org, key="fresh", fingerprint="f" * 64, status_code=201)
    IdempotencyRecord.objects.filter(pk=stale.pk).update(created_at=timezone.now() - ttl - timedelta(hours=1))

    queue = f"test-broker-{uuid.uuid4().hex}"
    with running_worker([queue], queue) as (client, log):
        result = client.send_task("orbit_numbers.tasks.purge_idempotency_records", queue=queue)
        deleted = result.get(timeout=RESULT_TIMEOUT_SECONDS)
        assert deleted == 1
        assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
        result.forget()
    assert "purge_idempotency_records" in log[0] and "succeeded" in log[0], log[0][-3000:]


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_production_queues_runs_carrier_and_housekeeping_tasks(org):
    """Tasks are sent by name only: the project's routes put them on "carrier" and "housekeeping",
    and a worker started like `make worker` consumes both."""
    endpoint = WebhookEndpoint.objects.create(organization=org, url="https://hooks.example.com/orbit",
                                              events=["*"], enabled=False)
    event = WebhookEvent.objects.create(organization=org, event_type="number.purchased", payload={})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, organization=org,
                                              next_attempt_at=timezone.now())
    stale = IdempotencyRecord.objects.create(organization=org, key="stale", fingerprint="f" * 64, status_code=201)
    IdempotencyRecord.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=30))

    with running_worker(["carrier", "housekeeping"], f"queues-{uuid.uuid4().hex}") as (client, log):
        carrier = client.send_task("orbit_numbers.webhooks.deliver_due_webhook_events")
        housekeeping = client.send_task("orbit_numbers.tasks.purge_idempotency_records")
        assert carrier.get(timeout=RESULT_TIMEOUT_SECONDS) == 1
        assert housekeeping.get(timeout=RESULT_TIMEOUT_SECONDS) == 1
        carrier.forget()
        housekeeping.forget()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SKIPPED  # the endpoint is disabled
    assert not IdempotencyRecord.objects.exists()
    assert ".> carrier" in log[0] and ".> housekeeping" in log[0], log[0][:3000]
    assert log[0].count("succeeded") == 2, log[0][-3000:]
