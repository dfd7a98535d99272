"""Billing's gauges on /metrics (registered from BillingConfig.ready)."""
from __future__ import annotations

from orbit_numbers.observability.gauges import ScrapeGauge, register

from .selectors import ledger_drift_cents


def register_gauges() -> None:
    register(ScrapeGauge("orbit_ledger_drift_cents",
                         "Sum of wallet balances minus the sum of all ledger entries, in cents; anything but "
                         "0 is money that appeared or vanished (run check_ledger for the wallets).",
                         compute=ledger_drift_cents))
