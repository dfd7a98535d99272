"""Payment providers behind one interface (base.PaymentAdapter). ``payment_adapter(name)`` returns
the configured adapter; new top-ups use ORBIT["PAYMENT_PROVIDER"] ("simulator" by default)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from .base import PaymentAdapter

BACKENDS = {
    "simulator": "billing.payments.simulator.SimulatorPaymentAdapter",
    "stripe": "billing.payments.stripe.StripePaymentAdapter",
}
PROVIDERS = tuple(BACKENDS)

logger = logging.getLogger(__name__)


class PaymentCallInTransaction(RuntimeError):
    """A provider call was about to run while this thread holds a database transaction."""


def payment_call_guard() -> None:
    """A provider call can take seconds; inside a transaction it would hold the top-up's and the
    wallet's row locks all that time. Same switch as the carriers' guard (CARRIER_TRANSACTION_GUARD)."""
    mode = settings.ORBIT["CARRIER_TRANSACTION_GUARD"]
    if mode == "off":
        return
    # A test case's own wrapping transaction is not one the code under test opened.
    aliases = [conn.alias for conn in connections.all(initialized_only=True)
               if any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)]
    if not aliases:
        return
    if mode == "raise":
        raise PaymentCallInTransaction(f"payment provider call inside a transaction on {', '.join(aliases)}")
    logger.error("Payment provider call inside a transaction on %s", ", ".join(aliases), stack_info=True)


def payment_adapter(provider: str | None = None) -> PaymentAdapter:
    """The adapter for ``provider`` (default: the configured one); fetch it right before the call."""
    provider = provider or settings.ORBIT["PAYMENT_PROVIDER"]
    if provider not in BACKENDS:
        raise ValueError(f"unknown payment provider {provider!r}")
    return import_string(BACKENDS[provider])()


def default_provider() -> str:
    return settings.ORBIT["PAYMENT_PROVIDER"]
