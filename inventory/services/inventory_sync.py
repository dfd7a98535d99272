"""Carrier inventory sync: mirror each synced pool (InventorySyncPool: carrier × country × line type)
from the carrier's own listing.

For each pool the carrier's listing is read page by page, outside any transaction. New offers become
available rows; available rows whose price changed are repriced; retired rows the carrier offers
again come back on sale. Rows the carrier no longer lists are retired (status ``retired``: off sale
without touching ``sellable_q`` or the partial indexes on ``status='available'``, and kept because
reservations, tenures and releases refer to rows) — but only:

- after a complete, successful listing (every page fetched, the last page said so, no carrier error):
  a failing or truncated listing never retires anything;
- rows that are available, not resting after a release (aging), not bought into our own stock
  (``stock_order_id``), with no live tenure, no held reservation item and no pending carrier release;
- at most ``INVENTORY_SYNC_MAX_RETIRE_PER_RUN`` rows per pool per run (the rest wait for later runs).

Pools are a staff-managed list: retirement acts on a whole pool, so a pool is synced only when
staff opted it in. Each run is recorded (InventorySyncRun); a dry run fetches and counts but writes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.errors import ProviderError
from orbit_numbers.services import audit_record

from ..models import (BulkReservationItem, InventoryStatus, InventorySyncPool, InventorySyncRun, OwnedNumber,
                      PhoneNumber, sellable_q)
from ..providers import get_adapter
from ..providers.base import InventoryOffer
from ..seeding import offers_load
from .carrier_releases import rows_awaiting_release
from .carriers import carrier_failure_record

logger = logging.getLogger(__name__)

_BATCH = 1000


@dataclass
class Listing:
    offers: dict[str, InventoryOffer] = field(default_factory=dict)
    pages: int = 0
    complete: bool = False
    failed: bool = False  # the carrier (or its adapter) errored; otherwise an incomplete listing was cut short
    errors: list[str] = field(default_factory=list)


@dataclass
class PoolSyncResult:
    provider: str
    country: str
    line_type: str
    dry_run: bool = False
    status: str = InventorySyncRun.Status.RUNNING
    pages: int = 0
    offered: int = 0
    added: int = 0
    revived: int = 0
    updated: int = 0
    retired: int = 0
    retire_deferred: int = 0
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None


def inventory_listing_fetch(*, provider: str, country: str, line_type: str) -> Listing:
    """Every page of the carrier's listing for the pool. Never inside a transaction."""
    config = settings.ORBIT
    page_size, max_pages = int(config["INVENTORY_SYNC_PAGE_SIZE"]), int(config["INVENTORY_SYNC_MAX_PAGES"])
    listing = Listing()
    cursor: str | None = None
    try:
        adapter = get_adapter(provider)
        while True:
            page = adapter.search_inventory_page(country=country, line_type=line_type, cursor=cursor,
                                                 page_size=page_size)
            listing.pages += 1
            for offer in page.offers:
                # Only this pool's numbers count: anything else would make the pool look emptier than it is.
                if offer.country.upper() == country and offer.line_type == line_type:
                    # The pool's carrier holds what it lists, whatever the offer names.
                    listing.offers[offer.e164] = replace(offer, provider=provider)
            if page.truncated:
                listing.errors.append(f"the carrier's listing was cut at {page_size} offers and cannot be paged")
                return listing
            if page.next_cursor is None:
                listing.complete = True
                return listing
            if listing.pages >= max_pages:
                listing.errors.append(f"the listing is longer than {max_pages} pages (INVENTORY_SYNC_MAX_PAGES)")
                return listing
            cursor = page.next_cursor
    except ProviderError as exc:
        listing.failed = True
        listing.errors.append(f"carrier error on page {listing.pages + 1}: {exc.message}")
        carrier_failure_record(provider=provider, operation="inventory_sync", code=exc.provider_code or "",
                               message=exc.message[:500])
    except Exception:  # an adapter bug fails this pool's run, never the others'
        logger.exception("Inventory listing of %s %s %s failed", provider, country, line_type)
        listing.failed = True
        listing.errors.append(f"unexpected error on page {listing.pages + 1} (see the logs)")
    return listing


def _price_changed(row: dict, offer: InventoryOffer) -> bool:
    """The price, or the carrier's id of the offer (DIDWW's available-DID ids change; orders use it)."""
    return (row["monthly_cents"] != offer.monthly_cents or row["setup_cents"] != offer.setup_cents
            or (bool(offer.provider_ref) and row["provider_ref"] != offer.provider_ref))


