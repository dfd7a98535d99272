"""The carrier interface. Every carrier adapter (simulator, Telnyx, DIDWW …) implements it.

Adapters speak in plain dataclasses and raise orbit_numbers.errors.ProviderError on failure;
they never touch the database, so services decide what a failure means for money and stock.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime

import phonenumbers

from orbit_numbers.errors import ProviderError


@dataclass(frozen=True)
class InventoryOffer:
    e164: str
    provider_ref: str
    country: str
    line_type: str
    region: str
    area_code: str
    capabilities: tuple[str, ...]
    sms_two_way: bool
    monthly_cents: int
    setup_cents: int = 0
    # The carrier holding the number; adapters that serve one carrier may leave it to the caller.
    provider: str = ""
    # Hours the carrier needs to activate the number after purchase; None means immediately.
    activation_hours: int | None = None


@dataclass(frozen=True)
class NumberOrder:
    provider_order_id: str
    status: str  # "completed" or "pending"


@dataclass(frozen=True)
class PlacedOrder:
    """A number order as the carrier lists it (reconciliation compares these with our owners)."""

    provider_order_id: str
    e164: str
    # "active" (placed: the number may be ours at the carrier), "released" (given back, where the
    # carrier says so), or "failed" (never placed).
    status: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class PortabilityResult:
    phone_number: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    splittable: bool = False
    estimated_foc_date: date | None = None
    fast_portable: bool | None = None
    check_status: str = "checked"  # checked | check-not-supported | check-skipped


@dataclass(frozen=True)
class PortOrder:
    provider_order_id: str
    status: str  # a stage of the port timeline, or "rejected" / "cancelled"
    foc_date: date | None = None
    reject_code: str | None = None
    reject_reason: str | None = None


class CarrierAdapter(abc.ABC):
    """One carrier. ``name`` is the provider value the inventory stores (devotel/telnyx/didww)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abc.abstractmethod
    def search_inventory(self, *, country: str, line_type: str | None = None, limit: int = 100) -> list[InventoryOffer]:
        """Numbers the carrier offers now (used by inventory sync)."""

    @abc.abstractmethod
    def order_number(self, *, e164: str, provider_ref: str) -> NumberOrder:
        """Buy one number at the carrier. Raises ProviderError if it cannot."""

    @abc.abstractmethod
    def release_number(self, *, e164: str, provider_order_id: str) -> None:
        """Give a number back to the carrier. Releasing one already released is not an error."""

    def list_number_orders(self, *, since: datetime) -> list[PlacedOrder]:
        """Number orders placed since ``since`` (reconciliation). Carriers without a listing refuse
        with NOT_SUPPORTED; their orders are then reconciled by hand."""
        raise self._unsupported("listing number orders")

    # Porting is optional per carrier. The defaults refuse with a ProviderError whose
    # provider_code is NOT_SUPPORTED, so services can fall back to handling by hand.

    def _unsupported(self, what: str) -> ProviderError:
        return ProviderError(f"{self.name} does not support {what} through its API", provider_code="NOT_SUPPORTED")

    def check_portability(self, *, numbers: list[str]) -> list[PortabilityResult]:
        return [PortabilityResult(phone_number=n, eligible=True, check_status="check-not-supported") for n in numbers]

    def create_port_in(self, *, numbers: list[str], details: dict) -> PortOrder:
        raise self._unsupported("port-in orders")

    def port_in_status(self, *, provider_order_id: str) -> PortOrder:
        raise self._unsupported("port-in status")

    def supplement_port_in(self, *, provider_order_id: str, details: dict) -> PortOrder:
        """Correct a rejected port-in (supplement/amend) without opening a new order."""
        raise self._unsupported("port-in supplements")

    def cancel_port_in(self, *, provider_order_id: str) -> None:
        raise self._unsupported("port-in cancellation")

    def create_port_out(self, *, numbers: list[str], details: dict) -> PortOrder:
        raise self._unsupported("port-out orders")

    def port_out_status(self, *, provider_order_id: str) -> PortOrder:
        raise self._unsupported("port-out status")

    def cancel_port_out(self, *, provider_order_id: str) -> None:
        raise self._unsupported("port-out cancellation")

    # Lookups by our reference (details["customer_reference"] at creation): after a process died
    # between the carrier accepting an order and our commit, they tell whether the order exists.
    # None means the carrier holds no such order.

    def find_port_in(self, *, customer_reference: str) -> PortOrder | None:
        raise self._unsupported("port-in lookups")

    def find_port_out(self, *, customer_reference: str, numbers: list[str]) -> PortOrder | None:
        raise self._unsupported("port-out lookups")

    # --- caller ID: CNAM listings and spam labels ---
    # A carrier without a CNAM-listing API (or without analytics feeds) refuses with NOT_SUPPORTED.

    def submit_cnam_listing(self, *, e164: str, display_name: str) -> "CnamListingResult":
        """Ask the carrier to list ``display_name`` as the caller name of ``e164`` (replacing any)."""
        raise self._unsupported("CNAM listings")

    def cnam_listing_status(self, *, e164: str, reference: str) -> "CnamListingResult":
        """Where a submitted listing stands (``reference`` from the submission)."""
        raise self._unsupported("CNAM listing status")

    def delete_cnam_listing(self, *, e164: str, reference: str) -> None:
        """Remove the caller name. Removing one already gone is not an error."""
        raise self._unsupported("CNAM listing removal")

    def spam_labels(self, *, e164: str) -> list["SpamLabel"]:
        """The labels call-analytics providers (Hiya, TNS, First Orion) currently put on ``e164``."""
        raise self._unsupported("spam-label lookups")

    # --- number lookup and CNAM dip ---
    # Carriers without a lookup API refuse with NOT_SUPPORTED; the lookup service then answers 503.

    def lookup_number(self, *, e164: str, fields: tuple[str, ...]) -> "NumberLookupResult":
        """What the carrier knows of ``e164`` for the requested ``fields`` (of LOOKUP_FIELDS). A
        field the carrier cannot answer for this number goes into ``unavailable`` with its reason."""
        raise self._unsupported("number lookups")

    def cnam_dip(self, *, e164: str) -> "CnamDipResult":
        """The caller name registered for ``e164`` (a CNAM dip)."""
        raise self._unsupported("CNAM dips")

    # --- emergency (E911) ---
    # Dispatchable addresses: validated (and normalised) by the carrier, then provisioned on a
    # number. Carriers without an emergency API refuse with NOT_SUPPORTED.

    def validate_emergency_address(self, *, address: "EmergencyAddressData") -> "AddressValidation":
        """Validate and normalise a dispatchable address; an invalid one is answered, not raised."""
        raise self._unsupported("emergency address validation")

    def provision_emergency_address(self, *, e164: str, address: "EmergencyAddressData",
                                    carrier_address_id: str = "") -> "EmergencyProvisioning":
        """Register ``address`` as the number's dispatchable location and enable emergency calling.
        ``carrier_address_id`` is the carrier's record of this address from an earlier call, if any.
        Provisioning the same address again is not an error. Raises ProviderError if refused."""
        raise self._unsupported("emergency address provisioning")

    def remove_emergency_address(self, *, e164: str) -> None:
        """Disable emergency calling on the number and drop its address. Removing from a number that
        has none is not an error."""
        raise self._unsupported("emergency address removal")

    # --- 10DLC registration (The Campaign Registry, through the carrier) ---
    # Submissions answer at once with the registry's reference and usually ``pending``; vetting then
    # finishes on the registry's time, read back with the status calls. A carrier without a 10DLC
    # API refuses with NOT_SUPPORTED.

    def submit_ten_dlc_brand(self, *, brand: "TenDlcBrandData") -> "TenDlcVetting":
        """Register a brand for vetting. Raises ProviderError when the carrier refuses or fails."""
        raise self._unsupported("10DLC brand registration")

    def ten_dlc_brand_status(self, *, reference: str) -> "TenDlcVetting":
        """Where the vetting of a submitted brand stands (``reference`` from the submission)."""
        raise self._unsupported("10DLC brand status")

    def submit_ten_dlc_campaign(self, *, campaign: "TenDlcCampaignData", brand_reference: str) -> "TenDlcVetting":
        """Register a campaign of a verified brand (``brand_reference``: the brand's registry reference)."""
        raise self._unsupported("10DLC campaign registration")

    def ten_dlc_campaign_status(self, *, reference: str) -> "TenDlcVetting":
        """Where the vetting of a submitted campaign stands."""
        raise self._unsupported("10DLC campaign status")
    # --- inventory sync and ordering into our own stock ---

    def search_inventory_page(self, *, country: str, line_type: str | None = None, cursor: str | None = None,
                              page_size: int = 100) -> "InventoryPage":
        """One page of the carrier's listing; ``next_cursor`` fetches the next, None after the last.
        A carrier without paging answers one search; a full page may hide more, so it is marked
        ``truncated`` (sync then retires nothing)."""
        offers = self.search_inventory(country=country, line_type=line_type, limit=page_size)
        return InventoryPage(offers=offers, next_cursor=None, truncated=len(offers) >= page_size)

    def order_into_inventory(self, *, offers: list[InventoryOffer]) -> list["StockOrderLine"]:
        """Buy ``offers`` into our own stock, one line per offer in order; a refused number is a
        line with its error (a partial fill), not an exception. Carriers with a bulk order API may
        override this; the default orders one number at a time."""
        lines = []
        for offer in offers:
            try:
                placed = self.order_number(e164=offer.e164, provider_ref=offer.provider_ref)
            except ProviderError as exc:
                lines.append(StockOrderLine(offer=offer, error=exc.message[:255],
                                            error_code=exc.provider_code or "CARRIER_REJECTED"))
                continue
            lines.append(StockOrderLine(offer=offer, provider_order_id=placed.provider_order_id))
        return lines


