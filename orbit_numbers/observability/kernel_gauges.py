"""The kernel's own scrape-time gauges."""
from __future__ import annotations

from ..models import IdempotencyRecord
from .gauges import ScrapeGauge, register


def idempotency_in_progress() -> int:
    # A record without a status code is a first request still running (or one that died mid-way).
    return IdempotencyRecord.objects.filter(status_code__isnull=True).count()


def register_gauges() -> None:
    register(ScrapeGauge("orbit_idempotency_in_progress",
                         "Idempotency-Key records whose first request has not finished (stuck ones stay).",
                         compute=idempotency_in_progress))
