"""A carrier that runs offline: latency, deterministic per-number failures, and (for porting)
status that progresses with elapsed time. The default adapter for every provider."""
from __future__ import annotations

import hashlib
import time
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from phonenumbers import carrier as pn_carrier

from orbit_numbers.errors import ProviderError

from .base import (AddressValidation, CarrierAdapter, CarrierInfo, CnamDipResult, CnamListingResult,
                   EmergencyAddressData, EmergencyProvisioning, InventoryOffer, InventoryPage, NumberLookupResult, NumberOrder,
                   PlacedOrder, PortabilityInfo, PortabilityResult, PortOrder, RoamingInfo, SimSwapInfo, SpamLabel,
                   TenDlcBrandData, TenDlcCampaignData, TenDlcVetting, plan_line_type)

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
        cache.delete(self._book_key("number", e164))

    # The order book: a sequence number per order (an atomic counter), one entry per order.

    def _book_key(self, *parts: str) -> str:
        return ":".join(["simulator-orders", self.name, *parts])

    def _book_order(self, order_id: str, e164: str) -> None:
        cache.set(self._book_key("number", e164), order_id, ORDER_BOOK_TTL)
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

    # --- caller ID: CNAM listings and spam labels ---
    # Like porting, a listing keeps no state: its reference carries its submission time and its fate,
    # decided from the name (another brand's name or a prohibited word is rejected), and it is decided
    # SIMULATOR_CNAM_LISTING_SECONDS after submission. Spam labels are a deterministic function of the
    # number: each analytics provider flags SIMULATOR_SPAM_FLAG_PERCENT of numbers.

    def _cnam_fate(self, display_name: str) -> str:
        words = display_name.upper().split()
        squashed = "".join(words)
        if any(brand.replace(" ", "") in squashed for brand in settings.ORBIT["SIMULATOR_CNAM_BRAND_NAMES"]):
            return "BRAND_IMPERSONATION"
        if any(word in settings.ORBIT["SIMULATOR_CNAM_BLOCKED_WORDS"] for word in words):
            return "PROHIBITED_WORD"
        return "-"

    def _cnam_result(self, reference: str) -> CnamListingResult:
        try:
            prefix, submitted_ms, fate, _ = reference.split(".")
            if prefix != f"sim-{self.name}-cnam":
                raise ValueError(prefix)
            submitted = int(submitted_ms) / 1000
        except ValueError:
            raise ProviderError(f"{self.name}: unknown CNAM listing {reference}", provider_code="LISTING_NOT_FOUND") from None
        if time.time() - submitted < float(settings.ORBIT["SIMULATOR_CNAM_LISTING_SECONDS"]):
            return CnamListingResult(status="pending", reference=reference)
        if fate != "-":
            return CnamListingResult(status="rejected", reference=reference, reject_code=fate,
                                     reject_reason=_CNAM_REJECT_REASONS[fate])
        return CnamListingResult(status="listed", reference=reference)

    def submit_cnam_listing(self, *, e164: str, display_name: str) -> CnamListingResult:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: CNAM listing service unavailable for {e164}",
                                provider_code="UNAVAILABLE", retryable=True)
        digest = hashlib.sha256(f"cnam|{e164}|{display_name}|{time.time_ns()}".encode()).hexdigest()[:10]
        reference = f"sim-{self.name}-cnam.{int(time.time() * 1000)}.{self._cnam_fate(display_name)}.{digest}"
        return self._cnam_result(reference)

    def cnam_listing_status(self, *, e164: str, reference: str) -> CnamListingResult:
        self._latency()
        return self._cnam_result(reference)

    def delete_cnam_listing(self, *, e164: str, reference: str) -> None:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: CNAM listing service unavailable for {e164}",
                                provider_code="UNAVAILABLE", retryable=True)

    def spam_labels(self, *, e164: str) -> list[SpamLabel]:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: analytics feed unavailable", provider_code="UNAVAILABLE",
                                retryable=True)
        digest = hashlib.sha256(f"spam|{e164}".encode()).hexdigest()
        percent = int(settings.ORBIT["SIMULATOR_SPAM_FLAG_PERCENT"])
        today = datetime.now(tz=dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        labels = []
        for index, (provider, words) in enumerate(_SPAM_LABEL_WORDS.items()):
            draw = int(digest[index * 8:(index + 1) * 8], 16)
            if draw % 100 < percent:
                labels.append(SpamLabel(analytics_provider=provider, label=words[draw % len(words)],
                                        score=60 + draw % 40, flagged_at=today - timedelta(days=1 + draw % 60)))
        return labels

    # --- number lookup and CNAM dip ---
    # Deterministic per number (a hash of it): the same number always has the same carrier, port
    # history and caller name; SIMULATOR_FAIL_SUFFIXES numbers fail like a carrier that is down.

    def lookup_number(self, *, e164: str, fields: tuple[str, ...]) -> NumberLookupResult:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: number lookup service unavailable", provider_code="UNAVAILABLE",
                                retryable=True)
        parsed = phonenumbers.parse(e164)
        country = phonenumbers.region_code_for_number(parsed) or ""
        seed = _number_seed(e164)
        line_type = _simulated_line_type(parsed, seed)
        mobile = line_type == "mobile"
        networks = _NETWORKS.get(country, _DEFAULT_NETWORKS)
        original_name = pn_carrier.name_for_number(parsed, "en") or networks[seed % len(networks)][0]
        ported = (seed >> 8) % 4 == 0  # one number in four has changed carrier
        name, mcc, mnc = networks[((seed % len(networks)) + (1 if ported else 0)) % len(networks)]
        if not ported:
            name = original_name
        unavailable: dict[str, str] = {}
        result: dict = {}
        if "carrier" in fields:
            result["carrier"] = CarrierInfo(name=name, mcc=mcc if mobile else "", mnc=mnc if mobile else "")
        if "portability" in fields:
            nanp = parsed.country_code == 1
            national = str(parsed.national_number)
            lrn = (national[:6] + f"{(seed >> 12) % 10000:04d}" if ported else national) if nanp else ""
            result["portability"] = PortabilityInfo(lrn=lrn, spid=f"{(seed >> 16) % 9000 + 1000:04d}",
                                                    ported=ported, original_carrier=original_name)
        for mobile_only in ("sim_swap", "roaming"):
            if mobile_only in fields and not mobile:
                unavailable[mobile_only] = f"{mobile_only.replace('_', ' ')} data exists only for mobile numbers; " \
                                           f"this is a {line_type.replace('_', ' ')} number"
        if "sim_swap" in fields and mobile:
            swapped = (seed >> 20) % 5 != 0  # one mobile in five never changed SIM
            days_ago = (seed >> 24) % 400
            today = datetime.now(tz=dt_timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
            result["sim_swap"] = SimSwapInfo(last_swap_at=today - timedelta(days=days_ago) if swapped else None)
        if "roaming" in fields and mobile:
            roaming = (seed >> 28) % 7 == 0
            abroad = _ROAMING_COUNTRIES[(seed >> 32) % len(_ROAMING_COUNTRIES)]
            result["roaming"] = RoamingInfo(status="roaming" if roaming else "not_roaming",
                                            country=abroad if roaming and abroad != country else country,
                                            mcc=mcc, mnc=mnc)
        return NumberLookupResult(phone_number=e164, line_type=line_type, unavailable=unavailable, **result)

    def cnam_dip(self, *, e164: str) -> CnamDipResult:
        self._latency()
        if self._fails(e164):
            raise ProviderError(f"{self.name}: CNAM service unavailable", provider_code="UNAVAILABLE", retryable=True)
        seed = _number_seed(e164)
        if seed % 11 == 0:  # no listing for this number
            return CnamDipResult(phone_number=e164, caller_name=None, caller_type="unknown")
        if seed % 3 == 0:
            return CnamDipResult(phone_number=e164, caller_name=_BUSINESSES[(seed >> 4) % len(_BUSINESSES)],
                                 caller_type="business")
        surname = _SURNAMES[(seed >> 4) % len(_SURNAMES)]
        given = _GIVEN_NAMES[(seed >> 10) % len(_GIVEN_NAMES)]
        return CnamDipResult(phone_number=e164, caller_name=f"{surname} {given}"[:15], caller_type="consumer")

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

    # --- 10DLC registration ---
    # Vetting follows inventory/providers/tendlc_simulation.py (pending, then verified or rejected
    # after SIMULATOR_TEN_DLC_VETTING_SECONDS, by documented conventions).

    def submit_ten_dlc_brand(self, *, brand: TenDlcBrandData) -> TenDlcVetting:
        from . import tendlc_simulation as sim

        self._latency()
        reference = sim.reference_new(self.name, "brand", sim.brand_fate(brand), brand.customer_reference)
        return sim.vetting_read(reference)

    def ten_dlc_brand_status(self, *, reference: str) -> TenDlcVetting:
        return self._ten_dlc_status(reference, "brand")

    def submit_ten_dlc_campaign(self, *, campaign: TenDlcCampaignData, brand_reference: str) -> TenDlcVetting:
        from . import tendlc_simulation as sim

        self._latency()
        brand = sim.vetting_read(brand_reference)
        if brand is None or brand.status != "verified":
            raise ProviderError(f"{self.name}: the registry has no verified brand {brand_reference}",
                                provider_code="BRAND_NOT_VERIFIED")
        reference = sim.reference_new(self.name, "campaign", sim.campaign_fate(campaign), campaign.customer_reference)
        return sim.vetting_read(reference)

    def ten_dlc_campaign_status(self, *, reference: str) -> TenDlcVetting:
        return self._ten_dlc_status(reference, "campaign")

    def _ten_dlc_status(self, reference: str, kind: str) -> TenDlcVetting:
        from . import tendlc_simulation as sim

        self._latency()
        vetting = sim.vetting_read(reference)
        if vetting is None:
            raise ProviderError(f"{self.name}: no 10DLC {kind} {reference}", provider_code="NOT_FOUND")
        return vetting
    # --- inventory sync ---
    # Each carrier lists a fixed, deterministic catalogue per pool (SIMULATOR_INVENTORY_POOL_SIZE
    # numbers), paged by offset; numbers it sold (its order book) are no longer listed. Countries in
    # SIMULATOR_SYNC_FAIL_COUNTRIES fail like a carrier whose listing is down.

    def search_inventory_page(self, *, country: str, line_type: str | None = None, cursor: str | None = None,
                              page_size: int = 100) -> InventoryPage:
        self._latency()
        if country.upper() in settings.ORBIT["SIMULATOR_SYNC_FAIL_COUNTRIES"]:
            raise ProviderError(f"{self.name}: inventory listing unavailable for {country.upper()}",
                                provider_code="UNAVAILABLE", retryable=True)
        try:
            offset = int(cursor or 0)
        except ValueError:
            raise ProviderError(f"{self.name}: invalid listing cursor", provider_code="BAD_CURSOR") from None
        catalogue = _catalogue(self.name, country.upper(), line_type or "",
                               int(settings.ORBIT["SIMULATOR_INVENTORY_POOL_SIZE"]))
        page = catalogue[offset:offset + page_size]
        sold = self._sold([offer.e164 for offer in page])
        following = offset + page_size
        return InventoryPage(offers=[offer for offer in page if offer.e164 not in sold],
                             next_cursor=str(following) if following < len(catalogue) else None)

    def _sold(self, numbers: list[str]) -> set[str]:
        """Numbers of ``numbers`` someone ordered (and did not release) at this carrier, per the order book."""
        keys = {self._book_key("number", e164): e164 for e164 in numbers}
        return {keys[key] for key in cache.get_many(list(keys))}


# --- number lookup and CNAM dip (the simulator's data) ---

# (name, MCC, MNC) of a few real networks per country; other countries get a simulated one.
_NETWORKS = {
    "US": [("Verizon Wireless", "311", "480"), ("T-Mobile USA", "310", "260"), ("AT&T Mobility", "310", "410")],
    "CA": [("Rogers Wireless", "302", "720"), ("Bell Mobility", "302", "610"), ("Telus Mobility", "302", "220")],
    "GB": [("EE", "234", "30"), ("Vodafone UK", "234", "15"), ("O2 UK", "234", "10"), ("Three UK", "234", "20")],
    "DE": [("Telekom Deutschland", "262", "01"), ("Vodafone DE", "262", "02"), ("Telefonica O2 DE", "262", "03")],
    "FR": [("Orange France", "208", "01"), ("SFR", "208", "10"), ("Bouygues Telecom", "208", "20")],
    "NL": [("KPN", "204", "08"), ("Vodafone NL", "204", "04"), ("Odido", "204", "16")],
    "ES": [("Movistar", "214", "07"), ("Vodafone ES", "214", "01"), ("Orange ES", "214", "03")],
    "AU": [("Telstra", "505", "01"), ("Optus", "505", "02"), ("Vodafone AU", "505", "03")],
}
_DEFAULT_NETWORKS = [("Orbit Simulated Mobile", "001", "01"), ("Orbit Simulated Telecom", "001", "02")]
_ROAMING_COUNTRIES = ["GB", "FR", "DE", "ES", "MX", "JP", "US", "CA"]
_BUSINESSES = ["ACME PLUMBING", "BLUE SKY DENTAL", "CITY CAB CO", "NORTHSIDE AUTO", "SUNRISE BAKERY",
               "HARBOR LAW LLP", "PINE ST CLINIC", "METRO PIZZA"]
_SURNAMES = ["SMITH", "GARCIA", "JOHNSON", "NGUYEN", "BROWN", "MILLER", "DAVIS", "LOPEZ", "WILSON", "TAYLOR"]
_GIVEN_NAMES = ["JOHN", "MARIA", "JAMES", "LINDA", "DAVID", "ANNA", "ROBERT", "SARAH"]

@lru_cache(maxsize=64)
def _catalogue(provider: str, country: str, line_type: str, size: int) -> tuple[InventoryOffer, ...]:
    from inventory.seeding import generate_offers

    offers = generate_offers(count=size, countries=[country], providers=[provider],
                             line_types=[line_type] if line_type else None, seed=f"catalogue-{provider}-{country}")
    return tuple(sorted(offers, key=lambda offer: offer.e164))


def _number_seed(e164: str) -> int:
    return int.from_bytes(hashlib.sha256(f"lookup|{e164}".encode()).digest()[:8], "big")


def _simulated_line_type(parsed: phonenumbers.PhoneNumber, seed: int) -> str:
    """The plan's type; where the plan cannot tell (US/CA numbers), mobile, fixed line or VoIP by hash."""
    plan = plan_line_type(parsed)
    if plan in ("fixed_line_or_mobile", "unknown"):
        return ("mobile", "mobile", "fixed_line", "voip")[(seed >> 40) % 4]
    return plan
def _add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# --- caller ID: CNAM listings and spam labels ---

_CNAM_REJECT_REASONS = {
    "BRAND_IMPERSONATION": "The name resembles another company's brand; list your own business name.",
    "PROHIBITED_WORD": "The name contains a word carriers do not allow in caller names (official, emergency "
                       "or prize wording).",
}
# What each analytics provider's label reads on the handset of its carrier.
_SPAM_LABEL_WORDS = {
    "hiya": ("Spam Risk", "Suspected Spam"),
    "tns": ("Potential Spam", "Spam Likely"),
    "first_orion": ("Scam Likely", "Telemarketing"),
}