# --- inventory sync and ordering into our own stock ---


@dataclass(frozen=True)
class InventoryPage:
    offers: list[InventoryOffer]
    next_cursor: str | None = None  # None: this was the last page
    # The carrier may hold more than it listed and offers no way to fetch the rest.
    truncated: bool = False


@dataclass(frozen=True)
class StockOrderLine:
    offer: InventoryOffer
    provider_order_id: str = ""  # set when the carrier placed the order
    error: str = ""
    error_code: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.provider_order_id)

    @property
    def cost_cents(self) -> int:
        """What buying it costs us now: the setup fee and the first month."""
        return self.offer.setup_cents + self.offer.monthly_cents


# --- caller ID: CNAM listings and spam labels ---


@dataclass(frozen=True)
class CnamListingResult:
    status: str  # "pending" | "listed" | "rejected"
    reference: str = ""  # the carrier's handle on the listing, for status and removal
    reject_code: str | None = None
    reject_reason: str | None = None


@dataclass(frozen=True)
class SpamLabel:
    analytics_provider: str  # hiya | tns | first_orion
    label: str  # as the provider shows it, e.g. "Spam Likely"
    score: int  # 0-100
    flagged_at: datetime


# --- number lookup and CNAM dip ---

LOOKUP_FIELDS = ("carrier", "line_type", "portability", "sim_swap", "roaming")
CALLER_TYPES = ("business", "consumer", "unknown")

