"""Celery tasks of the inventory app: thin wrappers over services."""
from celery import shared_task

from . import services


@shared_task
def return_aged_numbers() -> int:
    return services.aged_numbers_return()


@shared_task
def check_low_stock() -> dict:
    result = services.low_stock_check()
    return {"checked": result.checked, "opened": result.opened, "resolved": result.resolved}


@shared_task
def notify_low_stock(alert_id: int, event: str) -> None:
    from .services.stock import low_stock_alert_notify

    low_stock_alert_notify(alert_id=alert_id, event=event)


@shared_task
def expire_reservations() -> int:
    return services.reservations_expire()


# Commits per organisation: a soft limit stops between organisations and the next run goes on.
@shared_task(soft_time_limit=1800, time_limit=1900)
def charge_renewals() -> dict:
    result = services.number_renewals_charge()
    return {"organizations": result.organizations, "numbers_charged": result.numbers_charged,
            "cycles_charged": result.cycles_charged, "charged_cents": result.charged_cents,
            "unpaid": len(result.unpaid), "released": len(result.released),
            "failed_organizations": len(result.failed_organizations)}


@shared_task
def release_at_carriers(release_ids: list[int]) -> dict:
    """Hand numbers back to their carriers (recorded releases; the sweep retries failures)."""
    return services.carrier_releases_perform(release_ids=release_ids)


@shared_task
def reconcile_carrier_orders() -> dict:
    from .services.reconciliation import carrier_orders_reconcile

    result = carrier_orders_reconcile()
    return {"holds_expired": result.holds_expired, "orders_seen": result.orders_seen,
            "orphaned": len(result.orphaned), "adopted": len(result.adopted), **result.releases}


# --- caller ID: CNAM listings and spam labels ---


@shared_task
def submit_cnam_listing(listing_id: str, revision: int) -> str | None:
    from .services.caller_id import cnam_listing_submit

    listing = cnam_listing_submit(listing_id=listing_id, revision=revision)
    return listing.status if listing is not None else None


# Up to 200 carrier calls, each with HTTP retries: longer than the default limit.
@shared_task(soft_time_limit=900, time_limit=960)
def refresh_cnam_listings() -> dict:
    from dataclasses import asdict

    from .services.caller_id import cnam_listings_refresh

    return asdict(cnam_listings_refresh())


@shared_task(soft_time_limit=900, time_limit=960)
def refresh_spam_labels() -> dict:
    from .services.caller_id import spam_labels_sweep

    return spam_labels_sweep()


# --- emergency (E911) ---


@shared_task
def provision_emergency_address(assignment_id: int, token: str) -> str:
    """Send one recorded E911 provisioning or removal to the carrier and apply its answer."""
    return services.emergency_provisioning_perform(assignment_id=assignment_id, token=token)


@shared_task
def recheck_emergency_provisioning() -> int:
    """Queue again E911 requests still in flight (lost tasks, carriers still registering)."""
    return services.emergency_provisioning_recheck()


# --- number health ---


@shared_task(soft_time_limit=1800, time_limit=1900)
def compute_number_health(number_ids: list[str] | None = None) -> dict:
    """Rescore numbers (all live ones on the beat; the ingested ones after an ingest)."""
    from .services.health import number_health_compute

    result = number_health_compute(number_ids=number_ids)
    return {"scored": result.scored, "opened": len(result.opened), "resolved": len(result.resolved)}


# --- compliance ---


@shared_task
def expire_compliance_profiles() -> int:
    """Approved compliance profiles past valid_until become expired."""
    return len(services.compliance_profiles_expire())


# --- trial loans ---


@shared_task
def reclaim_expired_trials() -> dict:
    """Take back expired trial loans; warn, once, those about to expire."""
    return services.trial_loans_reclaim_expired()
# --- lifecycle: scheduled releases, renewals retried after a credit ---


@shared_task
def release_scheduled_numbers() -> dict:
    from .services.lifecycle import numbers_release_scheduled

    result = numbers_release_scheduled()
    return {"released": len(result.released), "failed_batches": result.failed_batches}


@shared_task
def retry_organization_renewals(organization_id: int) -> dict:
    """Queued after a credit: reactivate the organisation's suspended numbers if it can now pay."""
    from .services.lifecycle import organization_renewals_retry

    result = organization_renewals_retry(organization_id=organization_id)
    return {"numbers_charged": result.numbers_charged, "unpaid": len(result.unpaid),
            "released": len(result.released)}
# --- 10DLC registration ---


@shared_task(soft_time_limit=900, time_limit=960)
def refresh_ten_dlc_vetting() -> dict:
    from .services.ten_dlc import ten_dlc_vetting_refresh

    result = ten_dlc_vetting_refresh()
    return {"polled": result.polled, "verified": result.verified, "rejected": result.rejected,
            "pending": result.pending, "errors": result.errors}
# --- carrier inventory sync and auto-replenish ---


@shared_task(soft_time_limit=3000, time_limit=3300)
def sync_carrier_inventory() -> list[dict]:
    from .services.inventory_sync import inventory_sync

    return [{"provider": r.provider, "country": r.country, "line_type": r.line_type, "status": r.status,
             "added": r.added, "updated": r.updated, "retired": r.retired} for r in inventory_sync()]


@shared_task
def replenish_low_stock(alert_id: int) -> dict | None:
    from .services.replenish import alert_replenish

    order = alert_replenish(alert_id=alert_id)
    return None if order is None else {"order_id": order.pk, "status": order.status,
                                       "numbers_added": order.numbers_added, "cost_cents": order.cost_cents}


@shared_task
def sweep_replenish_orders() -> dict:
    from .services.replenish import replenish_orders_sweep

    return replenish_orders_sweep()
