"""A scripted carrier for inventory sync and replenish tests: pages of offers, errors on a chosen
page, refusals per number. Fetched through ``install`` so the transaction guard still runs."""
from __future__ import annotations

import itertools

from inventory.providers import carrier_call_guard
from inventory.providers.base import CarrierAdapter, InventoryOffer, InventoryPage, NumberOrder
from orbit_numbers.errors import ProviderError
from tests.conftest import valid_numbers


def offers_for(country: str = "US", line_type: str = "local", count: int = 3, *, provider: str = "telnyx",
               monthly_cents: int = 100, setup_cents: int = 50, skip: int = 0, **fields) -> list[InventoryOffer]:
    numbers = itertools.islice(valid_numbers(country, line_type), skip, skip + count)
    return [offer(e164, country=country, line_type=line_type, provider=provider, monthly_cents=monthly_cents,
                  setup_cents=setup_cents, **fields) for e164 in numbers]


def offer(e164: str, *, country: str = "US", line_type: str = "local", provider: str = "telnyx",
          monthly_cents: int = 100, setup_cents: int = 50, area_code: str | None = None,
          capabilities: tuple[str, ...] = ("sms", "voice")) -> InventoryOffer:
    national = e164[2:] if e164.startswith("+1") else e164[3:]
    return InventoryOffer(e164=e164, provider_ref=f"{provider}-{e164[1:]}", country=country, line_type=line_type,
                          region="Somewhere", area_code=national[:3] if area_code is None else area_code,
                          capabilities=capabilities, sms_two_way="sms" in capabilities and line_type != "toll_free",
                          monthly_cents=monthly_cents, setup_cents=setup_cents, provider=provider)


class ScriptedCarrier(CarrierAdapter):
    def __init__(self, name: str = "telnyx", *, pages: list[list[InventoryOffer]] | None = None,
                 fail_on_page: int | None = None, refuse: set[str] | None = None) -> None:
        super().__init__(name)
        self.pages = pages or [[]]
        self.fail_on_page = fail_on_page  # 1-based
        self.refuse = refuse or set()
        self.page_calls = 0
        self.ordered: list[str] = []

    def search_inventory(self, *, country, line_type=None, limit=100):
        return [o for page in self.pages for o in page][:limit]

    def search_inventory_page(self, *, country, line_type=None, cursor=None, page_size=100):
        self.page_calls += 1
        index = int(cursor or 0)
        if self.fail_on_page == index + 1:
            raise ProviderError(f"{self.name}: listing unavailable", provider_code="UNAVAILABLE")
        return InventoryPage(offers=list(self.pages[index]),
                             next_cursor=str(index + 1) if index + 1 < len(self.pages) else None)

    def order_number(self, *, e164, provider_ref):
        if e164 in self.refuse:
            raise ProviderError(f"{self.name}: {e164} is gone", provider_code="NUMBER_NOT_ORDERABLE")
        self.ordered.append(e164)
        return NumberOrder(provider_order_id=f"ord-{e164[1:]}", status="completed")

    def release_number(self, *, e164, provider_order_id):
        return None


def install(monkeypatch, module: str, carrier: CarrierAdapter) -> CarrierAdapter:
    def get_adapter(provider):
        carrier_call_guard()
        return carrier

    monkeypatch.setattr(f"inventory.services.{module}.get_adapter", get_adapter)
    return carrier
