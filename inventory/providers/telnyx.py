"""Telnyx API v2 (https://api.telnyx.com/v2): number search/order/release, portability checks,
porting orders (port-in) and port-out authorisation.

Port-in follows Telnyx's flow: upload the LoA (documents), create a draft porting order,
fill in end-user details and the LoA, then confirm it. Telnyx may split an order (per SPID,
number type …); we do not manage split orders, so a split draft is deleted and reported as
PORTING_ORDER_SPLIT_REQUIRED. Port-outs at Telnyx are opened by the winning carrier; the
number owner's port-out request *authorises* the pending port-out for its numbers.
"""
from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from django.conf import settings

from orbit_numbers.errors import ProviderError

from .base import (AddressValidation, CarrierAdapter, CarrierInfo, CnamDipResult, CnamListingResult,
                   EmergencyAddressData, EmergencyProvisioning, InventoryOffer, NumberLookupResult, NumberOrder,
                   PlacedOrder, PortabilityInfo, PortabilityResult, PortOrder, TenDlcBrandData, TenDlcCampaignData,
                   TenDlcVetting)
from .http import CarrierHttpClient

_LINE_TYPES = {"local": "local", "toll_free": "toll_free", "mobile": "mobile"}
_CAPABILITIES = {"sms": "sms", "mms": "mms", "voice": "voice", "fax": "fax"}
# Telnyx's not_portable_reason values, in words.
_NOT_PORTABLE = {
    "no_coverage": "The carrier has no coverage for this number's rate centre.",
    "not_portable": "The losing carrier does not allow this number to be ported.",
    "already_ported": "This number is already hosted at the carrier.",
    "invalid_number": "The number is not a valid, active telephone number.",
}


def _cents(amount) -> int:
    try:
        return int((Decimal(str(amount or "0")) * 100).quantize(Decimal("1")))
    except InvalidOperation:
        return 0


