"""Bulk reservations: hold up to 1000 matching numbers for 15 minutes, then finalize or let go.

Lifecycle: ready | partial → finalizing → finalized, or → cancelled | expired. ``finalizing``
lasts while the carrier calls run (see checkout.py); if finalize cannot complete (wallet short at
the final debit), the reservation goes back to ready/partial and may be retried until it expires.
Held rows have inventory status ``reserved``: invisible to search and to every other buyer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.services import wallet_preflight
from orbit_numbers.errors import Conflict, InsufficientInventory, NotFound
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_entry, audit_record, audit_record_many
from orbit_numbers.webhooks.services import webhook_events_emit_many

from ..digit_search import cheapest_first, digit_pattern_q
from ..models import CAPABILITY_FIELDS, BulkReservation, BulkReservationItem, OwnedNumber, PhoneNumber, Provider
from .checkout import FINALIZE_STALE_AFTER, CheckoutResult, checkout_run, held_items_release, hold_rows
from .compliance import ComplianceCover, compliance_gate
from .numbers import purchase_cost_cents

RESERVE_MAX_QUANTITY = 1000
# Without a pinned provider the cheapest numbers are picked across these carriers' union.
DEFAULT_RESERVE_PROVIDERS = (Provider.DIDWW, Provider.TELNYX)
_HELD = BulkReservation.HELD_STATUSES


def _reservation_summary(reservation: BulkReservation) -> dict:
    return {"status": reservation.status, "country": reservation.country, "number_type": reservation.number_type,
            "quantity_requested": reservation.quantity_requested,
            "quantity_reserved": reservation.quantity_reserved, "expires_at": reservation.expires_at.isoformat()}


@transaction.atomic
def reservation_create(*, organization: Organization, country: str, quantity: int, number_type: str = "local",
                       area_code: str = "", name_pattern: str = "", pattern_type: str = "contains",
                       capabilities: list[str] | None = None, provider: str = "",
                       compliance_profile_id: str | None = None, acting_key: ApiKey | None = None,
                       acting_user=None) -> BulkReservation:
    """Hold the cheapest ``quantity`` available numbers matching the filter (by monthly rate, then id).

    Rows are taken with FOR UPDATE SKIP LOCKED in that fixed order, so concurrent reservers never
    wait for or deadlock on each other: each one simply gets rows the others did not lock. Fewer
    matches than asked is a ``partial`` reservation; none at all is 409 INSUFFICIENT_INVENTORY.
    A regulated pool (country × number type) without a covering approved compliance profile is 422
    COMPLIANCE_REQUIRED before anything is held.
    """
    if not 1 <= quantity <= RESERVE_MAX_QUANTITY:
        raise ValueError(f"quantity must be 1-{RESERVE_MAX_QUANTITY}")
    now = timezone.now()
    pool = (country, number_type)
    compliance = compliance_gate(organization=organization, pools={pool: []},
                                 compliance_profile_id=compliance_profile_id, now=now)
    profile = compliance.profile_for(*pool)
    capabilities = list(capabilities or [])
    matches = PhoneNumber.objects.sellable(now=now).filter(country=country, line_type=number_type,
                                         provider__in=[provider] if provider else DEFAULT_RESERVE_PROVIDERS)
    if area_code:
        matches = matches.filter(area_code=area_code)
    if name_pattern:
        matches = matches.filter(digit_pattern_q(pattern_type, name_pattern))
    matches = matches.filter(**{CAPABILITY_FIELDS[capability]: True for capability in capabilities})
    rows = list(matches.select_for_update(of=("self",), skip_locked=True)
                .order_by(*cheapest_first(name_pattern))[:quantity])
    if not rows:
        raise InsufficientInventory(
            f"insufficient inventory: requested {quantity}, available 0",
            data={"available_count": 0, "requested": quantity})

    reservation, _ = hold_rows(
        organization=organization, rows=rows, purpose=BulkReservation.Purpose.RESERVE, now=now,
        status=BulkReservation.Status.READY if len(rows) == quantity else BulkReservation.Status.PARTIAL,
        quantity_requested=quantity, country=country, number_type=number_type, area_code=area_code,
        name_pattern=name_pattern, pattern_type=pattern_type if name_pattern else "", capabilities=capabilities,
        provider=provider, compliance_profile=profile)
    audit_record(action="bulk_reservation.create", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=reservation,
                 after={**_reservation_summary(reservation), "numbers": [row.e164 for row in rows]})
    return reservation


def reservations_expire(*, now: datetime | None = None, organization: Organization | None = None,
                        reservation_ids: list[str] | None = None, batch_size: int = 500) -> int:
    """Expire due holds and put their rows back on sale; returns how many reservations expired.

    Due: ready/partial past expires_at, and finalizing ones whose process died (stale for
    FINALIZE_STALE_AFTER). Used by the beat task, the management command, and inline by reads.
    Works in batches of ``batch_size``, one transaction each; reservations locked by a running
    finalize/cancel are skipped, not waited for."""
    now = now or timezone.now()
    total = 0
    while True:
        expired = _expire_batch(now=now, organization=organization, reservation_ids=reservation_ids,
                                batch_size=batch_size)
        total += expired
        if expired < batch_size:
            return total


@transaction.atomic
def _expire_batch(*, now: datetime, organization: Organization | None, reservation_ids: list[str] | None,
                  batch_size: int) -> int:
    due = BulkReservation.objects.filter(
        Q(status__in=_HELD, expires_at__lte=now)
        | Q(status=BulkReservation.Status.FINALIZING, updated_at__lte=now - FINALIZE_STALE_AFTER)
        # A checkout's own hold (buy-bulk, order, purchase) lasts as long as its hold: phase 3
        # refuses a swept hold and compensates, so a dead process's rows come back in minutes.
        | (Q(status=BulkReservation.Status.FINALIZING, expires_at__lte=now)
           & ~Q(purpose=BulkReservation.Purpose.RESERVE)))
    if organization is not None:
        due = due.filter(organization=organization)
    if reservation_ids is not None:
        due = due.filter(pk__in=reservation_ids)
    expired = list(due.select_for_update(of=("self",), skip_locked=True).select_related("organization")
                   .order_by("expires_at", "id")[:batch_size])
    if not expired:
        return 0
    ids = [reservation.pk for reservation in expired]
    held_items_release(reservation_ids=ids, now=now)
    BulkReservation.objects.filter(pk__in=ids).update(status=BulkReservation.Status.EXPIRED, updated_at=now)
    audit_record_many(entries=[
        audit_entry(action="bulk_reservation.expire", organization=reservation.organization, target=reservation,
                    before={"status": reservation.status}, after={"status": BulkReservation.Status.EXPIRED})
        for reservation in expired
    ])
    # Customers hear of their own holds running out; checkout holds are internal.
    events = []
    for reservation in expired:
        if reservation.purpose == BulkReservation.Purpose.RESERVE:
            organization = reservation.organization
            events.append((organization, "reservation.expired",
                           {"reservation_id": reservation.pk, "quantity_reserved": reservation.quantity_reserved}))
    webhook_events_emit_many(events=events)
    return len(expired)


@transaction.atomic
def reservations_force_expire(*, reservation_ids: list[str], acting_user=None,
                              now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Staff: end these holds now (rows back on sale, no carrier call), audited per reservation.
    Returns (expired ids, skipped ids); finalized, cancelled or already expired ones are skipped."""
    now = now or timezone.now()
    held = list(BulkReservation.objects.select_for_update(of=("self",))
                .filter(pk__in=reservation_ids, status__in=_HELD).select_related("organization").order_by("id"))
    expired_ids = [reservation.pk for reservation in held]
    skipped = sorted(set(reservation_ids) - set(expired_ids))
    if not held:
        return [], skipped
    BulkReservation.objects.filter(pk__in=expired_ids).update(expires_at=now, updated_at=now)
    audit_record_many(entries=[
        audit_entry(action="bulk_reservation.force_expire", organization=reservation.organization,
                    acting_user=acting_user, target=reservation,
                    before={"status": reservation.status, "expires_at": reservation.expires_at.isoformat()},
                    after={"expires_at": now.isoformat()})
        for reservation in held
    ])
    # Our own row locks are not "locked" to the expiry's SKIP LOCKED: the shared path expires them.
    _expire_batch(now=now, organization=None, reservation_ids=expired_ids, batch_size=len(expired_ids))
    return expired_ids, skipped


