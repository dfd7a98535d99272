"""A carrier that runs offline: latency, deterministic per-number failures, and (for porting)
status that progresses with elapsed time. The default adapter for every provider."""
from __future__ import annotations

import hashlib
import time
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import phonenumbers
from django.conf import settings
from django.core.cache import cache

from orbit_numbers.errors import ProviderError

from .base import (AddressValidation, CarrierAdapter, EmergencyAddressData, EmergencyProvisioning, InventoryOffer,
                   NumberOrder, PlacedOrder, PortabilityResult, PortOrder)

# The simulator's order book lives in the Django cache (Redis in production), shared by every web
# and worker process like a real carrier's, so reconciliation can list what was ordered. Adapters
# never touch the database.
ORDER_BOOK_TTL = 3 * 24 * 3600
_PAGE = 500


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
        order_id = self._order_id("order", e164, str(time.time_ns()))
        self._book_order(order_id, e164)
        return NumberOrder(provider_order_id=order_id, status="completed")

    def release_number(self, *, e164: str, provider_order_id: str) -> None:
        self._latency()
        if provider_order_id:
            cache.set(self._book_key("released", provider_order_id), True, ORDER_BOOK_TTL)

    # The order book: a sequence number per order (an atomic counter), one entry per order.

    def _book_key(self, *parts: str) -> str:
        return ":".join(["simulator-orders", self.name, *parts])

    def _book_order(self, order_id: str, e164: str) -> None:
        sequence_key = self._book_key("seq")
        cache.add(sequence_key, 0, timeout=None)
        sequence = cache.incr(sequence_key)
        cache.set(self._book_key(str(sequence)), {"id": order_id, "e164": e164, "created": time.time()},
                  ORDER_BOOK_TTL)

    def list_number_orders(self, *, since: datetime) -> list[PlacedOrder]:
        self._latency()
        last = cache.get(self._book_key("seq")) or 0
        cutoff = since.timestamp()
        orders = []
        for start in range(1, last + 1, _PAGE):
            keys = [self._book_key(str(n)) for n in range(start, min(start + _PAGE, last + 1))]
            entries = [entry for entry in cache.get_many(keys).values() if entry["created"] >= cutoff]
            released = cache.get_many([self._book_key("released", entry["id"]) for entry in entries])
            orders += [PlacedOrder(provider_order_id=entry["id"], e164=entry["e164"],
                                   status="released" if self._book_key("released", entry["id"]) in released
                                   else "active",
                                   created_at=datetime.fromtimestamp(entry["created"], tz=dt_timezone.utc))
                       for entry in entries]
        return orders

    # Porting. The simulator keeps no state: an order id carries its creation time and its
    # fate, and status is computed from the time elapsed since then, one stage per
    # SIMULATOR_PORT_STAGE_SECONDS (carrier_review → foc_assigned → foc_scheduled → completed).

    def _stage_seconds(self) -> float:
        return float(settings.ORBIT["SIMULATOR_PORT_STAGE_SECONDS"])

    def _reject_code(self, numbers: list[str]) -> str:
        for number in numbers:
            for suffix, code in settings.ORBIT["SIMULATOR_PORT_REJECT_SUFFIXES"].items():
                if number.endswith(suffix):
                    return code
        return "-"

    def _port_order_id(self, kind: str, numbers: list[str], *, reject: str, created: float | None = None) -> str:
        created_ms = int((time.time() if created is None else created) * 1000)
        digest = hashlib.sha256("|".join([kind, *numbers, str(time.time_ns())]).encode()).hexdigest()[:10]
        return f"sim-{self.name}-{kind}.{created_ms}.{reject}.{digest}"

    def _parse_order(self, provider_order_id: str, kind: str) -> tuple[float, str]:
        try:
            prefix, created_ms, reject, _ = provider_order_id.split(".")
            if prefix != f"sim-{self.name}-{kind}":
                raise ValueError(prefix)
            return int(created_ms) / 1000, reject
        except ValueError:
            raise ProviderError(f"{self.name}: unknown {kind} order {provider_order_id}",
                                provider_code="ORDER_NOT_FOUND") from None

    def _progress(self, provider_order_id: str, kind: str, now: float | None = None) -> PortOrder:
        created, reject = self._parse_order(provider_order_id, kind)
        step = self._stage_seconds()
        now = time.time() if now is None else now
        stages = int((now - created) // step) if step > 0 else 3
        foc_date = datetime.fromtimestamp(created + 3 * step, tz=dt_timezone.utc).date()
        if reject != "-" and stages >= 1:
            return PortOrder(provider_order_id=provider_order_id, status="rejected", reject_code=reject,
                             reject_reason=f"Simulated carrier reject: {reject}")
        status = ["carrier_review", "foc_assigned", "foc_scheduled", "completed"][min(max(stages, 0), 3)]
        return PortOrder(provider_order_id=provider_order_id, status=status,
                         foc_date=foc_date if status != "carrier_review" else None)

    def check_portability(self, *, numbers: list[str]) -> list[PortabilityResult]:
        self._latency()
        if self.name == "didww":  # like DIDWW's API v3: no synchronous check
            return super().check_portability(numbers=numbers)
        failing = [n for n in numbers if self._fails(n)]
        if failing:
            raise ProviderError(f"{self.name}: portability service unavailable", retryable=True)
        results = []
        today = datetime.now(tz=dt_timezone.utc).date()
        for number in numbers:
            if any(number.endswith(s) for s in settings.ORBIT["SIMULATOR_PORT_INELIGIBLE_SUFFIXES"]):
                results.append(PortabilityResult(phone_number=number, eligible=False, fast_portable=False,
                                                 reasons=["The losing carrier reports this number as not "
                                                          "portable (no coverage in its rate centre)."]))
                continue
            parsed = phonenumbers.parse(number)
            toll_free = phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE
            fast = int(number[-1]) % 2 == 0 and not toll_free
            results.append(PortabilityResult(
                phone_number=number, eligible=True, fast_portable=fast,
                # Toll-free SMS lives in a separate registry, so voice can port without it.
                splittable=toll_free,
                estimated_foc_date=_add_business_days(today, 1) if fast else None))
        return results

    def create_port_in(self, *, numbers: list[str], details: dict) -> PortOrder:
        self._latency()
        failing = [n for n in numbers if self._fails(n)]
        if failing:
            raise ProviderError(f"{self.name}: port-in order refused for {', '.join(failing)}",
                                provider_code="ORDER_REFUSED")
        order_id = self._port_order_id("pin", numbers, reject=self._reject_code(numbers))
        self._remember("pin", details.get("customer_reference"), order_id)
        return PortOrder(provider_order_id=order_id, status="carrier_review")

    def port_in_status(self, *, provider_order_id: str) -> PortOrder:
        self._latency()
        return self._progress(provider_order_id, "pin")

    def supplement_port_in(self, *, provider_order_id: str, details: dict) -> PortOrder:
        # A supplement answers the reject: the carrier reviews the corrected order afresh.
        self._latency()
        self._parse_order(provider_order_id, "pin")
        order_id = self._port_order_id("pin", [provider_order_id], reject="-")
        return PortOrder(provider_order_id=order_id, status="carrier_review")

    def cancel_port_in(self, *, provider_order_id: str) -> None:
        self._latency()
        self._parse_order(provider_order_id, "pin")

    def create_port_out(self, *, numbers: list[str], details: dict) -> PortOrder:
        self._latency()
        failing = [n for n in numbers if self._fails(n)]
        if failing:
            raise ProviderError(f"{self.name}: port-out refused for {', '.join(failing)}",
                                provider_code="ORDER_REFUSED")
        order_id = self._port_order_id("pout", numbers, reject=self._reject_code(numbers))
        self._remember("pout", details.get("customer_reference"), order_id)
        return self._progress(order_id, "pout")

    def port_out_status(self, *, provider_order_id: str) -> PortOrder:
        self._latency()
        return self._progress(provider_order_id, "pout")

    def cancel_port_out(self, *, provider_order_id: str) -> None:
        self._latency()
        self._parse_order(provider_order_id, "pout")

    # The orders placed under each customer reference live in the cache (Redis when configured,
    # so every process sees them), like a real carrier's order list.

    def _reference_key(self, kind: str, reference: str) -> str:
        return f"simulator:{self.name}:{kind}:{reference}"

    def _remember(self, kind: str, reference: str | None, order_id: str) -> None:
        if reference:
            cache.set(self._reference_key(kind, reference), order_id, timeout=30 * 24 * 3600)

    def find_port_in(self, *, customer_reference: str) -> PortOrder | None:
        self._latency()
        order_id = cache.get(self._reference_key("pin", customer_reference))
        return self._progress(order_id, "pin") if order_id else None

    def find_port_out(self, *, customer_reference: str, numbers: list[str]) -> PortOrder | None:
        self._latency()
        order_id = cache.get(self._reference_key("pout", customer_reference))
        return self._progress(order_id, "pout") if order_id else None

    # --- emergency (E911) ---
    # Validation follows inventory/providers/emergency_simulation.py; provisioning fails for numbers
    # ending with a suffix of SIMULATOR_E911_FAIL_SUFFIXES (the PSAP refuses the registration) and,
    # like every simulated operation, for SIMULATOR_FAIL_SUFFIXES (the carrier is failing).

    def validate_emergency_address(self, *, address: EmergencyAddressData) -> AddressValidation:
        from .emergency_simulation import validate

        self._latency()
        return validate(address)

    def provision_emergency_address(self, *, e164: str, address: EmergencyAddressData,
                                    carrier_address_id: str = "") -> EmergencyProvisioning:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: emergency service unavailable", provider_code="UNAVAILABLE",
                                retryable=True)
        if any(e164.endswith(suffix) for suffix in settings.ORBIT["SIMULATOR_E911_FAIL_SUFFIXES"]):
            raise ProviderError(f"{self.name}: the emergency call centre (PSAP) serving {address.city}, "
                                f"{address.state} refused the registration of this address for {e164}",
                                provider_code="E911_PSAP_REJECTED")
        address_id = carrier_address_id or self._order_id("e911-address", *address.as_dict().values())
        return EmergencyProvisioning(status="provisioned", carrier_address_id=address_id)

    def remove_emergency_address(self, *, e164: str) -> None:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: emergency service unavailable", provider_code="UNAVAILABLE",
                                retryable=True)


def _add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
