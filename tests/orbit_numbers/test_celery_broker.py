"""A real Celery worker on a real Redis broker runs a real task against the test database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from orbit_numbers.models import IdempotencyRecord

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


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_purge_task_against_the_test_database(org):
    ttl = timedelta(hours=settings.ORBIT["IDEMPOTENCY_TTL_HOURS"])
    stale = IdempotencyRecord.objects.create(organization=org, key="stale", fingerprint="f" * 64, status_code=201)
    fresh = IdempotencyRecord.objects.create(organization=org, key="fresh", fingerprint="f" * 64, status_code=201)
    IdempotencyRecord.objects.filter(pk=stale.pk).update(created_at=timezone.now() - ttl - timedelta(hours=1))

    queue = f"test-broker-{uuid.uuid4().hex}"
    url = broker_url()
    assert urlsplit(worker_database_url()).path.lstrip("/").startswith("test_")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings", "DATABASE_URL": worker_database_url(),
           "CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url, "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orbit_numbers", "worker", "--pool=solo", "--concurrency=1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue, "--loglevel=INFO",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    client = Celery("broker-test-client", broker=url, backend=url)
    try:
        result = client.send_task("orbit_numbers.tasks.purge_idempotency_records", queue=queue)
        deleted = result.get(timeout=RESULT_TIMEOUT_SECONDS)
        assert deleted == 1
        assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
        result.forget()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            output, _ = worker.communicate()
        client.close()
    assert "purge_idempotency_records" in output and "succeeded" in output, output[-3000:]
