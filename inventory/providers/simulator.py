"""A carrier that runs offline: latency, deterministic per-number failures, and (for porting)
status that progresses with elapsed time. The default adapter for every provider."""
from __future__ import annotations

import hashlib
import time

from django.conf import settings

from orbit_numbers.errors import ProviderError

from .base import CarrierAdapter, InventoryOffer, NumberOrder


class SimulatorAdapter(CarrierAdapter):
    def _latency(self) -> None:
        delay_ms = settings.ORBIT["SIMULATOR_LATENCY_MS"]
        if delay_ms:
            time.sleep(delay_ms / 1000)

    def _fails(self, e164: str) -> bool:
        return any(e164.endswith(suffix) for suffix in settings.ORBIT["SIMULATOR_FAIL_SUFFIXES"])

    def _order_id(self, *parts: str) -> str:
        return f"sim-{self.name}-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def search_inventory(self, *, country: str, line_type: str | None = None, limit: int = 100) -> list[InventoryOffer]:
        from inventory.seeding import generate_offers

        self._latency()
        return generate_offers(count=limit, countries=[country], providers=[self.name], line_types=(
            [line_type] if line_type else None), seed=f"sync-{country}-{line_type}")

    def order_number(self, *, e164: str, provider_ref: str) -> NumberOrder:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: number {e164} could not be ordered (carrier rejected the order)",
                                provider_code="NUMBER_NOT_ORDERABLE")
        return NumberOrder(provider_order_id=self._order_id("order", e164, str(time.time_ns())), status="completed")

    def release_number(self, *, e164: str, provider_order_id: str) -> None:
        self._latency()
