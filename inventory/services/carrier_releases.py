"""The carrier-release outbox: numbers to give back to their carrier, recorded first, performed after.

A carrier call never runs inside a transaction (it can take seconds and would hold row locks),
so a release is two steps: the transaction that decides it records a pending ``CarrierRelease``
(release of an owned number, compensation of a checkout, an orphan order found by
reconciliation); afterwards a worker claims it, calls the carrier with no transaction open,
and records the outcome. A failure is logged as a CarrierFailure and retried with exponential
backoff by the sweep (inventory.tasks.reconcile_carrier_orders) until the carrier confirms:
nothing is left for a person to find.

Carriers release by phone number, not by order, so a release must never reach a number that
was sold again. While a release is pending its inventory row is kept off sale (aged numbers
wait for it; a held or orphaned row stays ``reserved``), and the claim skips a release whose
number has a live owner again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from orbit_numbers.errors import ProviderError

from ..models import BulkReservationItem, CarrierRelease, InventoryStatus, OwnedNumber, PhoneNumber
from ..providers import get_adapter
from .carriers import carrier_failure_record

logger = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
SWEEP_BATCH = 200


@dataclass(frozen=True)
class ReleaseOrder:
    provider: str
    e164: str
    provider_order_id: str
    phone_number_id: int | None = None


def rows_awaiting_release() -> QuerySet:
    """Ids of inventory rows with a pending carrier release (a subquery: keep them off sale)."""
    return (CarrierRelease.objects.filter(status=CarrierRelease.Status.PENDING, phone_number_id__isnull=False)
            .values("phone_number_id"))


def retry_delay(attempts: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def carrier_releases_record(*, orders: list[ReleaseOrder], reason: str, organization_id: int | None = None,
                            now: datetime | None = None) -> list[CarrierRelease]:
    """Record a pending release for each order (one insert); an order already recorded keeps its
    record (whoever found it first). Runs in the caller's transaction, or its own."""
    if not orders:
        return []
    now = now or timezone.now()

    def make(order: ReleaseOrder) -> CarrierRelease:
        return CarrierRelease(provider=order.provider, e164=order.e164, provider_order_id=order.provider_order_id,
                              reason=reason, phone_number_id=order.phone_number_id, organization_id=organization_id,
                              created_at=now, next_attempt_at=now)

    keyed = [order for order in orders if order.provider_order_id]
    with transaction.atomic():
        # Numbers recorded without a carrier order id (old or ported-in tenures) cannot collide.
        unkeyed = CarrierRelease.objects.bulk_create([make(order) for order in orders if not order.provider_order_id])
        if not keyed:
            return unkeyed
        CarrierRelease.objects.bulk_create([make(order) for order in keyed], ignore_conflicts=True)
        found = {(r.provider, r.provider_order_id): r for r in CarrierRelease.objects.filter(
            provider_order_id__in=[order.provider_order_id for order in keyed])}
    return [found[(o.provider, o.provider_order_id)] for o in keyed if (o.provider, o.provider_order_id) in found] \
        + unkeyed


def carrier_releases_perform_on_commit(releases: list[CarrierRelease]) -> None:
    """Ask a worker to perform these releases once the recording transaction commits."""
    ids = [release.pk for release in releases]
    if not ids:
        return
    from ..tasks import release_at_carriers

    transaction.on_commit(lambda: release_at_carriers.delay(ids))


def _claim(*, release_id: int, now: datetime) -> CarrierRelease | None:
    """Take one due release for this worker (its next_attempt_at moves forward: a lease), or None
    if it is not due, taken, or its number has a live owner again (then it is skipped for good)."""
    with transaction.atomic():
        release = (CarrierRelease.objects.select_for_update(of=("self",), skip_locked=True)
                   .filter(pk=release_id, status=CarrierRelease.Status.PENDING, next_attempt_at__lte=now).first())
        if release is None:
            return None
        owned = OwnedNumber.objects.live().filter(e164=release.e164)
        if release.provider_order_id:
            owned = owned.exclude(provider_order_id=release.provider_order_id)
        if owned.exists():
            # Releasing by number would take it from its new owner.
            release.status, release.done_at = CarrierRelease.Status.SKIPPED, now
            release.save(update_fields=["status", "done_at", "updated_at"])
            logger.warning("Carrier release of %s (%s) skipped: the number has a live owner", release.e164,
                           release.provider)
            return None
        release.attempts += 1
        release.next_attempt_at = now + retry_delay(release.attempts)
        release.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
        return release


def _succeeded(release: CarrierRelease, *, now: datetime) -> None:
    with transaction.atomic():
        # Lock order: the inventory row before anything else that refers to it.
        row = None
        if release.phone_number_id:
            row = PhoneNumber.objects.select_for_update(of=("self",)).filter(pk=release.phone_number_id).first()
        CarrierRelease.objects.filter(pk=release.pk).update(status=CarrierRelease.Status.DONE, done_at=now,
                                                            last_error="", updated_at=now)
        if row is None or row.status != InventoryStatus.RESERVED:
            return
        held = BulkReservationItem.objects.filter(phone_number_id=row.pk, status=BulkReservationItem.Status.HELD)
        pending = CarrierRelease.objects.filter(phone_number_id=row.pk, status=CarrierRelease.Status.PENDING)
        if not held.exists() and not pending.exists() and not OwnedNumber.objects.live().filter(
                phone_number_id=row.pk).exists():
            # Kept off sale only while the carrier still had it: back on sale now.
            PhoneNumber.objects.filter(pk=row.pk).update(status=InventoryStatus.AVAILABLE, updated_at=now)


def _failed(release: CarrierRelease, error: ProviderError | None) -> None:
    message = error.message if error is not None else "the carrier call failed unexpectedly"
    CarrierRelease.objects.filter(pk=release.pk).update(last_error=message[:500], updated_at=timezone.now())
    carrier_failure_record(provider=release.provider, operation="release", e164=release.e164,
                           code=(error.provider_code or "") if error is not None else "ERROR", message=message,
                           organization=release.organization)


def carrier_release_perform(*, release_id: int, now: datetime | None = None) -> bool:
    """Perform one release if it is due; True if the carrier confirmed it. Never in a transaction."""
    release = _claim(release_id=release_id, now=now or timezone.now())
    if release is None:
        return False
    try:
        get_adapter(release.provider).release_number(e164=release.e164, provider_order_id=release.provider_order_id)
    except ProviderError as exc:
        logger.warning("Carrier release of %s at %s failed (attempt %s): %s", release.e164, release.provider,
                       release.attempts, exc.message)
        _failed(release, exc)
        return False
    except Exception:
        logger.exception("Carrier release of %s at %s failed unexpectedly", release.e164, release.provider)
        _failed(release, None)
        return False
    _succeeded(release, now=timezone.now())
    return True


def carrier_releases_perform(*, release_ids: list[int] | None = None, now: datetime | None = None) -> dict:
    """Perform the given releases, or every due pending one (the sweep). Returns counts."""
    now = now or timezone.now()
    if release_ids is None:
        release_ids = list(CarrierRelease.objects.filter(status=CarrierRelease.Status.PENDING, next_attempt_at__lte=now)
                           .order_by("next_attempt_at", "id").values_list("id", flat=True)[:SWEEP_BATCH])
    done = sum(carrier_release_perform(release_id=release_id, now=now) for release_id in release_ids)
    return {"attempted": len(release_ids), "released": done}