def _known_rows(numbers: list[str]) -> dict[str, dict]:
    return {row["e164"]: row for row in PhoneNumber.objects.filter(e164__in=numbers).values(
        "pk", "e164", "provider", "provider_ref", "status", "stock_order_id", "monthly_cents", "setup_cents")}


@transaction.atomic
def _offers_apply(*, provider: str, offers: list[InventoryOffer], now: datetime,
                  acting_user=None) -> tuple[int, int, int]:
    """Add, reprice and revive one batch of offers. Returns (added, revived, updated)."""
    known = _known_rows([offer.e164 for offer in offers])
    added = offers_load([offer for offer in offers if offer.e164 not in known], provider=provider)
    touched = {row["pk"]: offer for offer in offers if (row := known.get(offer.e164)) is not None
               and row["provider"] == provider and not row["stock_order_id"]
               and (row["status"] == InventoryStatus.RETIRED
                    or (row["status"] == InventoryStatus.AVAILABLE and _price_changed(row, offer)))}
    revived = updated = 0
    changed: list[str] = []
    # Rows a checkout holds right now are skipped (it locked them); the next run picks them up.
    locked = (PhoneNumber.objects.select_for_update(of=("self",), skip_locked=True)
              .filter(pk__in=list(touched), stock_order_id="")
              .filter(Q(status=InventoryStatus.AVAILABLE) | Q(status=InventoryStatus.RETIRED)).order_by("pk"))
    for row in locked:
        offer = touched[row.pk]
        row.monthly_cents, row.setup_cents, row.updated_at = offer.monthly_cents, offer.setup_cents, now
        row.provider_ref = offer.provider_ref or row.provider_ref
        if row.status == InventoryStatus.RETIRED:
            row.status, row.retired_at = InventoryStatus.AVAILABLE, None
            revived += 1
        else:
            updated += 1
        row.save(update_fields=["monthly_cents", "setup_cents", "provider_ref", "status", "retired_at", "updated_at"])
        changed.append(row.e164)
    if added or changed:
        audit_record(action="inventory_sync.apply", acting_user=acting_user, object_type="inventory_pool",
                     object_id=f"{provider}:{offers[0].country.upper()}:{offers[0].line_type}",
                     after={"added": added, "revived": revived, "updated": updated, "changed_numbers": changed[:100]})
    return added, revived, updated


def _retire_candidates(*, provider: str, country: str, line_type: str, offered: set[str], now: datetime) -> list[int]:
    rows = (PhoneNumber.objects.sellable(now=now)
            .filter(provider=provider, country=country, line_type=line_type, stock_order_id="")
            .order_by("pk").values_list("pk", "e164"))
    return [pk for pk, e164 in rows.iterator(chunk_size=5000) if e164 not in offered]


def _retire_safe(queryset):
    """Rows nobody depends on: no live tenure, no held reservation item, no pending carrier release."""
    return (queryset.exclude(pk__in=OwnedNumber.objects.live().values("phone_number_id"))
            .exclude(pk__in=BulkReservationItem.objects.filter(status=BulkReservationItem.Status.HELD)
                     .values("phone_number_id"))
            .exclude(pk__in=rows_awaiting_release()))


@transaction.atomic
def _rows_retire(*, row_ids: list[int], pool_key: str, now: datetime, acting_user=None) -> list[str]:
    locked = (PhoneNumber.objects.select_for_update(of=("self",), skip_locked=True)
              .filter(sellable_q(now), pk__in=row_ids, stock_order_id="").order_by("pk"))
    retire = list(_retire_safe(locked).values_list("pk", "e164"))
    PhoneNumber.objects.filter(pk__in=[pk for pk, _ in retire]).update(
        status=InventoryStatus.RETIRED, retired_at=now, updated_at=now)
    if retire:
        audit_record(action="inventory_sync.retire", acting_user=acting_user, object_type="inventory_pool",
                     object_id=pool_key, before={"status": InventoryStatus.AVAILABLE},
                     after={"status": InventoryStatus.RETIRED, "numbers": [e164 for _, e164 in retire]})
    return [e164 for _, e164 in retire]


