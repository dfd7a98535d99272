"""Prometheus metrics: what each process counts, and the exposition /metrics serves.

Counted in the web process: requests by method, route pattern (never the raw path, so the number
of series stays bounded) and status, and their latency. Under gunicorn with several workers,
PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) switches prometheus_client to its multiprocess
mode: every worker writes its samples to files there and any worker's /metrics sums them all.
Counted elsewhere: Celery tasks (celery_metrics.py). Computed at scrape: gauges apps register
(gauges.py).
"""
from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from . import celery_metrics
from .gauges import ScrapeGaugeCollector

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

http_requests = Counter("orbit_http_requests", "HTTP requests answered, by method, route pattern and status.",
                        ["method", "route", "status"])
http_request_duration = Histogram("orbit_http_request_duration_seconds",
                                  "Time to produce the response (a streamed body not included), by method "
                                  "and route pattern.", ["method", "route"], buckets=LATENCY_BUCKETS)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"  # a client's invented verbs are not series
    http_requests.labels(method=method, route=route, status=str(status)).inc()
    http_request_duration.labels(method=method, route=route).observe(seconds)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class _ThisProcess:
    """The default registry's metrics (this process only): single-process mode."""

    def collect(self) -> Iterator:
        yield from REGISTRY.collect()


def exposition() -> bytes:
    """The Prometheus text exposition of everything, built for this scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)  # every worker's files, this process's local task counter included
    else:
        registry.register(_ThisProcess())
        if celery_metrics.metrics_redis() is None:
            registry.register(celery_metrics.local_task_counter)
    if celery_metrics.metrics_redis() is not None:
        registry.register(celery_metrics.RedisTaskCounterCollector())
    registry.register(ScrapeGaugeCollector())
    return generate_latest(registry)
