"""What the porting services share: the country of a number, and the compensating cancel of a
carrier order placed by a transaction that then failed."""
from __future__ import annotations

import logging

import phonenumbers

from inventory.providers import get_adapter
from orbit_numbers.errors import ProviderError

logger = logging.getLogger(__name__)


def number_country(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def _cancel_quietly(provider: str, provider_order_id: str, *, port_out: bool = False) -> None:
    try:
        adapter = get_adapter(provider)
        (adapter.cancel_port_out if port_out else adapter.cancel_port_in)(provider_order_id=provider_order_id)
    except ProviderError:
        logger.exception("Compensating cancel of %s order %s failed", provider, provider_order_id)