def _datetime(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


class TelnyxAdapter(CarrierAdapter):
    def __init__(self, name: str, *, client: CarrierHttpClient | None = None) -> None:
        super().__init__(name)
        config = settings.ORBIT
        self.http = client or CarrierHttpClient(provider="telnyx", base_url=config["TELNYX_BASE_URL"], headers={
            "Authorization": f"Bearer {config['TELNYX_API_KEY']}", "Accept": "application/json"})

    # ---------------------------------------------------------------- numbers

    def search_inventory(self, *, country: str, line_type: str | None = None, limit: int = 100) -> list[InventoryOffer]:
        params = {"filter[country_code]": country.upper(), "filter[limit]": min(limit, 250)}
        if line_type:
            params["filter[phone_number_type]"] = _LINE_TYPES.get(line_type, line_type)
        body = self.http.request("GET", "/available_phone_numbers", params=params) or {}
        offers = []
        for item in body.get("data", []):
            e164 = item.get("phone_number", "")
            features = {f.get("name") for f in item.get("features", []) if isinstance(f, dict)}
            capabilities = tuple(cap for name, cap in _CAPABILITIES.items() if name in features)
            kind = line_type or item.get("phone_number_type") or "local"
            regions = {r.get("region_type"): r.get("region_name") for r in item.get("region_information", [])}
            costs = item.get("cost_information") or {}
            national = e164[2:] if e164.startswith("+1") else e164.lstrip("+")
            offers.append(InventoryOffer(
                e164=e164, provider_ref=e164, country=country.upper(), line_type=kind,
                region=regions.get("rate_center") or regions.get("state") or "",
                area_code=national[:3] if e164.startswith("+1") else "", capabilities=capabilities,
                sms_two_way="sms" in capabilities and kind != "toll_free",
                monthly_cents=_cents(costs.get("monthly_cost")), setup_cents=_cents(costs.get("upfront_cost"))))
        return offers

    def order_number(self, *, e164: str, provider_ref: str) -> NumberOrder:
        body = self.http.request("POST", "/number_orders", json={"phone_numbers": [{"phone_number": e164}]})
        order = (body or {}).get("data") or {}
        status = order.get("status")
        if status == "failure":
            raise ProviderError(f"telnyx: number order for {e164} failed", provider_code="NUMBER_NOT_ORDERABLE")
        return NumberOrder(provider_order_id=order.get("id", ""), status="completed" if status == "success" else "pending")

    def release_number(self, *, e164: str, provider_order_id: str) -> None:
        body = self.http.request("GET", "/phone_numbers", params={"filter[phone_number]": e164}) or {}
        for item in body.get("data", []):
            if item.get("phone_number") == e164:
                self.http.request("DELETE", f"/phone_numbers/{item['id']}", allow_404=True)

    def list_number_orders(self, *, since: datetime) -> list[PlacedOrder]:
        """GET /number_orders created after ``since``, every page. An order lists its numbers; a
        number whose own status is failed was never ours. Telnyx keeps a successful order listed
        after the number is deleted, so "active" here means "was placed"; the caller remembers
        what it already released."""
        orders, page = [], 1
        while True:
            body = self.http.request("GET", "/number_orders", params={
                "filter[created_at][gt]": since.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "page[number]": page, "page[size]": 250}) or {}
            for order in body.get("data", []):
                created = _datetime(order.get("created_at"))
                for number in order.get("phone_numbers") or []:
                    failed = order.get("status") == "failure" or number.get("status") == "failure"
                    orders.append(PlacedOrder(provider_order_id=order.get("id", ""),
                                              e164=number.get("phone_number", ""),
                                              status="failed" if failed else "active", created_at=created))
            meta = body.get("meta") or {}
            if page >= int(meta.get("total_pages") or 1):
                return orders
            page += 1

    # ---------------------------------------------------------------- portability and port-in

    def check_portability(self, *, numbers: list[str]) -> list[PortabilityResult]:
        body = self.http.request("POST", "/portability_checks", json={"phone_numbers": numbers}) or {}
        results = []
        for item in body.get("data", []):
            portable = bool(item.get("portable"))
            reason = item.get("not_portable_reason") or ""
            results.append(PortabilityResult(
                phone_number=item.get("phone_number", ""), eligible=portable,
                reasons=[] if portable else [_NOT_PORTABLE.get(reason, reason or "Not portable to the carrier.")],
                # Voice can port while messaging stays behind when the number is not messaging-capable here.
                splittable=portable and item.get("messaging_capable") is False,
                fast_portable=item.get("fast_portable"), check_status="checked"))
        return results

    def _upload_document(self, loa: dict, reference: str) -> str:
        body = self.http.request("POST", "/documents", json={
            "file": base64.b64encode(loa["data"]).decode(), "filename": loa["filename"],
            "customer_reference": reference})
        return ((body or {}).get("data") or {})["id"]

    def _order_details(self, details: dict) -> dict:
        address = details.get("service_address") or {}
        patch = {
            "customer_reference": details.get("customer_reference"),
            "end_user": {
                "admin": {
                    "entity_name": details.get("entity_name") or details.get("authorized_signer") or None,
                    "auth_person_name": details.get("authorized_signer") or None,
                    "account_number": details.get("account_number") or None,
                    "pin_passcode": details.get("account_pin") or None,
                },
                "location": {
                    "street_address": address.get("line1"), "extended_address": address.get("line2") or None,
                    "locality": address.get("city"), "administrative_area": address.get("state") or None,
                    "postal_code": address.get("postalCode"), "country_code": address.get("countryCode"),
                },
            },
        }
        if details.get("loa"):
            patch["documents"] = {"loa": self._upload_document(details["loa"], details.get("customer_reference", ""))}
        return patch

    def create_port_in(self, *, numbers: list[str], details: dict) -> PortOrder:
        body = self.http.request("POST", "/porting_orders", json={
            "phone_numbers": numbers, "customer_reference": details.get("customer_reference")}) or {}
        drafts = body.get("data") or []
        if isinstance(drafts, dict):
            drafts = [drafts]
        if len(drafts) != 1:
            for draft in drafts:
                self.http.request("DELETE", f"/porting_orders/{draft['id']}", allow_404=True)
            raise ProviderError("telnyx: the carrier splits these numbers into several porting orders; submit one "
                                "request per losing account and number type", provider_code="PORTING_ORDER_SPLIT_REQUIRED")
        order_id = drafts[0]["id"]
        self.http.request("PATCH", f"/porting_orders/{order_id}", json=self._order_details(details))
        confirmed = self.http.request("POST", f"/porting_orders/{order_id}/actions/confirm") or {}
        return self._port_order(confirmed.get("data") or {"id": order_id, "status": {"value": "submitted"}})

    def port_in_status(self, *, provider_order_id: str) -> PortOrder:
        body = self.http.request("GET", f"/porting_orders/{provider_order_id}") or {}
        return self._port_order(body.get("data") or {})

    def supplement_port_in(self, *, provider_order_id: str, details: dict) -> PortOrder:
        # Telnyx's amend path: fix the order in place, then confirm it again.
        self.http.request("PATCH", f"/porting_orders/{provider_order_id}", json=self._order_details(details))
        confirmed = self.http.request("POST", f"/porting_orders/{provider_order_id}/actions/confirm") or {}
        return self._port_order(confirmed.get("data") or {"id": provider_order_id, "status": {"value": "submitted"}})

    def cancel_port_in(self, *, provider_order_id: str) -> None:
        self.http.request("POST", f"/porting_orders/{provider_order_id}/actions/cancel")

    def find_port_in(self, *, customer_reference: str) -> PortOrder | None:
        body = self.http.request("GET", "/porting_orders",
                                 params={"filter[customer_reference]": customer_reference}) or {}
        found = None
        for order in body.get("data", []):
            status = order.get("status") or {}
            if (status.get("value") if isinstance(status, dict) else status) == "draft":
                # Never confirmed (the creating process died half-way): not an order; remove it.
                self.http.request("DELETE", f"/porting_orders/{order['id']}", allow_404=True)
            elif found is None:
                found = self._port_order(order)
        return found

    @staticmethod
    def _port_order(order: dict) -> PortOrder:
        status = order.get("status") or {}
        value = status.get("value") if isinstance(status, dict) else status
        activation = order.get("activation_settings") or {}
        foc = _date(activation.get("foc_datetime_actual") or activation.get("foc_datetime_requested"))
        if value == "exception":
            detail = (status.get("details") or [{}])[0] if isinstance(status, dict) else {}
            return PortOrder(provider_order_id=order.get("id", ""), status="rejected", foc_date=foc,
                             reject_code=detail.get("code") or "OTHER", reject_reason=detail.get("description"))
        mapped = {
            "draft": "carrier_review", "in-process": "carrier_review",
            "submitted": "foc_assigned" if activation.get("foc_datetime_actual") else "carrier_review",
            "foc-date-confirmed": "foc_scheduled", "ported": "completed",
            "cancel-pending": "cancelled", "cancelled": "cancelled",
        }.get(value or "", "carrier_review")
        return PortOrder(provider_order_id=order.get("id", ""), status=mapped, foc_date=foc)

    # ---------------------------------------------------------------- port-out

    def create_port_out(self, *, numbers: list[str], details: dict) -> PortOrder:
        body = self.http.request("GET", "/portouts", params={"filter[phone_number]": numbers[0],
                                                             "filter[status]": "pending"}) or {}
        wanted = set(numbers)
        match = next((p for p in body.get("data", []) if wanted <= set(p.get("phone_numbers") or [])), None)
        if match is None:
            raise ProviderError("telnyx: no pending port-out from the winning carrier covers these numbers yet; the "
                                "winning carrier must submit its port request first", provider_code="PORTOUT_NOT_FOUND")
        reason = (f"Authorized by {details.get('authorized_person') or 'the number owner'} "
                  f"(Orbit {details.get('customer_reference', '')})").strip()
        updated = self.http.request("PATCH", f"/portouts/{match['id']}/authorized", json={"reason": reason}) or {}
        return self._port_out(updated.get("data") or match)

    def find_port_out(self, *, customer_reference: str, numbers: list[str]) -> PortOrder | None:
        # Our authorisation carries "(Orbit <reference>)" in its reason.
        body = self.http.request("GET", "/portouts", params={"filter[phone_number]": numbers[0]}) or {}
        for portout in body.get("data", []):
            if f"(Orbit {customer_reference})" in str(portout.get("reason") or ""):
                return self._port_out(portout)
        return None

    def port_out_status(self, *, provider_order_id: str) -> PortOrder:
        body = self.http.request("GET", f"/portouts/{provider_order_id}") or {}
        return self._port_out(body.get("data") or {})

    def cancel_port_out(self, *, provider_order_id: str) -> None:
        self.http.request("PATCH", f"/portouts/{provider_order_id}/rejected-pending",
                          json={"reason": "Withdrawn by the number owner"})

    @staticmethod
    def _port_out(portout: dict) -> PortOrder:
        status = portout.get("status")
        foc = _date(portout.get("foc_date"))
        if status in ("rejected", "rejected-pending"):
            return PortOrder(provider_order_id=portout.get("id", ""), status="rejected", foc_date=foc,
                             reject_code=str(portout.get("rejection_code") or "OTHER"),
                             reject_reason=portout.get("reason"))
        mapped = {"pending": "carrier_review", "authorized": "foc_scheduled" if foc else "carrier_review",
                  "ported": "completed", "canceled": "cancelled"}.get(status or "", "carrier_review")
        return PortOrder(provider_order_id=portout.get("id", ""), status=mapped, foc_date=foc)

    # --- caller ID: CNAM listings ---
    # Telnyx keeps the CNAM listing on the number's voice settings (PATCH /phone_numbers/{id}/voice,
    # cnam_listing: {cnam_listing_enabled, cnam_listing_details}); the reference is Telnyx's phone
    # number id. Telnyx reports no review stage: a listing it accepted on the number is listed, one it
    # refuses (4xx) is rejected with its reason. It has no spam-label feed (the base refuses).

    def _phone_number_id(self, e164: str) -> str:
        body = self.http.request("GET", "/phone_numbers", params={"filter[phone_number]": e164}) or {}
        for item in body.get("data", []):
            if item.get("phone_number") == e164 and item.get("id"):
                return str(item["id"])
        raise ProviderError(f"telnyx: {e164} is not a number of this Telnyx account", provider_code="NUMBER_NOT_FOUND")

    @staticmethod
    def _cnam_listing(reference: str, voice: dict, display_name: str | None = None) -> CnamListingResult:
        listing = voice.get("cnam_listing") or {}
        details = listing.get("cnam_listing_details") or ""
        if listing.get("cnam_listing_enabled") and details and (display_name is None or details == display_name):
            return CnamListingResult(status="listed", reference=reference)
        return CnamListingResult(status="rejected", reference=reference, reject_code="NOT_LISTED",
                                 reject_reason="The carrier shows no CNAM listing with this name on the number.")

    def submit_cnam_listing(self, *, e164: str, display_name: str) -> CnamListingResult:
        reference = self._phone_number_id(e164)
        try:
            body = self.http.request("PATCH", f"/phone_numbers/{reference}/voice", json={
                "cnam_listing": {"cnam_listing_enabled": True, "cnam_listing_details": display_name}}) or {}
        except ProviderError as exc:
            if exc.retryable:
                raise
            # A refusal of the request itself (the name, the number's state): the carrier's answer.
            return CnamListingResult(status="rejected", reference=reference, reject_code=exc.provider_code or "REFUSED",
                                     reject_reason=exc.message[:255])
        return self._cnam_listing(reference, body.get("data") or {}, display_name)

    def cnam_listing_status(self, *, e164: str, reference: str) -> CnamListingResult:
        body = self.http.request("GET", f"/phone_numbers/{reference}/voice") or {}
        return self._cnam_listing(reference, body.get("data") or {})

    def delete_cnam_listing(self, *, e164: str, reference: str) -> None:
        self.http.request("PATCH", f"/phone_numbers/{reference}/voice",
                          json={"cnam_listing": {"cnam_listing_enabled": False}}, allow_404=True)

    # --- number lookup and CNAM dip ---
    # GET /number_lookup/{phone_number}: type=carrier answers carrier, line type and (North America)
    # portability; type=caller-name answers the CNAM. Telnyx reports no SIM swaps or roaming.

    def lookup_number(self, *, e164: str, fields: tuple[str, ...]) -> NumberLookupResult:
        body = self.http.request("GET", f"/number_lookup/{e164}", params={"type": "carrier"}) or {}
        data = body.get("data") or {}
        carrier = data.get("carrier") or {}
        portability = data.get("portability") or {}
        unavailable = {name: "telnyx's number lookup does not report this" for name in ("sim_swap", "roaming")
                       if name in fields}
        result: dict = {}
        if "carrier" in fields:
            if carrier.get("error_code") or not (carrier.get("name") or carrier.get("normalized_carrier")):
                unavailable["carrier"] = "the carrier database has no record of this number"
            else:
                result["carrier"] = CarrierInfo(
                    name=str(carrier.get("normalized_carrier") or carrier.get("name")),
                    mcc=_code(carrier.get("mobile_country_code")), mnc=_code(carrier.get("mobile_network_code")))
        if "portability" in fields:
            if not portability:
                unavailable["portability"] = "portability data covers North American numbers only"
            else:
                result["portability"] = PortabilityInfo(
                    lrn=str(portability.get("lrn") or ""), spid=str(portability.get("spid") or ""),
                    ported=str(portability.get("ported_status") or "").upper() == "Y")
        kind = _LOOKUP_LINE_TYPES.get(str(carrier.get("type") or portability.get("line_type") or "").lower())
        return NumberLookupResult(phone_number=e164, line_type=kind, unavailable=unavailable, **result)

    def cnam_dip(self, *, e164: str) -> CnamDipResult:
        body = self.http.request("GET", f"/number_lookup/{e164}", params={"type": "caller-name"}) or {}
        listing = (body.get("data") or {}).get("caller_name") or {}
        name = str(listing.get("caller_name") or "").strip() or None
        return CnamDipResult(phone_number=e164, caller_name=name, caller_type=_caller_type(name))

    # --- emergency (E911) ---
    # Telnyx Addresses (emergency-validated, immutable records): POST /addresses/actions/validate
    # checks one, POST /addresses creates the record a number points at. Emergency calling is
    # enabled per number with POST /phone_numbers/{id}/actions/enable_emergency and disabled with
    # the emergency-settings job (POST /phone_numbers/jobs/update_emergency_settings), which is the
    # documented way to turn it off (the voice-settings PATCH takes no emergency fields).

    _ADDRESS_POINTERS = {"/street_address": "street_name", "/extended_address": "unit", "/locality": "city",
                         "/administrative_area": "state", "/postal_code": "postal_code",
                         "/country_code": "country", "/first_name": "caller_name", "/last_name": "caller_name",
                         "/business_name": "business_name"}

    @staticmethod
    def _location(address: EmergencyAddressData) -> dict:
        location = {"street_address": f"{address.street_number} {address.street_name}".strip(),
                    "locality": address.city, "administrative_area": address.state,
                    "postal_code": address.postal_code, "country_code": address.country}
        if address.unit:
            location["extended_address"] = address.unit
        return location

    def validate_emergency_address(self, *, address: EmergencyAddressData) -> AddressValidation:
        body = self.http.request("POST", "/addresses/actions/validate", json=self._location(address)) or {}
        data = body.get("data") or {}
        errors: dict[str, str] = {}
        for error in data.get("errors") or []:
            pointer = ((error.get("source") or {}).get("pointer")) or ""
            name = self._ADDRESS_POINTERS.get(pointer, "address")
            errors.setdefault(name, str(error.get("detail") or error.get("description") or error.get("title")
                                        or "The carrier could not validate this part of the address."))
        if data.get("result") != "valid":
            return AddressValidation(valid=False, errors=errors or {
                "address": "The carrier could not validate this address for emergency services."})
        suggested = data.get("suggested") or {}
        street = str(suggested.get("street_address") or "").strip()
        number, _, name = street.partition(" ")
        if not (number and any(ch.isdigit() for ch in number) and name):
            number, name = address.street_number, address.street_name
        normalized = replace(
            address, street_number=number, street_name=name,
            unit=str(suggested.get("extended_address") or address.unit or ""),
            city=str(suggested.get("locality") or address.city),
            state=str(suggested.get("administrative_area") or address.state).upper(),
            postal_code=str(suggested.get("postal_code") or address.postal_code),
            country=str(suggested.get("country_code") or address.country).upper())
        corrected = tuple(field for field in ("street_number", "street_name", "unit", "city", "state", "postal_code",
                                              "country") if getattr(normalized, field) != getattr(address, field))
        return AddressValidation(valid=True, normalized=normalized, corrected_fields=corrected,
                                 reference=str(data.get("record_type") or "address_validation"))

    def provision_emergency_address(self, *, e164: str, address: EmergencyAddressData,
                                    carrier_address_id: str = "") -> EmergencyProvisioning:
        number_id = self._phone_number_id(e164)
        if not carrier_address_id:
            first, _, last = address.caller_name.strip().partition(" ")
            created = self.http.request("POST", "/addresses", json={
                **self._location(address), "first_name": first, "last_name": last or first,
                "business_name": address.business_name or address.caller_name, "customer_reference": e164}) or {}
            carrier_address_id = str(((created.get("data") or {}).get("id")) or "")
            if not carrier_address_id:
                raise ProviderError("telnyx: the address was not created", provider_code="BAD_RESPONSE")
        body = self.http.request("POST", f"/phone_numbers/{number_id}/actions/enable_emergency", json={
            "emergency_enabled": True, "emergency_address_id": carrier_address_id}) or {}
        emergency = ((body.get("data") or {}).get("emergency")) or {}
        status = emergency.get("emergency_status")
        if status == "active":
            return EmergencyProvisioning(status="provisioned", carrier_address_id=carrier_address_id)
        if status == "provisioning":
            return EmergencyProvisioning(status="pending", carrier_address_id=carrier_address_id)
        raise ProviderError(f"telnyx: emergency services were not enabled on {e164} (status {status or 'unknown'})",
                            provider_code="EMERGENCY_NOT_ENABLED")

    def remove_emergency_address(self, *, e164: str) -> None:
        body = self.http.request("POST", "/phone_numbers/jobs/update_emergency_settings", json={
            "emergency_enabled": False, "phone_numbers": [e164]}) or {}
        for failure in (body.get("data") or {}).get("failed_operations") or []:
            if failure.get("phone_number") in (e164, None):
                first = (failure.get("errors") or [{}])[0]
                raise ProviderError(f"telnyx: emergency services were not disabled on {e164}: "
                                    f"{first.get('detail') or first.get('title') or 'refused'}",
                                    provider_code=str(first.get("code") or "EMERGENCY_NOT_DISABLED"))

    # --- 10DLC registration ---
    # Telnyx's 10DLC API (objects answered unwrapped, camelCase): POST /10dlc/brand registers a brand
    # with The Campaign Registry, GET /10dlc/brand/{brandId} reads its identityStatus; POST
    # /10dlc/campaignBuilder registers a campaign, GET /10dlc/campaign/{campaignId} reads its
    # campaignStatus as TCR and the mobile carriers move it.

    def submit_ten_dlc_brand(self, *, brand: TenDlcBrandData) -> TenDlcVetting:
        payload = {"entityType": brand.entity_type, "displayName": brand.display_name,
                   "companyName": brand.legal_name, "vertical": brand.vertical, "country": brand.country,
                   "email": brand.email}
        optional = {"ein": brand.tax_id, "einIssuingCountry": brand.tax_id_country, "phone": brand.phone,
                    "website": brand.website, "street": brand.street, "city": brand.city, "state": brand.state,
                    "postalCode": brand.postal_code, "stockSymbol": brand.stock_symbol,
                    "stockExchange": brand.stock_exchange, "referenceId": brand.customer_reference}
        payload.update({key: value for key, value in optional.items() if value})
        return _brand_vetting(_unwrap(self.http.request("POST", "/10dlc/brand", json=payload)))

    def ten_dlc_brand_status(self, *, reference: str) -> TenDlcVetting:
        return _brand_vetting(_unwrap(self.http.request("GET", f"/10dlc/brand/{reference}")))

    def submit_ten_dlc_campaign(self, *, campaign: TenDlcCampaignData, brand_reference: str) -> TenDlcVetting:
        payload = {"brandId": brand_reference, "usecase": campaign.use_case, "description": campaign.description,
                   "messageFlow": campaign.message_flow, "embeddedLink": campaign.embedded_link,
                   "embeddedPhone": campaign.embedded_phone, "numberPool": campaign.number_pool,
                   "ageGated": campaign.age_gated, "directLending": campaign.direct_lending,
                   "subscriberOptin": bool(campaign.opt_in_keywords or campaign.opt_in_message),
                   "subscriberOptout": True, "subscriberHelp": True,
                   "optoutKeywords": ",".join(campaign.opt_out_keywords), "optoutMessage": campaign.opt_out_message,
                   "helpKeywords": ",".join(campaign.help_keywords), "helpMessage": campaign.help_message}
        if campaign.opt_in_keywords:
            payload["optinKeywords"] = ",".join(campaign.opt_in_keywords)
        if campaign.opt_in_message:
            payload["optinMessage"] = campaign.opt_in_message
        for index, sample in enumerate(campaign.sample_messages[:5], start=1):
            payload[f"sample{index}"] = sample
        return _campaign_vetting(_unwrap(self.http.request("POST", "/10dlc/campaignBuilder", json=payload)))

    def ten_dlc_campaign_status(self, *, reference: str) -> TenDlcVetting:
        return _campaign_vetting(_unwrap(self.http.request("GET", f"/10dlc/campaign/{reference}")))


# --- number lookup and CNAM dip (Telnyx's words → ours) ---

_LOOKUP_LINE_TYPES = {"mobile": "mobile", "fixed line": "fixed_line", "landline": "fixed_line", "voip": "voip",
                      "toll free": "toll_free", "fixed line or mobile": "fixed_line_or_mobile",
                      "premium rate": "premium_rate", "shared cost": "shared_cost", "pager": "pager"}
# Telnyx does not type caller names; a name with a company suffix is a business, anything else unknown.
_BUSINESS_WORDS = {"LLC", "LLP", "INC", "CORP", "CO", "LTD", "GROUP", "BANK", "CLINIC", "SERVICES", "COMPANY"}


def _code(value) -> str:
    return "" if value in (None, "") else str(value)


def _caller_type(name: str | None) -> str:
    if not name:
        return "unknown"
    words = {word.strip(".,") for word in name.upper().split()}
    return "business" if words & _BUSINESS_WORDS else "unknown"


# --- 10DLC (Telnyx's words → ours) ---

_BRAND_VERIFIED = ("VERIFIED", "VETTED_VERIFIED")
# campaignStatus values: the registry and the carriers accepted it (verified) or one of them refused it.
_CAMPAIGN_VERIFIED = ("MNO_PROVISIONED", "MNO_ACCEPTED")
_CAMPAIGN_REJECTED = ("TCR_FAILED", "TELNYX_FAILED", "MNO_REJECTED", "MNO_PROVISIONING_FAILED", "TCR_SUSPENDED",
                      "TCR_EXPIRED")


def _unwrap(body) -> dict:
    body = body or {}
    return body.get("data") if isinstance(body.get("data"), dict) else body


def _failure_reason(record: dict) -> str:
    reasons = record.get("failureReasons")
    if isinstance(reasons, list):
        reasons = "; ".join(str(r.get("description") or r) if isinstance(r, dict) else str(r) for r in reasons)
    return str(reasons or "").strip()


def _brand_vetting(record: dict) -> TenDlcVetting:
    reference = str(record.get("brandId") or "")
    if not reference:
        raise ProviderError("telnyx: the 10DLC brand answer has no brandId", provider_code="BAD_RESPONSE")
    identity = str(record.get("identityStatus") or "").upper() or None
    status = str(record.get("status") or "").upper()
    # While the registration itself is in flight the identity verdict is not final yet.
    if status == "REGISTRATION_PENDING":
        return TenDlcVetting(status="pending", reference=reference, identity_status=identity)
    if identity in _BRAND_VERIFIED:
        return TenDlcVetting(status="verified", reference=reference, identity_status=identity)
    if identity == "UNVERIFIED" or status == "REGISTRATION_FAILED":
        return TenDlcVetting(status="rejected", reference=reference, identity_status=identity,
                             reject_code="UNVERIFIED" if identity == "UNVERIFIED" else "REGISTRATION_FAILED",
                             reject_reason=_failure_reason(record) or "The registry could not verify the brand.")
    return TenDlcVetting(status="pending", reference=reference, identity_status=identity)


def _campaign_vetting(record: dict) -> TenDlcVetting:
    reference = str(record.get("campaignId") or "")
    if not reference:
        raise ProviderError("telnyx: the 10DLC campaign answer has no campaignId", provider_code="BAD_RESPONSE")
    status = str(record.get("campaignStatus") or "").upper()
    if status in _CAMPAIGN_VERIFIED:
        return TenDlcVetting(status="verified", reference=reference)
    if status in _CAMPAIGN_REJECTED:
        return TenDlcVetting(status="rejected", reference=reference, reject_code=status,
                             reject_reason=_failure_reason(record) or "The registry or a carrier refused the campaign.")
    return TenDlcVetting(status="pending", reference=reference)