def inventory_pool_sync(*, provider: str, country: str, line_type: str, dry_run: bool = False,
                        now: datetime | None = None, acting_user=None) -> PoolSyncResult:
    """Sync one pool from its carrier (see the module docstring). Never inside a transaction:
    the carrier listing is read first, then each batch of changes commits on its own."""
    now = now or timezone.now()
    country = country.upper()
    result = PoolSyncResult(provider=provider, country=country, line_type=line_type, dry_run=dry_run)
    if not dry_run:
        result.run_id = InventorySyncRun.objects.create(provider=provider, country=country, line_type=line_type,
                                                        started_at=now).pk

    retired_numbers: list[str] = []
    try:
        listing = inventory_listing_fetch(provider=provider, country=country, line_type=line_type)
        result.pages, result.offered, result.errors = listing.pages, len(listing.offers), list(listing.errors)
        offers = list(listing.offers.values())
        for start in range(0, len(offers), _BATCH):
            batch = offers[start:start + _BATCH]
            if dry_run:
                known = _known_rows([offer.e164 for offer in batch])
                result.added += sum(1 for offer in batch if offer.e164 not in known)
                for offer in batch:
                    row = known.get(offer.e164)
                    if row and row["provider"] == provider and not row["stock_order_id"]:
                        result.revived += row["status"] == InventoryStatus.RETIRED
                        result.updated += row["status"] == InventoryStatus.AVAILABLE and _price_changed(row, offer)
                continue
            added, revived, updated = _offers_apply(provider=provider, offers=batch, now=now,
                                                    acting_user=acting_user)
            result.added, result.revived, result.updated = (result.added + added, result.revived + revived,
                                                            result.updated + updated)

        if listing.complete and not listing.errors:
            candidates = _retire_candidates(provider=provider, country=country, line_type=line_type,
                                            offered=set(listing.offers), now=now)
            cap = int(settings.ORBIT["INVENTORY_SYNC_MAX_RETIRE_PER_RUN"])
            result.retire_deferred = max(len(candidates) - cap, 0)
            candidates = candidates[:cap]
            if dry_run:
                result.retired = _retire_safe(PhoneNumber.objects.filter(pk__in=candidates)).count()
            else:
                for start in range(0, len(candidates), _BATCH):
                    retired_numbers += _rows_retire(row_ids=candidates[start:start + _BATCH], now=now,
                                                    pool_key=f"{provider}:{country}:{line_type}",
                                                    acting_user=acting_user)
                result.retired = len(retired_numbers)
            if result.retire_deferred:
                result.errors.append(f"{result.retire_deferred} more rows to retire than the per-run cap "
                                     f"({cap}); later runs retire them")
            result.status = InventorySyncRun.Status.OK
        else:
            result.status = InventorySyncRun.Status.FAILED if listing.failed else InventorySyncRun.Status.INCOMPLETE
    except Exception:  # a database or adapter failure ends this pool's run as failed, not the others'
        logger.exception("Inventory sync of %s %s %s failed", provider, country, line_type)
        result.status, result.retired = InventorySyncRun.Status.FAILED, len(retired_numbers)
        result.errors.append("unexpected error while applying the listing (see the logs)")
    if not dry_run:
        _run_finish(result=result, retired_numbers=retired_numbers, acting_user=acting_user)
    return result


@transaction.atomic
def _run_finish(*, result: PoolSyncResult, retired_numbers: list[str], acting_user) -> None:
    run = InventorySyncRun.objects.select_for_update(of=("self",)).get(pk=result.run_id)
    for name in ("status", "pages", "offered", "added", "revived", "updated", "retired", "retire_deferred"):
        setattr(run, name, getattr(result, name))
    run.errors = "\n".join(result.errors)[:10_000]
    run.finished_at = timezone.now()
    run.save()
    audit_record(action="inventory_sync.run", acting_user=acting_user, target=run, after={
        "provider": run.provider, "country": run.country, "line_type": run.line_type, "status": run.status,
        "offered": run.offered, "added": run.added, "revived": run.revived, "updated": run.updated,
        "retired": run.retired, "retired_numbers": retired_numbers[:100], "errors": result.errors[:10]})


def inventory_sync(*, provider: str | None = None, country: str | None = None, dry_run: bool = False,
                   now: datetime | None = None, acting_user=None) -> list[PoolSyncResult]:
    """Sync every active pool of every configured carrier (optionally one carrier / one country).
    The beat job ``sync-carrier-inventory`` and ``manage.py sync_carrier_inventory`` call this."""
    pools = InventorySyncPool.objects.filter(is_active=True, provider__in=list(settings.ORBIT["PROVIDER_BACKENDS"]))
    if provider:
        pools = pools.filter(provider=provider)
    if country:
        pools = pools.filter(country=country.upper())
    return [inventory_pool_sync(provider=pool.provider, country=pool.country, line_type=pool.line_type,
                                dry_run=dry_run, now=now, acting_user=acting_user)
            for pool in pools.order_by("provider", "country", "line_type")]
