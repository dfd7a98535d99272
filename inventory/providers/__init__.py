"""Carrier adapters. ``get_adapter(provider)`` returns the adapter configured for a provider."""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from .base import CarrierAdapter

BACKENDS = {
    "simulator": "inventory.providers.simulator.SimulatorAdapter",
    "telnyx": "inventory.providers.telnyx.TelnyxAdapter",
    "didww": "inventory.providers.didww.DidwwAdapter",
}


logger = logging.getLogger(__name__)


class CarrierCallInTransaction(RuntimeError):
    """A carrier call was about to run while this thread holds a database transaction."""


def _open_transaction_aliases() -> list[str]:
    # A test case's own wrapping transaction is not one the code under test opened.
    return [conn.alias for conn in connections.all(initialized_only=True)
            if any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)]


def carrier_call_guard() -> None:
    """A carrier call can take seconds (timeouts, retries with backoff). Inside a transaction it
    would hold that transaction's row locks (numbers, the wallet) the whole time and stall every
    other request that needs them. Services call carriers between their transactions."""
    mode = settings.ORBIT["CARRIER_TRANSACTION_GUARD"]
    if mode == "off":
        return
    aliases = _open_transaction_aliases()
    if not aliases:
        return
    if mode == "raise":
        raise CarrierCallInTransaction(f"carrier call inside a transaction on {', '.join(aliases)}")
    logger.error("Carrier call inside a transaction on %s", ", ".join(aliases), stack_info=True)


def get_adapter(provider: str) -> CarrierAdapter:
    """The adapter for ``provider``; fetch it right before the call, outside any transaction."""
    carrier_call_guard()
    backend = settings.ORBIT["PROVIDER_BACKENDS"].get(provider)
    if backend is None:
        raise ValueError(f"unknown provider {provider!r}")
    return import_string(BACKENDS[backend])(provider)


def porting_provider_for(country: str) -> str:
    """Porting goes to Telnyx for US/CA numbers and to DIDWW everywhere else."""
    return "telnyx" if country.upper() in ("US", "CA") else "didww"
