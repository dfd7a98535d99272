"""The carrier interface. Every carrier adapter (simulator, Telnyx, DIDWW …) implements it.

Adapters speak in plain dataclasses and raise orbit_numbers.errors.ProviderError on failure;
they never touch the database, so services decide what a failure means for money and stock.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime

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
