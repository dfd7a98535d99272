"""Gauges computed when Prometheus scrapes /metrics: a registry that apps fill in.

The kernel cannot import apps, so each app registers its gauges from its AppConfig.ready()
(billing/metrics.py, inventory/metrics.py), like the dashboard panels (orbit_numbers/dashboard.py).
A gauge is one cheap query (an aggregate over an indexed column), computed at every scrape: the
database is the truth, shared by every web process, so nothing is kept in process memory.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

GaugeValue = float | Mapping[tuple[str, ...], float]


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    documentation: str
    # Without labels: one number. With labels: {(label values…): number}.
    compute: Callable[[], GaugeValue]
    labels: tuple[str, ...] = ()


_registry: dict[str, ScrapeGauge] = {}


def register(gauge: ScrapeGauge) -> ScrapeGauge:
    """Register (or replace, by name) a gauge. Idempotent, so ready() may run twice in tests."""
    _registry[gauge.name] = gauge
    return gauge


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[ScrapeGauge]:
    return sorted(_registry.values(), key=lambda gauge: gauge.name)


class ScrapeGaugeCollector:
    """A gauge that fails is left out of the scrape and reported in orbit_scrape_gauge_failed
    (with its traceback in the log) instead of failing the whole scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        failed = GaugeMetricFamily("orbit_scrape_gauge_failed",
                                   "1 when the gauge could not be computed at this scrape (see the log).",
                                   labels=["gauge"])
        for gauge in registered():
            try:
                family = _family(gauge, gauge.compute())
            except Exception:
                logger.exception("Metrics gauge %s failed", gauge.name)
                failed.add_metric([gauge.name], 1)
                continue
            failed.add_metric([gauge.name], 0)
            yield family
        yield failed


def _family(gauge: ScrapeGauge, value: GaugeValue) -> GaugeMetricFamily:
    family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
    if not gauge.labels:
        family.add_metric([], float(value))
        return family
    for label_values, number in value.items():
        family.add_metric([str(label) for label in label_values], float(number))
    return family
