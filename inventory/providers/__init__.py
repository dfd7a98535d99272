"""Carrier adapters. ``get_adapter(provider)`` returns the adapter configured for a provider."""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CarrierAdapter

BACKENDS = {
    "simulator": "inventory.providers.simulator.SimulatorAdapter",
    "telnyx": "inventory.providers.telnyx.TelnyxAdapter",
    "didww": "inventory.providers.didww.DidwwAdapter",
}


def get_adapter(provider: str) -> CarrierAdapter:
    backend = settings.ORBIT["PROVIDER_BACKENDS"].get(provider)
    if backend is None:
        raise ValueError(f"unknown provider {provider!r}")
    return import_string(BACKENDS[backend])(provider)


def porting_provider_for(country: str) -> str:
    """Porting goes to Telnyx for US/CA numbers and to DIDWW everywhere else."""
    return "telnyx" if country.upper() in ("US", "CA") else "didww"
