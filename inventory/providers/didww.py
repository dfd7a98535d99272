"""DIDWW API v3 (https://api.didww.com/v3, JSON:API): number search, order and release.

DIDWW's API v3 has no porting resources (ports are filed through the DIDWW portal) and no
synchronous portability check, so check_portability answers check-not-supported without a
call, and the porting methods refuse with NOT_SUPPORTED: the porting services then hand the
request to operations, who file it with DIDWW and record its progress in the console.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings

from orbit_numbers.errors import ProviderError

from .base import CarrierAdapter, InventoryOffer, InventoryPage, NumberOrder
from .http import CarrierHttpClient

API_VERSION = "2022-05-10"
_JSONAPI = "application/vnd.api+json"
_GROUP_TYPES = {"local": "local", "mobile": "mobile", "toll-free": "toll_free", "national": "local",
                "global": "local", "shared cost": "local"}
_FEATURES = {"voice_in": "voice", "voice": "voice", "sms_in": "sms", "sms": "sms", "t38": "fax"}


def _cents(amount) -> int:
    try:
        return int((Decimal(str(amount or "0")) * 100).quantize(Decimal("1")))
    except InvalidOperation:
        return 0


def _included(body: dict) -> dict[tuple[str, str], dict]:
    return {(item["type"], item["id"]): item for item in body.get("included", []) if "type" in item and "id" in item}


def _related(item: dict, name: str) -> list[tuple[str, str]]:
    data = ((item.get("relationships") or {}).get(name) or {}).get("data")
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [(d["type"], d["id"]) for d in items]


class DidwwAdapter(CarrierAdapter):
    def __init__(self, name: str, *, client: CarrierHttpClient | None = None) -> None:
        super().__init__(name)
        config = settings.ORBIT
        self.http = client or CarrierHttpClient(provider="didww", base_url=config["DIDWW_BASE_URL"], headers={
            "Api-Key": config["DIDWW_API_KEY"], "Accept": _JSONAPI, "Content-Type": _JSONAPI,
            "X-DIDWW-API-Version": API_VERSION})

    def _unsupported(self, what: str) -> ProviderError:
        return ProviderError(f"didww: API v3 has no {what}; operations file ports through the DIDWW portal",
                             provider_code="NOT_SUPPORTED")

    def _country_id(self, iso: str) -> str:
        body = self.http.request("GET", "/countries", params={"filter[iso]": iso.upper()}) or {}
        for item in body.get("data", []):
            return item["id"]
        raise ProviderError(f"didww: no coverage in {iso.upper()}", provider_code="COUNTRY_NOT_COVERED")

    @staticmethod
    def _cheapest_sku(group: dict, included: dict) -> dict | None:
        skus = [included.get(ref) for ref in _related(group, "stock_keeping_units")]
        skus = [s for s in skus if s]
        return min(skus, key=lambda s: _cents((s.get("attributes") or {}).get("monthly_price")), default=None)

    def search_inventory(self, *, country: str, line_type: str | None = None, limit: int = 100) -> list[InventoryOffer]:
        body = self.http.request("GET", "/available_dids", params={
            "filter[country.id]": self._country_id(country), "page[size]": min(limit, 100),
            "include": "did_group.stock_keeping_units,did_group.did_group_type"}) or {}
        return self._offers(body, country=country, line_type=line_type)

    def _offers(self, body: dict, *, country: str, line_type: str | None) -> list[InventoryOffer]:
        included = _included(body)
        offers = []
        for item in body.get("data", []):
            groups = [included.get(ref) for ref in _related(item, "did_group")]
            group = groups[0] if groups and groups[0] else None
            if group is None:
                continue
            attributes = group.get("attributes") or {}
            types = [included.get(ref) for ref in _related(group, "did_group_type")]
            type_name = ((types[0] or {}).get("attributes") or {}).get("name", "") if types else ""
            kind = _GROUP_TYPES.get(type_name.lower(), "local")
            if line_type and kind != line_type:
                continue
            sku = self._cheapest_sku(group, included)
            if sku is None:
                continue
            prices = sku.get("attributes") or {}
            capabilities = tuple(dict.fromkeys(_FEATURES[f] for f in attributes.get("features", []) if f in _FEATURES))
            number = str((item.get("attributes") or {}).get("number", "")).lstrip("+")
            offers.append(InventoryOffer(
                e164=f"+{number}", provider_ref=item["id"], country=country.upper(), line_type=kind,
                region=attributes.get("area_name") or "", area_code=str(attributes.get("prefix") or ""),
                capabilities=capabilities, sms_two_way=False,  # DIDWW numbers receive SMS only (sms_in)
                monthly_cents=_cents(prices.get("monthly_price")), setup_cents=_cents(prices.get("setup_price"))))
        return offers

    def order_number(self, *, e164: str, provider_ref: str) -> NumberOrder:
        body = self.http.request("GET", f"/available_dids/{provider_ref}",
                                 params={"include": "did_group.stock_keeping_units"}, allow_404=True)
        if not body:
            raise ProviderError(f"didww: {e164} is no longer available", provider_code="NUMBER_NOT_ORDERABLE")
        included = _included(body)
        groups = [included.get(ref) for ref in _related(body.get("data") or {}, "did_group")]
        sku = self._cheapest_sku(groups[0], included) if groups and groups[0] else None
        if sku is None:
            raise ProviderError(f"didww: no price (SKU) for {e164}", provider_code="NUMBER_NOT_ORDERABLE")
        created = self.http.request("POST", "/orders", json={"data": {"type": "orders", "attributes": {
            "allow_back_ordering": False,
            "items": [{"type": "did_order_items", "attributes": {"sku_id": sku["id"], "available_did_id": provider_ref}}],
        }}}) or {}
        order = created.get("data") or {}
        status = (order.get("attributes") or {}).get("status", "")
        if status == "Canceled":
            raise ProviderError(f"didww: order for {e164} was cancelled", provider_code="ORDER_CANCELLED")
        return NumberOrder(provider_order_id=order.get("id", ""), status="completed" if status == "Completed" else "pending")

    def release_number(self, *, e164: str, provider_order_id: str) -> None:
        body = self.http.request("GET", "/dids", params={"filter[number]": e164.lstrip("+")}) or {}
        for item in body.get("data", []):
            # Terminating a DID is how DIDWW releases it (it stops renewing and is removed).
            self.http.request("PATCH", f"/dids/{item['id']}", json={"data": {
                "id": item["id"], "type": "dids", "attributes": {"terminated": True}}})

    # --- inventory sync ---

    def search_inventory_page(self, *, country: str, line_type: str | None = None, cursor: str | None = None,
                              page_size: int = 100) -> InventoryPage:
        """JSON:API paging (page[number], meta.total_records). The cursor carries the page number and
        DIDWW's country id, so the country is looked up once per listing."""
        if cursor:
            try:
                number_text, country_id = cursor.split(":", 1)
                number = int(number_text)
            except ValueError:
                raise ProviderError("didww: invalid listing cursor", provider_code="BAD_CURSOR") from None
        else:
            number, country_id = 1, self._country_id(country)
        size = min(page_size, 100)
        body = self.http.request("GET", "/available_dids", params={
            "filter[country.id]": country_id, "page[number]": number, "page[size]": size,
            "include": "did_group.stock_keeping_units,did_group.did_group_type"}) or {}
        offers = self._offers(body, country=country, line_type=line_type)
        total = (body.get("meta") or {}).get("total_records")
        if total is None:  # no count: a full page may hide more
            return InventoryPage(offers=offers, truncated=len(body.get("data") or []) >= size)
        more = number * size < int(total) and bool(body.get("data"))
        return InventoryPage(offers=offers, next_cursor=f"{number + 1}:{country_id}" if more else None)
