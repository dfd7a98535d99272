"""Reconcile carrier number orders with our owners: nothing a crash leaves behind waits for a person.

A checkout orders at the carrier between two transactions (services/checkout.py). A process that
dies after the carrier accepted but before our commit leaves an order nobody owns: the carrier
bills us for a number no customer pays for, and a later sale of that number could collide with it.
This job, run by beat and by ``manage.py reconcile_carrier_orders``:

1. sweeps expired holds (a dead checkout's hold included) so their rows come back;
2. lists each carrier's recent number orders and decides each one we do not already know:
   - a live owner has the number: it is ours and in use; if that tenure recorded no carrier
     order, it adopts this one ("completed"). Nothing is released: carriers release by number;
   - a checkout is still running for it (a held item in a finalizing hold): left for the next run;
   - otherwise it is an orphan: a release is recorded (reason ``orphan``) and the row is kept off
     sale until the carrier confirms;
3. performs every due release (orphans, and retries of earlier failures).

Known orders are skipped: those an owned number records and those with a release already
recorded, so reruns do nothing twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orbit_numbers.errors import ProviderError

from ..models import BulkReservation, BulkReservationItem, CarrierRelease, InventoryStatus, OwnedNumber, PhoneNumber
from ..providers import get_adapter
from ..providers.base import PlacedOrder
from .carrier_releases import ReleaseOrder, carrier_releases_perform, carrier_releases_record
from .carriers import carrier_failure_record
from .replenish import numbers_being_ordered
from .reservations import reservations_expire

logger = logging.getLogger(__name__)

# How far back each run looks. Runs are every few minutes, so this is a wide safety margin.
RECONCILE_WINDOW = timedelta(days=2)
# An order this young may belong to a checkout that is writing its result right now.
ORDER_GRACE = timedelta(minutes=2)


@dataclass
class ReconcileResult:
    holds_expired: int = 0
    orders_seen: int = 0
    adopted: list[str] = field(default_factory=list)  # carrier order ids recorded on their owner
    in_flight: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # carrier order ids recorded for release
    releases: dict = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)  # providers that cannot list orders
    errors: dict[str, str] = field(default_factory=dict)


def _known_order_ids(provider: str, order_ids: list[str]) -> set[str]:
    owned = set(OwnedNumber.objects.filter(provider_order_id__in=order_ids).values_list("provider_order_id", flat=True))
    released = set(CarrierRelease.objects.filter(provider=provider, provider_order_id__in=order_ids)
                   .values_list("provider_order_id", flat=True))
    # Numbers auto-replenish bought into our own stock (not sold yet) are ours, not orphans.
    stocked = set(PhoneNumber.objects.filter(provider=provider, stock_order_id__in=order_ids)
                  .values_list("stock_order_id", flat=True))
    return owned | released | stocked


@transaction.atomic
def carrier_order_reconcile(*, provider: str, order: PlacedOrder) -> str:
    """Decide one unknown carrier order: "adopted", "owned", "in_flight" or "orphaned"."""
    # Lock order: the inventory row first; a checkout's phase 3 locks it too, so the two never interleave.
    row = PhoneNumber.objects.select_for_update(of=("self",)).filter(e164=order.e164).first()
    live = OwnedNumber.objects.select_for_update(of=("self",)).live().filter(e164=order.e164).first()
    if live is not None:
        if not live.provider_order_id:
            OwnedNumber.objects.filter(pk=live.pk).update(provider_order_id=order.provider_order_id)
            logger.info("Reconciliation: %s adopts carrier order %s", live.e164, order.provider_order_id)
            return "adopted"
        return "owned"
    if BulkReservationItem.objects.filter(e164=order.e164, status=BulkReservationItem.Status.HELD,
                                          reservation__status=BulkReservation.Status.FINALIZING).exists():
        return "in_flight"
    if order.e164 in numbers_being_ordered():  # auto-replenish is buying it into stock right now
        return "in_flight"
    carrier_releases_record(orders=[ReleaseOrder(provider=provider, e164=order.e164,
                                                 provider_order_id=order.provider_order_id,
                                                 phone_number_id=row.pk if row else None)],
                            reason=CarrierRelease.Reason.ORPHAN)
    if row is not None:
        # A customer's hold on the row gives it up: its order would meet our pending release.
        BulkReservationItem.objects.filter(phone_number_id=row.pk, status=BulkReservationItem.Status.HELD).update(
            status=BulkReservationItem.Status.FAILED, error_code="CARRIER_RELEASE_PENDING",
            error_message="The carrier is taking this number back; not charged.")
        if row.status != InventoryStatus.RESERVED:
            PhoneNumber.objects.filter(pk=row.pk).update(status=InventoryStatus.RESERVED, updated_at=timezone.now())
    logger.warning("Reconciliation: carrier order %s for %s at %s has no owner; releasing it",
                   order.provider_order_id, order.e164, provider)
    return "orphaned"


def carrier_orders_reconcile(*, now: datetime | None = None, since: datetime | None = None) -> ReconcileResult:
    """One reconciliation run over every configured carrier. Never inside a transaction."""
    now = now or timezone.now()
    since = since or now - RECONCILE_WINDOW
    result = ReconcileResult(holds_expired=reservations_expire(now=now))
    for provider in sorted(settings.ORBIT["PROVIDER_BACKENDS"]):
        try:
            orders = get_adapter(provider).list_number_orders(since=since)
        except ProviderError as exc:
            if exc.provider_code == "NOT_SUPPORTED":
                result.unsupported.append(provider)
            else:
                result.errors[provider] = exc.message
                carrier_failure_record(provider=provider, operation="list_orders", code=exc.provider_code or "",
                                       message=exc.message)
            continue
        active = [o for o in orders if o.status == "active" and o.provider_order_id and o.e164
                  and (o.created_at is None or o.created_at <= now - ORDER_GRACE)]
        result.orders_seen += len(active)
        known = _known_order_ids(provider, [o.provider_order_id for o in active])
        for order in active:
            if order.provider_order_id in known:
                continue
            outcome = carrier_order_reconcile(provider=provider, order=order)
            if outcome == "adopted":
                result.adopted.append(order.provider_order_id)
            elif outcome == "in_flight":
                result.in_flight.append(order.provider_order_id)
            elif outcome == "orphaned":
                result.orphaned.append(order.provider_order_id)
    # The releases recorded just now included.
    result.releases = carrier_releases_perform(now=max(now, timezone.now()))
    return result