# The numbering plan's types as the lookup names them (phonenumbers.PhoneNumberType → our words).
PLAN_LINE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
    phonenumbers.PhoneNumberType.UNKNOWN: "unknown",
}


def plan_line_type(parsed: phonenumbers.PhoneNumber) -> str:
    """The line type the numbering plan gives a number (fixed_line_or_mobile where it cannot tell)."""
    return PLAN_LINE_TYPES[phonenumbers.number_type(parsed)]


@dataclass(frozen=True)
class CarrierInfo:
    name: str
    mcc: str = ""  # mobile country and network codes; blank for lines without them (fixed, VoIP)
    mnc: str = ""


@dataclass(frozen=True)
class PortabilityInfo:
    lrn: str  # NANP location routing number; blank elsewhere
    spid: str  # the serving carrier's service provider id
    ported: bool
    original_carrier: str = ""  # blank when the carrier does not say (the service fills it from the numbering plan)


@dataclass(frozen=True)
class SimSwapInfo:
    last_swap_at: datetime | None  # None: no SIM change on record


@dataclass(frozen=True)
class RoamingInfo:
    status: str  # "roaming", "not_roaming" or "unknown"
    country: str = ""  # where the handset is registered now (ISO 3166-1 alpha-2)
    mcc: str = ""
    mnc: str = ""


