"""Celery task counts by name and outcome: workers on any host add to one Redis hash that /metrics reads;
without Redis each process counts its own. A worker's log lines are JSON with the task id.

Failures are counted by workers. A task run eagerly (the demo, this suite) that fails raises into
its caller before Celery sends any signal: there the failure shows as the request's 500."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from celery import Celery
from django.test import Client

from orbit_numbers.celery import app as celery_app
from tests.orbit_numbers.test_celery_broker import ROOT, broker_url, worker_database_url

from .test_metrics import TOKEN, samples, value

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
RESULT_TIMEOUT_SECONDS = 90


@celery_app.task(name="tests.observability.succeeds")
def succeeds() -> int:
    return 1


@pytest.fixture
def scrape(settings):
    settings.ORBIT_METRICS_TOKEN = TOKEN

    def scrape_now() -> dict:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return samples(response.content.decode())

    return scrape_now


def test_tasks_are_counted_by_name_and_state_in_redis(db, scrape, settings):
    assert settings.ORBIT_METRICS_REDIS_URL  # the suite's REDIS_URL
    succeeds.delay()
    succeeds.delay()
    assert value(scrape(), "orbit_celery_tasks_total", task="tests.observability.succeeds", state="SUCCESS") == 2


def test_without_redis_the_process_counts_its_own(db, scrape, settings):
    settings.ORBIT_METRICS_REDIS_URL = ""
    before = value(scrape(), "orbit_celery_tasks_total", task="tests.observability.succeeds", state="SUCCESS") or 0
    succeeds.delay()
    after = value(scrape(), "orbit_celery_tasks_total", task="tests.observability.succeeds", state="SUCCESS")
    assert after == before + 1


def test_redis_down_fails_neither_the_task_nor_the_scrape(db, scrape, settings):
    settings.ORBIT_METRICS_REDIS_URL = UNREACHABLE_REDIS
    assert succeeds.delay().get() == 1
    scraped = scrape()
    assert not [name for name, _ in scraped if name.startswith("orbit_celery_tasks")]
    assert value(scraped, "orbit_ledger_drift_cents") == 0


@pytest.mark.broker
def test_a_worker_elsewhere_counts_into_the_metrics_the_web_serves(db, scrape):
    """A real worker process (another host as far as it knows) on the real broker: its task shows
    on this process's /metrics, and its log lines are JSON carrying the task id."""
    queue = f"test-metrics-{uuid.uuid4().hex}"
    url = broker_url()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings", "DATABASE_URL": worker_database_url(),
           "CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url, "PYTHONUNBUFFERED": "1", "LOG_FORMAT": "json"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orbit_numbers", "worker", "--pool=solo", "--concurrency=1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue, "--loglevel=INFO",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    # Not the current app: shared tasks of later tests must keep running eagerly on the project app.
    client = Celery("metrics-test-client", broker=url, backend=url, set_as_current=False)
    purge = "orbit_numbers.tasks.purge_idempotency_records"
    try:
        result = client.send_task(purge, queue=queue)
        result.get(timeout=RESULT_TIMEOUT_SECONDS)
        task_id = result.id
        result.forget()
        failing = client.send_task(purge, args=["an argument it does not take"], queue=queue)
        with pytest.raises(TypeError):
            failing.get(timeout=RESULT_TIMEOUT_SECONDS)
        failing.forget()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            output, _ = worker.communicate()
        client.close()

    scraped = scrape()
    assert value(scraped, "orbit_celery_tasks_total", task=purge, state="SUCCESS") == 1
    assert value(scraped, "orbit_celery_tasks_total", task=purge, state="FAILURE") == 1
    json_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    task_lines = [line for line in json_lines if line["task_id"] == task_id]
    assert any("succeeded" in line["message"] for line in task_lines), output[-3000:]
