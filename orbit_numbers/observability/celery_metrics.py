"""Celery task counts by task name and outcome, counted from Celery's task_postrun signal.

Workers may run on other hosts than the web processes that serve /metrics, so with a Redis
configured (ORBIT_METRICS_REDIS_URL, default REDIS_URL) every worker adds to one Redis hash and
/metrics reads it: one counter for the whole fleet, whichever host scrapes. A counter that Redis
loses (flushed, evicted) restarts from 0, which Prometheus' rate() treats as a counter reset.
Without Redis (the zero-setup demo runs tasks eagerly in the web process) each process counts in
its own prometheus_client counter (multiprocess files under PROMETHEUS_MULTIPROC_DIR with gunicorn).
A task run eagerly that fails raises into its caller before Celery sends any signal, so failures
are counted where they matter, on workers; an eager failure shows as its request's 500.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache

import redis
from celery.signals import task_postrun
from django.conf import settings
from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily

logger = logging.getLogger(__name__)

METRIC_NAME = "orbit_celery_tasks"
DOCUMENTATION = "Celery tasks run, by task name and final state (SUCCESS, FAILURE, RETRY, …)."
REDIS_HASH = "orbit:metrics:celery_tasks"
FIELD_SEPARATOR = "\t"
REDIS_TIMEOUT_SECONDS = 1.0

# Not in the default registry: /metrics adds it only when Redis is not the counter (metrics.py).
local_task_counter = Counter(METRIC_NAME, DOCUMENTATION, ["task", "state"], registry=None)


@lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                socket_connect_timeout=REDIS_TIMEOUT_SECONDS)


def metrics_redis() -> redis.Redis | None:
    url = settings.ORBIT_METRICS_REDIS_URL
    return _redis_for(url) if url else None


def record_task(*, task_name: str, state: str) -> None:
    client = metrics_redis()
    if client is None:
        local_task_counter.labels(task=task_name, state=state).inc()
        return
    try:
        client.hincrby(REDIS_HASH, f"{task_name}{FIELD_SEPARATOR}{state}", 1)
    except redis.RedisError as exc:  # a metric is never worth failing a task for
        logger.warning("Could not count task %s (%s) in Redis: %s", task_name, state, exc)


def _on_task_postrun(sender=None, state=None, **kwargs) -> None:
    record_task(task_name=getattr(sender, "name", None) or "unknown", state=state or "UNKNOWN")


def connect_signals() -> None:
    task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="orbit-observability-task-count")


class RedisTaskCounterCollector:
    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(METRIC_NAME, DOCUMENTATION, labels=["task", "state"])
        try:
            counts = metrics_redis().hgetall(REDIS_HASH)
        except redis.RedisError as exc:  # the scrape goes on without task counts
            logger.warning("Could not read task counts from Redis: %s", exc)
            counts = {}
        for field, count in sorted(counts.items()):
            task_name, _, state = field.decode().partition(FIELD_SEPARATOR)
            family.add_metric([task_name, state], int(count))
        yield family
