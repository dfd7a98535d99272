"""Inventory's gauges on /metrics (registered from InventoryConfig.ready)."""
from __future__ import annotations

from orbit_numbers.observability.gauges import ScrapeGauge, register

from .selectors import open_low_stock_alerts_by_pool, sellable_stock_by_pool


def register_gauges() -> None:
    register(ScrapeGauge("orbit_inventory_sellable_numbers",
                         "Numbers for sale now (available and not resting after a release), per pool.",
                         compute=sellable_stock_by_pool, labels=("country", "line_type")))
    register(ScrapeGauge("orbit_low_stock_alerts_open", "Open low-stock alerts, per pool.",
                         compute=open_low_stock_alerts_by_pool, labels=("country", "line_type")))
