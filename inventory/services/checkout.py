"""The batch checkout engine shared by buy-bulk, assign orders and reservation finalize.

Why three phases and not one transaction: a batch can fan out to 50 (buy-bulk) or 1000
(finalize) carrier calls of up to seconds each. Holding inventory row locks and the wallet
lock for that long would stall every other buyer of those rows and every other spend of the
organisation. Instead:

1. (caller's transaction) lock the rows with SKIP LOCKED, check them, run the wallet
   preflight, and record a hold: a BulkReservation whose items own the rows, which move to
   inventory status ``reserved``. Nobody else can buy or see them from here on, and the
   partial unique constraint ``one_active_hold_per_number`` forbids a second live hold even if
   a status check were wrong. The hold expires like any reservation, so a crash between phases
   cannot strand rows in ``reserved``.
2. (no transaction) order every item at its carrier, a few in parallel: adapters never touch
   the database. A refusal is that item's failure; it is never charged.
3. (one transaction) re-check the hold, assign what the carrier gave us (one bulk insert of
   OwnedNumbers, one of NumberRoutes), put the carrier's refusals back on sale, and debit
   exactly the assigned items in one ledger insert. If this fails (the wallet went short since
   the preflight, the hold was swept, anything) nothing of it commits: the carrier orders
   placed in phase 2 are released again and the hold is undone, so no partial-batch debit
   and no number without its charge can exist. Releases go through the carrier-release outbox
   (services/carrier_releases.py): recorded, then performed, retried until the carrier confirms.
   A process that dies between phase 2 and 3 leaves carrier orders nobody committed: the
   reconciliation job (services/reconciliation.py) finds and releases them.

An idempotent request's stored response commits in phase 3's transaction
(``idempotency_effect_commit``), so a retry either replays it or finds nothing done.

Every phase issues a fixed number of SQL statements whatever the batch size.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from billing.services import wallet_charge, wallet_lock
from orbit_numbers.api.idempotency import idempotency_effect_commit
from orbit_numbers.errors import Conflict, ProviderError
from orbit_numbers.models import ApiKey, AuditLog, Organization
from orbit_numbers.services import audit_entry, audit_record_many

from ..models import (BulkReservation, BulkReservationItem, CarrierRelease, InventoryStatus, NumberRoute, OwnedNumber,
                      PhoneNumber)
from ..providers import get_adapter
from .carrier_releases import (ReleaseOrder, carrier_releases_perform, carrier_releases_record,
                               rows_awaiting_release)
from .carriers import carrier_failures_record_many
from .compliance import ComplianceCover
from .number_events import numbers_purchased_emit
from .numbers import enabled_capabilities, number_snapshot, purchase_charges, purchase_cost_cents
from .replenish import stock_orders_return, stock_orders_take

logger = logging.getLogger(__name__)

HOLD_DURATION = timedelta(minutes=15)
# A finalize whose process died mid-way is swept after this (its carrier calls are long over).
FINALIZE_STALE_AFTER = timedelta(hours=1)
# Carrier calls in flight at once per batch: enough to hide latency, few enough to be polite.
CARRIER_CONCURRENCY = 8


def hold_rows(*, organization: Organization, rows: list[PhoneNumber], purpose: str, status: str, now: datetime,
              quantity_requested: int | None = None,
              **fields) -> tuple[BulkReservation, list[BulkReservationItem]]:
    """Record a hold on ``rows`` (which the caller has locked in this transaction): one reservation
    insert, one item insert, one inventory update."""
    reservation = BulkReservation.objects.create(
        organization=organization, purpose=purpose, status=status, created_at=now, expires_at=now + HOLD_DURATION,
        quantity_requested=len(rows) if quantity_requested is None else quantity_requested,
        quantity_reserved=len(rows), **fields)
    items = BulkReservationItem.objects.bulk_create([
        BulkReservationItem(reservation=reservation, phone_number_id=row.pk, e164=row.e164, provider=row.provider,
                            provider_ref=row.provider_ref, monthly_cents=row.monthly_cents,
                            setup_cents=row.setup_cents)
        for row in rows
    ])
    PhoneNumber.objects.filter(pk__in=[row.pk for row in rows]).update(status=InventoryStatus.RESERVED, updated_at=now)
    return reservation, items


def held_items_release(*, reservation_ids: list[str], now: datetime) -> int:
    """Held items of these reservations go back on sale (no carrier call: a hold never ordered).
    Rows are locked by id first, the app-wide lock order."""
    held = BulkReservationItem.objects.filter(reservation_id__in=reservation_ids, status=BulkReservationItem.Status.HELD)
    row_ids = list(PhoneNumber.objects.select_for_update(of=("self",))
                   .filter(pk__in=held.values("phone_number_id")).order_by("id").values_list("id", flat=True))
    held.update(status=BulkReservationItem.Status.RELEASED)
    # A row whose carrier order is still being handed back stays off sale until the carrier confirms.
    PhoneNumber.objects.filter(pk__in=row_ids, status=InventoryStatus.RESERVED).exclude(
        pk__in=rows_awaiting_release()).update(status=InventoryStatus.AVAILABLE, updated_at=now)
    return len(row_ids)


@dataclass
class Outcome:
    """What the carrier said about one held item."""

    item: BulkReservationItem
    provider_order_id: str = ""
    error_code: str = ""
    error_message: str = ""
    provider_code: str = ""  # the carrier's own code for a refusal
    number: OwnedNumber | None = None
    from_stock: bool = False  # the row's own carrier order (auto-replenish stock), not a new one

    @property
    def ok(self) -> bool:
        return bool(self.provider_order_id)


SKIPPED = "SKIPPED"


def carrier_order_all(items: list[BulkReservationItem], *, stop_on_failure: bool = False) -> list[Outcome]:
    """Order each item at its carrier (phase 2, outside any transaction). With ``stop_on_failure``
    (all-or-nothing orders) no new call starts after the first refusal; those items come back SKIPPED."""
    stop = threading.Event()
    # Rows auto-replenish bought into our stock are ours at the carrier already: use that order.
    stocked = stock_orders_take(row_ids=[item.phone_number_id for item in items])

    def order(item: BulkReservationItem) -> Outcome:
        if item.phone_number_id in stocked:
            return Outcome(item, provider_order_id=stocked[item.phone_number_id], from_stock=True)
        if stop.is_set():
            return Outcome(item, error_code=SKIPPED, error_message="not attempted after another item failed")
        try:
            placed = get_adapter(item.provider).order_number(e164=item.e164, provider_ref=item.provider_ref)
            return Outcome(item, provider_order_id=placed.provider_order_id)
        except ProviderError as exc:
            outcome = Outcome(item, error_code="CARRIER_REJECTED", error_message=exc.message[:255],
                              provider_code=exc.provider_code or "")
        except Exception:  # an adapter bug is this item's failure, not the batch's: it is never charged
            logger.exception("Carrier order of %s at %s failed unexpectedly", item.e164, item.provider)
            outcome = Outcome(item, error_code="CARRIER_ERROR", error_message="the carrier call failed")
        if stop_on_failure:
            stop.set()
        return outcome

    if len(items) <= 1:
        return [order(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(CARRIER_CONCURRENCY, len(items))) as pool:
        return list(pool.map(order, items))


def items_link_numbers(*, outcomes: list[Outcome]) -> None:
    """Mark purchased items and point each at its new number: one statement whatever the batch size.

    The numbers' ids are known before the insert (generated in Python), so PostgreSQL joins the items
    to (item id, number id) pairs passed as two arrays, the items found by primary key (the ANY keeps
    that side an index scan of the batch, not a hash of the whole table). The organisation's numbers
    are never read, whatever it owns and however stale its statistics: a correlated subquery by phone
    number and organisation made the planner filter thousands of them per item. The SQLite demo keeps
    the subquery, by phone number alone (``one_live_owner_per_number`` makes it unique). No per-row
    CASE either way: bulk_update over 1000 rows costs seconds of query building in Python."""
    if not outcomes:
        return
    item_ids = [outcome.item.pk for outcome in outcomes]
    if connection.vendor != "postgresql":
        BulkReservationItem.objects.filter(pk__in=item_ids).update(
            status=BulkReservationItem.Status.PURCHASED, owned_number_id=Subquery(
                OwnedNumber.objects.live().filter(phone_number_id=OuterRef("phone_number_id")).values("pk")[:1]))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {BulkReservationItem._meta.db_table} AS item SET status = %s, owned_number_id = link.number_id "
            "FROM unnest(%s::bigint[], %s::varchar[]) AS link(item_id, number_id) "
            "WHERE item.id = link.item_id AND item.id = ANY(%s::bigint[])",
            [BulkReservationItem.Status.PURCHASED, item_ids, [outcome.number.pk for outcome in outcomes], item_ids])


@dataclass
class CheckoutResult:
    reservation: BulkReservation
    succeeded: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    debited_cents: int = 0
    # What the calling service returns, built by its ``respond`` inside phase 3's transaction.
    value: Any = None

    @property
    def numbers(self) -> list[OwnedNumber]:
        return [outcome.number for outcome in self.succeeded]


def checkout_complete(*, reservation: BulkReservation, outcomes: list[Outcome], organization: Organization,
                      compliance: ComplianceCover, source: str, number_fields: dict | None = None,
                      audit_action: str | None, audit_after: dict | None = None,
                      respond: Callable[[CheckoutResult], Any] | None = None,
                      acting_key: ApiKey | None = None, acting_user=None) -> CheckoutResult:
    """Phase 3 in one transaction. Raises Conflict if the hold was swept meanwhile and
    InsufficientCredit if the wallet no longer covers the succeeded items; either way nothing commits.

    ``respond(checkout)`` builds the calling service's result; it runs inside this transaction and
    that result is handed to ``idempotency_effect_commit`` so the request's stored response commits
    with the effect. ``audit_action`` None writes no batch-level audit row (a single purchase)."""
    now = timezone.now()
    with transaction.atomic():
        # Lock order: the reservation (parent), inventory rows by id, owned numbers, the wallet.
        locked = (BulkReservation.objects.select_for_update(of=("self",))
                  .filter(pk=reservation.pk, status=BulkReservation.Status.FINALIZING).first())
        if locked is None:
            raise Conflict("The reservation expired while its numbers were being ordered; nothing was charged.")
        rows = {row.pk: row for row in PhoneNumber.objects.select_for_update(of=("self",))
                .filter(pk__in=[outcome.item.phone_number_id for outcome in outcomes]).order_by("id")}
        succeeded = [outcome for outcome in outcomes if outcome.ok]
        failed = [outcome for outcome in outcomes if not outcome.ok]

        for outcome in succeeded:
            item, row = outcome.item, rows[outcome.item.phone_number_id]
            outcome.number = OwnedNumber(**{
                "organization": organization, "phone_number_id": row.pk, "e164": row.e164,
                # The compliance gate let every item through before it was held (services/compliance.py).
                "status": OwnedNumber.Status.ACTIVE, "source": source, "capabilities": enabled_capabilities(row, None),
                "compliance_profile": compliance.profile_for(row.country, row.line_type),
                "monthly_cents": item.monthly_cents, "setup_cents": item.setup_cents,
                "provider_order_id": outcome.provider_order_id, **(number_fields or {})})
            item.status, item.owned_number = BulkReservationItem.Status.PURCHASED, outcome.number
        for outcome in failed:
            outcome.item.status = BulkReservationItem.Status.FAILED
            outcome.item.error_code, outcome.item.error_message = outcome.error_code, outcome.error_message

        numbers = OwnedNumber.objects.bulk_create([outcome.number for outcome in succeeded])
        NumberRoute.objects.bulk_create([NumberRoute(number=number) for number in numbers])
        PhoneNumber.objects.filter(pk__in=[number.phone_number_id for number in numbers]).update(
            status=InventoryStatus.ASSIGNED, aging_until=None, updated_at=now)
        # A carrier refusal puts the row back on sale; the number was never ours to charge for.
        PhoneNumber.objects.filter(pk__in=[outcome.item.phone_number_id for outcome in failed],
                                   status=InventoryStatus.RESERVED).update(status=InventoryStatus.AVAILABLE,
                                                                           updated_at=now)
        items_link_numbers(outcomes=succeeded)
        BulkReservationItem.objects.bulk_update([outcome.item for outcome in failed],
                                                ["status", "error_code", "error_message"])

        debited = sum(purchase_cost_cents(outcome.item) for outcome in succeeded)
        locked.status = BulkReservation.Status.FINALIZED
        locked.finalized_at = now
        locked.purchased_count, locked.failed_count, locked.debited_cents = len(succeeded), len(failed), debited
        locked.save(update_fields=["status", "finalized_at", "purchased_count", "failed_count", "debited_cents",
                                   "updated_at"])

        actor = {"organization": organization, "acting_key": acting_key, "acting_user": acting_user}
        entries: list[AuditLog] = [
            audit_entry(action="number.purchase", target=outcome.number, **actor,
                        after={**number_snapshot(outcome.number), "e164": outcome.number.e164, "source": source,
                               "reservation_id": locked.pk, "charged_cents": purchase_cost_cents(outcome.item)})
            for outcome in succeeded
        ]
        if audit_action is not None:
            entries.append(audit_entry(action=audit_action, target=locked, **actor, after={
                **(audit_after or {}), "purchased": len(succeeded), "failed": len(failed), "debited_cents": debited,
                "failed_numbers": {outcome.item.e164: outcome.error_code for outcome in failed},
            }))
        audit_record_many(entries=entries)
        # Every purchase path (single, buy-bulk, assign orders, finalized holds) ends here.
        numbers_purchased_emit(organization=organization, numbers=numbers)
        # The wallet row is locked last, just before the commit: the organisation's other purchases and
        # spends wait for this transaction's last statements only (it is the one lock they all share).
        # Items carry the quoted e164/monthly/setup, the shape purchase_charges reads.
        charges = [charge for outcome in succeeded for charge in purchase_charges(outcome.item, outcome.number.id)]
        if charges:
            wallet_charge(organization=organization, charges=charges, wallet=wallet_lock(organization=organization),
                          acting_key=acting_key, acting_user=acting_user)
        result = CheckoutResult(reservation=locked, succeeded=succeeded, failed=failed, debited_cents=debited)
        result.value = respond(result) if respond is not None else result
        idempotency_effect_commit(result.value)
    return result


def checkout_undo(*, reservation: BulkReservation, placed: list[Outcome], restore_status: str | None) -> None:
    """Compensate a checkout whose phase 3 did not commit: hand back what the carriers gave us, then
    either put a customer reservation back as it was (``restore_status``: still held, can be retried)
    or return a buy-bulk/order hold's rows to inventory.

    The releases are recorded before they are attempted, so one that fails (or a crash right here)
    is retried by the release sweep, never lost. An item whose release is still pending leaves the
    hold (status failed) and its row stays off sale until the carrier confirms."""
    releases = carrier_releases_record(orders=[
        ReleaseOrder(provider=o.item.provider, e164=o.item.e164, provider_order_id=o.provider_order_id,
                     phone_number_id=o.item.phone_number_id) for o in placed],
        reason=CarrierRelease.Reason.COMPENSATION, organization_id=reservation.organization_id)
    carrier_releases_perform(release_ids=[release.pk for release in releases])
    pending_rows = set(CarrierRelease.objects.filter(pk__in=[release.pk for release in releases],
                                                     status=CarrierRelease.Status.PENDING)
                       .values_list("phone_number_id", flat=True))
    now = timezone.now()
    with transaction.atomic():
        locked = (BulkReservation.objects.select_for_update(of=("self",))
                  .filter(pk=reservation.pk, status=BulkReservation.Status.FINALIZING).first())
        if locked is None:  # swept meanwhile: its rows are already back (or kept off sale, if pending)
            return
        if pending_rows:
            locked.items.filter(status=BulkReservationItem.Status.HELD, phone_number_id__in=pending_rows).update(
                status=BulkReservationItem.Status.FAILED, error_code="CARRIER_RELEASE_PENDING",
                error_message="Ordered, then handed back to the carrier; not charged.")
        if restore_status is not None:
            locked.status = restore_status
            locked.save(update_fields=["status", "updated_at"])
            return
        held_items_release(reservation_ids=[locked.pk], now=now)
        locked.status, locked.cancelled_at = BulkReservation.Status.CANCELLED, now
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])


def checkout_run(*, reservation: BulkReservation, items: list[BulkReservationItem], organization: Organization,
                 compliance: ComplianceCover, source: str, audit_action: str | None,
                 audit_after: dict | None = None, number_fields: dict | None = None,
                 restore_status: str | None = None, all_or_nothing_error=None,
                 respond: Callable[[CheckoutResult], Any] | None = None,
                 acting_key: ApiKey | None = None, acting_user=None) -> CheckoutResult:
    """Phases 2 and 3 for a hold already in status FINALIZING.

    ``all_or_nothing_error(failed_outcomes)`` (assign orders) builds the error to raise when any
    item fails at the carrier; the whole hold is then undone instead of completing."""
    outcomes = carrier_order_all(items, stop_on_failure=all_or_nothing_error is not None)
    placed = [outcome for outcome in outcomes if outcome.ok]
    # The carriers' refusals happened whatever phase 3 does: the console's failure log shows them.
    carrier_failures_record_many(organization=organization, failures=[
        {"provider": o.item.provider, "operation": "order", "e164": o.item.e164, "code": o.error_code,
         "message": o.error_message}
        for o in outcomes if not o.ok and o.error_code != SKIPPED])
    try:
        if all_or_nothing_error is not None and len(placed) < len(outcomes):
            raise all_or_nothing_error([o for o in outcomes if not o.ok and o.error_code != SKIPPED])
        return checkout_complete(reservation=reservation, outcomes=outcomes, organization=organization,
                                 compliance=compliance, source=source, number_fields=number_fields,
                                 audit_action=audit_action, audit_after=audit_after, respond=respond,
                                 acting_key=acting_key, acting_user=acting_user)
    except BaseException:
        # A stocked number stays ours: its order goes back on its row instead of to the carrier.
        stock_orders_return(orders={o.item.phone_number_id: o.provider_order_id for o in placed if o.from_stock})
        checkout_undo(reservation=reservation, placed=[o for o in placed if not o.from_stock],
                      restore_status=restore_status)
        raise