def reservation_get(*, organization: Organization, reservation_id: str) -> BulkReservation:
    """The organisation's reservation, expired inline (rows back to inventory) if its time is up."""
    reservation = BulkReservation.objects.filter(organization=organization, purpose=BulkReservation.Purpose.RESERVE,
                                                 pk=reservation_id).first()
    if reservation is None:
        raise NotFound()
    if reservation.status in _HELD and reservation.expires_at <= timezone.now():
        reservations_expire(reservation_ids=[reservation.pk])
        reservation.refresh_from_db()
    return reservation


def _lock_for_change(*, organization: Organization, reservation_id: str) -> BulkReservation:
    reservation = (BulkReservation.objects.select_for_update(of=("self",)).select_related("compliance_profile")
                   .filter(organization=organization, purpose=BulkReservation.Purpose.RESERVE, pk=reservation_id)
                   .first())
    if reservation is None:
        raise NotFound()
    return reservation


def _refuse_unless_held(reservation: BulkReservation) -> None:
    if reservation.status == BulkReservation.Status.FINALIZING:
        raise Conflict("The reservation is being finalized.")
    if reservation.status not in _HELD:
        raise Conflict(f"The reservation is already {reservation.status}.")


def reservation_cancel(*, organization: Organization, reservation_id: str, acting_key: ApiKey | None = None,
                       acting_user=None) -> BulkReservation:
    """Release every held item back to inventory; no carrier call (a hold never placed an order).
    409 once finalized, cancelled or expired. Not @transaction.atomic: a hold found past its time
    is expired (committed) before the 409 is raised."""
    now = timezone.now()
    with transaction.atomic():
        reservation = _lock_for_change(organization=organization, reservation_id=reservation_id)
        overdue = reservation.status in _HELD and reservation.expires_at <= now
        if not overdue:
            _refuse_unless_held(reservation)
            held_items_release(reservation_ids=[reservation.pk], now=now)
            before = reservation.status
            reservation.status, reservation.cancelled_at = BulkReservation.Status.CANCELLED, now
            reservation.save(update_fields=["status", "cancelled_at", "updated_at"])
            audit_record(action="bulk_reservation.cancel", organization=organization, acting_key=acting_key,
                         acting_user=acting_user, target=reservation, before={"status": before},
                         after={"status": reservation.status})
            return reservation
    reservations_expire(reservation_ids=[reservation.pk], now=now)
    raise Conflict("The reservation has already expired.")