@dataclass(frozen=True)
class NumberLookupResult:
    phone_number: str
    line_type: str | None = None  # the carrier's reading: mobile, fixed_line, voip, toll_free …
    carrier: CarrierInfo | None = None
    portability: PortabilityInfo | None = None
    sim_swap: SimSwapInfo | None = None
    roaming: RoamingInfo | None = None
    # field → why the carrier has no answer for this number (e.g. SIM swap of a fixed line); never charged.
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CnamDipResult:
    phone_number: str
    caller_name: str | None  # None: no name registered
    caller_type: str = "unknown"  # one of CALLER_TYPES


# --- emergency (E911) ---


@dataclass(frozen=True)
class EmergencyAddressData:
    """A dispatchable address as the carriers take it (state: a USPS / Canada Post code once normalised)."""

    caller_name: str
    street_number: str
    street_name: str
    city: str
    state: str
    postal_code: str
    country: str
    unit: str = ""
    business_name: str = ""

    FIELDS = ("caller_name", "business_name", "street_number", "street_name", "unit", "city", "state",
              "postal_code", "country")

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass(frozen=True)
class AddressValidation:
    """The carrier's verdict: valid with its normalised form (and the fields it corrected), or
    invalid with its reason per field (field names of EmergencyAddressData)."""

    valid: bool
    normalized: EmergencyAddressData | None = None
    corrected_fields: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    reference: str = ""


@dataclass(frozen=True)
class EmergencyProvisioning:
    status: str  # "provisioned", or "pending" while the carrier is still registering it
    carrier_address_id: str = ""  # the carrier's record of the address (reused on the next provisioning)


# --- 10DLC registration ---


@dataclass(frozen=True)
class TenDlcBrandData:
    """A brand as the registry takes it (our validated fields; tax_id digits only for a US EIN)."""

    display_name: str
    legal_name: str
    entity_type: str
    vertical: str
    country: str
    email: str
    phone: str = ""
    tax_id: str = ""
    tax_id_country: str = ""
    website: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    stock_symbol: str = ""
    stock_exchange: str = ""
    customer_reference: str = ""  # our brand id


@dataclass(frozen=True)
class TenDlcCampaignData:
    use_case: str
    description: str
    sample_messages: tuple[str, ...]
    message_flow: str = ""
    opt_in_keywords: tuple[str, ...] = ()
    opt_in_message: str = ""
    opt_out_keywords: tuple[str, ...] = ()
    opt_out_message: str = ""
    help_keywords: tuple[str, ...] = ()
    help_message: str = ""
    embedded_link: bool = False
    embedded_phone: bool = False
    number_pool: bool = False
    age_gated: bool = False
    direct_lending: bool = False
    customer_reference: str = ""  # our campaign id


@dataclass(frozen=True)
class TenDlcVetting:
    status: str  # "pending" | "verified" | "rejected"
    reference: str = ""  # the registry's id (brand id / campaign id), for the status calls
    reject_code: str | None = None
    reject_reason: str | None = None
    # Brands: the registry's identity verdict (VERIFIED, VETTED_VERIFIED, UNVERIFIED …) when it gives one.
    identity_status: str | None = None
