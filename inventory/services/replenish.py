"""Auto-replenish: when a low-stock alert opens on a pool whose ReplenishPolicy is enabled, buy
numbers from the policy's carrier into our own stock, within the pool's monthly budget.

1. ``replenish_schedule`` (in the alert-opening transaction of services/stock.py) queues a task on commit.
2. ``replenish_order_open``: under the threshold's row lock, the month's spending is summed (finished
   orders' cost, plus the budget held by orders still running) and one ReplenishOrder is recorded for
   the alert — never two (the alert is unique on the order) — holding the remaining budget, or
   recorded as skipped when nothing is left.
3. ``replenish_order_fill``, after commit and outside any transaction: the carrier's listing is searched
   for numbers of the pool we do not stock yet, the cheapest are picked until the quantity or the
   held budget is reached (cost = setup fee + first month), and ordered. The numbers bought become
   available rows carrying their carrier order (``stock_order_id``; the first checkout uses that
   order instead of ordering again). Refused numbers make a partial fill; a carrier error fails the order.

``AUTO_REPLENISH_ENABLED`` off stops new orders everywhere.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from orbit_numbers.errors import ProviderError
from orbit_numbers.services import audit_record

from ..models import (CarrierRelease, InventoryStatus, LowStockAlert, LowStockThreshold,
                      PhoneNumber, ReplenishOrder, ReplenishPolicy)
from ..providers import get_adapter
from ..providers.base import InventoryOffer, StockOrderLine
from ..seeding import _COLUMNS, _row
from .carrier_releases import ReleaseOrder, carrier_releases_record
from .carriers import carrier_failure_record, carrier_failures_record_many

logger = logging.getLogger(__name__)

RUNNING = (ReplenishOrder.Status.PENDING, ReplenishOrder.Status.ORDERING)


def month_start(now: datetime) -> datetime:
    """The first instant of ``now``'s calendar month in UTC (budgets are monthly)."""
    return now.astimezone(dt_timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def replenish_month_spent_cents(*, threshold_id: int, now: datetime | None = None) -> int:
    """This month's spending of a pool: finished orders' cost plus the budget held by running ones."""
    now = now or timezone.now()
    totals = ReplenishOrder.objects.filter(threshold_id=threshold_id, created_at__gte=month_start(now)).aggregate(
        spent=Sum("cost_cents", filter=~Q(status__in=RUNNING)), held=Sum("budget_cents", filter=Q(status__in=RUNNING)))
    return (totals["spent"] or 0) + (totals["held"] or 0)


def replenish_schedule(*, alert: LowStockAlert) -> None:
    """Queue the order for a newly opened alert, after its transaction commits (a small hook in stock.py)."""
    if not settings.ORBIT["AUTO_REPLENISH_ENABLED"]:
        return
    if not ReplenishPolicy.objects.filter(threshold_id=alert.threshold_id, enabled=True).exists():
        return
    from .. import tasks

    alert_id = alert.pk
    transaction.on_commit(lambda: tasks.replenish_low_stock.delay(alert_id))


def _snapshot(order: ReplenishOrder) -> dict:
    return {"alert_id": order.alert_id, "provider": order.provider, "pool": [order.country, order.line_type,
            order.area_code, order.capability], "status": order.status, "quantity": order.quantity_requested,
            "budget_cents": order.budget_cents, "cost_cents": order.cost_cents, "numbers_added": order.numbers_added,
            "numbers_failed": order.numbers_failed}


@transaction.atomic
def replenish_order_open(*, alert_id: int, now: datetime | None = None, acting_user=None) -> ReplenishOrder | None:
    """Record the order for an alert (see the module docstring). Returns the alert's order (the one
    recorded earlier, if any), or None when the alert is gone or resolved, or replenishing is off
    (globally or for this pool)."""
    now = now or timezone.now()
    alert = LowStockAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        return None
    # Lock order: the threshold, then its policy; every order of the pool is recorded under this lock.
    threshold = LowStockThreshold.objects.select_for_update(of=("self",)).filter(pk=alert.threshold_id).first()
    if threshold is None:
        return None
    existing = ReplenishOrder.objects.filter(alert_id=alert_id).first()
    if existing is not None:
        return existing
    policy = ReplenishPolicy.objects.select_for_update(of=("self",)).filter(threshold=threshold).first()
    if (not settings.ORBIT["AUTO_REPLENISH_ENABLED"] or policy is None or not policy.enabled
            or not threshold.is_active or alert.resolved_at is not None):
        return None
    remaining = policy.monthly_budget_cents - replenish_month_spent_cents(threshold_id=threshold.pk, now=now)
    order = ReplenishOrder(alert=alert, threshold=threshold, provider=policy.provider, country=threshold.country,
                           line_type=threshold.line_type, area_code=threshold.area_code,
                           capability=threshold.capability, quantity_requested=policy.quantity,
                           budget_cents=max(remaining, 0), created_at=now)
    if remaining <= 0:
        order.status, order.finished_at = ReplenishOrder.Status.SKIPPED, now
        order.error = f"This month's budget ({policy.monthly_budget_cents} cents) is spent."
    order.save(force_insert=True)
    audit_record(action="replenish_order.open", acting_user=acting_user, target=order, after=_snapshot(order))
    return order


def _matches_pool(offer: InventoryOffer, order: ReplenishOrder) -> bool:
    return (offer.country.upper() == order.country and offer.line_type == order.line_type
            and (not order.area_code or offer.area_code == order.area_code)
            and (not order.capability or order.capability in offer.capabilities))


def numbers_being_ordered() -> set[str]:
    """Numbers running orders are buying right now (reconciliation must not release their carrier orders)."""
    return {e164 for numbers in ReplenishOrder.objects.filter(status=ReplenishOrder.Status.ORDERING)
            .values_list("numbers", flat=True) for e164 in numbers or []}


def replenish_offers_pick(*, order: ReplenishOrder) -> list[InventoryOffer]:
    """The cheapest numbers of the pool we do not stock yet, within the order's quantity and budget.
    Calls the carrier: never inside a transaction. Raises ProviderError if the listing fails."""
    adapter = get_adapter(order.provider)
    found: dict[str, InventoryOffer] = {}
    cursor = None
    for _ in range(int(settings.ORBIT["REPLENISH_SEARCH_PAGES"])):
        page = adapter.search_inventory_page(country=order.country, line_type=order.line_type, cursor=cursor,
                                             page_size=int(settings.ORBIT["INVENTORY_SYNC_PAGE_SIZE"]))
        found.update((offer.e164, offer) for offer in page.offers if _matches_pool(offer, order))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    known = set(PhoneNumber.objects.filter(e164__in=list(found)).values_list("e164", flat=True))
    picked, total = [], 0
    for offer in sorted((o for o in found.values() if o.e164 not in known),
                        key=lambda o: (o.setup_cents + o.monthly_cents, o.e164)):
        cost = offer.setup_cents + offer.monthly_cents
        if len(picked) >= order.quantity_requested or total + cost > order.budget_cents:
            break
        picked.append(offer)
        total += cost
    return picked


def replenish_order_fill(*, order_id: int, acting_user=None) -> ReplenishOrder | None:
    """Order a pending order's numbers at its carrier and put them in stock. Never inside a
    transaction. A second call for the same order does nothing (the claim is a compare-and-set)."""
    if not ReplenishOrder.objects.filter(pk=order_id, status=ReplenishOrder.Status.PENDING).update(
            status=ReplenishOrder.Status.ORDERING):
        return ReplenishOrder.objects.filter(pk=order_id).first()
    order = ReplenishOrder.objects.get(pk=order_id)
    lines: list[StockOrderLine] = []
    error = ""
    try:
        offers = replenish_offers_pick(order=order)
        if offers:
            # Reconciliation sees these numbers' carrier orders as in flight until the order finishes.
            ReplenishOrder.objects.filter(pk=order_id).update(numbers=[offer.e164 for offer in offers])
            lines = get_adapter(order.provider).order_into_inventory(offers=offers)
        else:
            error = "The carrier lists no new numbers for this pool within the remaining budget."
    except ProviderError as exc:
        error = f"Carrier error: {exc.message}"
        carrier_failure_record(provider=order.provider, operation="replenish", code=exc.provider_code or "",
                               message=exc.message[:500])
    except Exception:  # an adapter bug fails this order (recorded), never leaves it running
        logger.exception("Replenish order %s at %s failed unexpectedly", order_id, order.provider)
        error = "Unexpected error while ordering (see the logs)."
    return replenish_order_finish(order_id=order_id, lines=lines, error=error, acting_user=acting_user)


@transaction.atomic
def replenish_order_finish(*, order_id: int, lines: list[StockOrderLine], error: str = "",
                           acting_user=None) -> ReplenishOrder:
    """Record what the carrier did: the numbers bought become available stock rows; refusals are
    recorded as carrier failures and counted; the cost is what the bought numbers cost."""
    now = timezone.now()
    order = ReplenishOrder.objects.select_for_update(of=("self",)).get(pk=order_id)
    bought = [line for line in lines if line.ok]
    refused = [line for line in lines if not line.ok]
    # A number someone added meanwhile (a sync found it) cannot be stocked twice: its order goes back.
    clashing = set(PhoneNumber.objects.filter(e164__in=[line.offer.e164 for line in bought])
                   .values_list("e164", flat=True))
    stocked = [line for line in bought if line.offer.e164 not in clashing]
    carrier_releases_record(orders=[ReleaseOrder(provider=order.provider, e164=line.offer.e164,
                                                 provider_order_id=line.provider_order_id)
                                    for line in bought if line.offer.e164 in clashing],
                            reason=CarrierRelease.Reason.COMPENSATION, now=now)
    rows = []
    for line in stocked:
        row = PhoneNumber(**dict(zip(_COLUMNS, _row(line.offer, now, order.provider))))
        row.provider, row.status, row.stock_order_id = order.provider, InventoryStatus.AVAILABLE, line.provider_order_id
        rows.append(row)
    PhoneNumber.objects.bulk_create(rows)
    carrier_failures_record_many(failures=[{"provider": order.provider, "operation": "replenish",
                                            "e164": line.offer.e164, "code": line.error_code,
                                            "message": line.error} for line in refused])
    before = _snapshot(order)
    order.numbers = [line.offer.e164 for line in stocked]
    order.numbers_added = len(stocked)
    order.numbers_failed = len(lines) - len(stocked)
    # What we paid: every number the carrier sold us, the ones handed back included.
    order.cost_cents = sum(line.cost_cents for line in bought)
    if order.numbers_added >= order.quantity_requested:
        order.status = ReplenishOrder.Status.COMPLETED
    elif order.numbers_added:
        order.status = ReplenishOrder.Status.PARTIAL
    else:
        order.status = ReplenishOrder.Status.FAILED
    problems = ([error] if error else []) + [f"{line.offer.e164}: {line.error}" for line in refused[:20]]
    if order.numbers_added and order.numbers_added < order.quantity_requested and not problems:
        problems.append("The budget or the carrier's listing allowed fewer numbers than requested.")
    order.error = "\n".join(problems)[:5000]
    order.finished_at = now
    order.save()
    audit_record(action="replenish_order.finish", acting_user=acting_user, target=order, before=before,
                 after={**_snapshot(order), "numbers": order.numbers})
    return order


def alert_replenish(*, alert_id: int, acting_user=None) -> ReplenishOrder | None:
    """The task's whole job: record the alert's order, then fill it if it is still pending."""
    order = replenish_order_open(alert_id=alert_id, acting_user=acting_user)
    if order is not None and order.status == ReplenishOrder.Status.PENDING:
        return replenish_order_fill(order_id=order.pk, acting_user=acting_user)
    return order



def stock_orders_take(*, row_ids: list[int]) -> dict[int, str]:
    """Checkout's phase 2 (services/checkout.py): the carrier orders of rows bought into our own
    stock, taken off their rows in the same statement, so each is used by one checkout only (a
    second checkout of the row, after a release, orders at the carrier as usual). One query."""
    if not row_ids:
        return {}
    table = PhoneNumber._meta.db_table
    if connection.vendor != "postgresql":  # the SQLite demo
        with transaction.atomic():
            taken = dict(PhoneNumber.objects.filter(pk__in=row_ids).exclude(stock_order_id="")
                         .values_list("pk", "stock_order_id"))
            PhoneNumber.objects.filter(pk__in=list(taken)).update(stock_order_id="")
        return taken
    with connection.cursor() as cursor:
        cursor.execute(f"WITH taken AS (SELECT id, stock_order_id FROM {table} WHERE id = ANY(%s) "
                       f"AND stock_order_id <> '' ORDER BY id FOR UPDATE) "
                       f"UPDATE {table} SET stock_order_id = '' FROM taken WHERE {table}.id = taken.id "
                       f"RETURNING taken.id, taken.stock_order_id", [list(row_ids)])
        return dict(cursor.fetchall())


def replenish_orders_sweep(*, now: datetime | None = None, acting_user=None) -> dict[str, int]:
    """Orders whose task was lost are filled; orders stuck at the carrier call (a worker died) are
    failed, which frees their budget — reconciliation then hands back any number the carrier placed
    for them. The beat job ``sweep-replenish-orders`` and ``manage.py sweep_replenish_orders`` call this."""
    now = now or timezone.now()
    config = settings.ORBIT
    lost = list(ReplenishOrder.objects.filter(
        status=ReplenishOrder.Status.PENDING,
        created_at__lt=now - timedelta(minutes=int(config["REPLENISH_PENDING_RETRY_MINUTES"])))
        .order_by("pk").values_list("pk", flat=True))
    for order_id in lost:
        replenish_order_fill(order_id=order_id, acting_user=acting_user)
    stuck = list(ReplenishOrder.objects.filter(
        status=ReplenishOrder.Status.ORDERING,
        created_at__lt=now - timedelta(minutes=int(config["REPLENISH_STUCK_MINUTES"])))
        .order_by("pk").values_list("pk", flat=True))
    for order_id in stuck:
        replenish_order_finish(order_id=order_id, lines=[], acting_user=acting_user,
                               error="Interrupted while ordering at the carrier; any number it placed is "
                                     "handed back by reconciliation.")
    return {"retried": len(lost), "failed_stuck": len(stuck)}


def stock_orders_return(*, orders: dict[int, str]) -> None:
    """Put stock orders back on their rows after a checkout that took them did not complete."""
    if not orders:
        return
    with transaction.atomic():
        for row_id, order_id in sorted(orders.items()):
            PhoneNumber.objects.filter(pk=row_id, stock_order_id="").update(stock_order_id=order_id)