@dataclass
class FinalizeResult:
    reservation: BulkReservation
    items: list[BulkReservationItem]
    checkout: CheckoutResult
    total_cost_cents: int

    @property
    def counts(self) -> dict[str, int]:
        numbers = self.checkout.numbers
        return {
            "requested": self.reservation.quantity_requested,
            "reserved": self.reservation.quantity_reserved,
            "purchased": len(numbers),
            "failed": len(self.checkout.failed),
            "active": sum(1 for number in numbers if number.status == OwnedNumber.Status.ACTIVE),
            "regulatory_hold": sum(1 for number in numbers if number.status == OwnedNumber.Status.REGULATORY_HOLD),
        }


def _finalize_gate(*, organization: Organization, reservation: BulkReservation, now: datetime) -> ComplianceCover:
    """The gate of reservation_create, again: the profile it chose (or, if none was needed then, the
    organisation's own) must still cover the pool."""
    return compliance_gate(organization=organization, pools={(reservation.country, reservation.number_type): []},
                           compliance_profile_id=reservation.compliance_profile_id, now=now)


def reservation_finalize(*, organization: Organization, reservation_id: str, acting_key: ApiKey | None = None,
                         acting_user=None) -> FinalizeResult:
    """Purchase, bill and route every held item: the compliance gate again (the profile may have
    expired since the hold: 422 COMPLIANCE_REQUIRED, the hold kept), wallet preflight against the whole
    reservation, per-item audit, carrier failures reported per item and never charged.

    Not @transaction.atomic: the carrier phase runs between two transactions (see checkout.py).
    If the final debit fails the reservation returns to ready/partial, nothing charged."""
    now = timezone.now()
    with transaction.atomic():
        reservation = _lock_for_change(organization=organization, reservation_id=reservation_id)
        overdue = reservation.status in _HELD and reservation.expires_at <= now
        if not overdue:
            _refuse_unless_held(reservation)
            compliance = _finalize_gate(organization=organization, reservation=reservation, now=now)
            items = list(reservation.items.filter(status=BulkReservationItem.Status.HELD).order_by("id"))
            total = sum(purchase_cost_cents(item) for item in items)
            wallet_preflight(organization=organization, amount_cents=total)
            previous_status = reservation.status
            reservation.status = BulkReservation.Status.FINALIZING
            reservation.save(update_fields=["status", "updated_at"])
    if overdue:
        reservations_expire(reservation_ids=[reservation.pk], now=now)
        raise Conflict("The reservation has already expired.")

    checkout = checkout_run(
        reservation=reservation, items=items, organization=organization, compliance=compliance,
        source=OwnedNumber.Source.RESERVATION,
        audit_action="bulk_reservation.finalize", audit_after={"total_cost_cents": total},
        restore_status=previous_status,
        respond=lambda result: FinalizeResult(reservation=result.reservation, items=items, checkout=result,
                                              total_cost_cents=total),
        acting_key=acting_key, acting_user=acting_user)
    return checkout.value
