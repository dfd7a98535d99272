"""Low-stock alerts: is a pool of sellable numbers running out, by count or by days of stock left?

A pool is country × line type, narrowed by area code and capability where the threshold sets
them. Its sales rate is the numbers sold from stock in the last 7 and 30 days; days left use the
faster of the two daily rates, so a sudden rush shows up at once and a quiet week does not hide
a busy month. One open alert per threshold (a partial unique constraint backs the row lock).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from orbit_numbers.services import audit_record
from orbit_numbers.webhooks.services import staff_webhook_event_emit

from ..models import (CAPABILITY_FIELDS, LowStockAlert, LowStockThreshold, OwnedNumber,
                      PhoneNumber)
from .replenish import replenish_schedule

# Tenures that took a number out of stock. Port-ins bring their own number; staff moves re-home one.
SALE_SOURCES = (OwnedNumber.Source.PURCHASE, OwnedNumber.Source.BULK, OwnedNumber.Source.ORDER,
                OwnedNumber.Source.RESERVATION)


@dataclass(frozen=True)
class PoolStats:
    available: int
    sales_7d: int
    sales_30d: int

    @property
    def daily_rate(self) -> float:
        return max(self.sales_7d / 7, self.sales_30d / 30)

    @property
    def days_left(self) -> float | None:
        """Days until the pool is empty at the current rate; None when nothing sells (no end in sight)."""
        if self.available == 0:
            return 0.0
        rate = self.daily_rate
        return round(self.available / rate, 1) if rate else None


def pool_condition(threshold: LowStockThreshold, prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}country": threshold.country, f"{prefix}line_type": threshold.line_type})
    if threshold.area_code:
        condition &= Q(**{f"{prefix}area_code": threshold.area_code})
    if threshold.capability:
        condition &= Q(**{f"{prefix}{CAPABILITY_FIELDS[threshold.capability]}": True})
    return condition


def pool_stats(*, threshold: LowStockThreshold, now: datetime | None = None) -> PoolStats:
    now = now or timezone.now()
    available = PhoneNumber.objects.sellable(now=now).filter(pool_condition(threshold)).count()
    sales = (OwnedNumber.objects.filter(pool_condition(threshold, "phone_number__"), source__in=SALE_SOURCES,
                                        created_at__gte=now - timedelta(days=30))
             .aggregate(d30=Count("pk"), d7=Count("pk", filter=Q(created_at__gte=now - timedelta(days=7)))))
    return PoolStats(available=available, sales_7d=sales["d7"], sales_30d=sales["d30"])


def breach_reason(threshold: LowStockThreshold, stats: PoolStats) -> str | None:
    low_count = threshold.min_available is not None and stats.available < threshold.min_available
    days_left = stats.days_left
    low_days = threshold.min_days_left is not None and days_left is not None and days_left < threshold.min_days_left
    if low_count and low_days:
        return LowStockAlert.Reason.BOTH
    if low_count:
        return LowStockAlert.Reason.COUNT
    if low_days:
        return LowStockAlert.Reason.DAYS_LEFT
    return None


@dataclass
class StockCheckResult:
    checked: int = 0
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    still_open: list[int] = field(default_factory=list)


def low_stock_check(*, now: datetime | None = None, acting_user=None) -> StockCheckResult:
    """Check every threshold. One short transaction per threshold (see low_stock_threshold_check),
    so a slow pool count never holds the others' locks and one failure does not undo the rest."""
    now = now or timezone.now()
    result = StockCheckResult()
    for threshold_id in LowStockThreshold.objects.order_by("pk").values_list("pk", flat=True):
        outcome, alert_id = low_stock_threshold_check(threshold_id=threshold_id, now=now, acting_user=acting_user)
        result.checked += 1
        if outcome == "opened":
            result.opened.append(alert_id)
        elif outcome == "resolved":
            result.resolved.append(alert_id)
        elif outcome == "open":
            result.still_open.append(alert_id)
    return result


def _alert_snapshot(alert: LowStockAlert) -> dict:
    return {"threshold_id": alert.threshold_id, "pool": alert.threshold.pool_label, "reason": alert.reason,
            "available": alert.available_at_open, "days_left": alert.days_left_at_open,
            "sales_7d": alert.sales_7d_at_open, "sales_30d": alert.sales_30d_at_open}


@transaction.atomic
def low_stock_threshold_check(*, threshold_id: int, now: datetime | None = None,
                              acting_user=None) -> tuple[str, int | None]:
    """Refresh one pool's figures; open an alert on a breach, resolve the open one on recovery.

    Returns (outcome, alert id): outcome is "opened", "resolved", "open" (still breached), "ok"
    or "gone" (threshold deleted meanwhile). Staff are notified after commit.
    """
    now = now or timezone.now()
    threshold = LowStockThreshold.objects.select_for_update(of=("self",)).filter(pk=threshold_id).first()
    if threshold is None:
        return "gone", None
    open_alert = threshold.alerts.filter(resolved_at__isnull=True).first()
    if not threshold.is_active:
        if open_alert is None:
            return "ok", None
        _resolve(open_alert, now=now, acting_user=acting_user, why="threshold disabled")
        return "resolved", open_alert.pk

    stats = pool_stats(threshold=threshold, now=now)
    threshold.available, threshold.sales_7d, threshold.sales_30d = stats.available, stats.sales_7d, stats.sales_30d
    threshold.days_left, threshold.checked_at = stats.days_left, now
    threshold.save(update_fields=["available", "sales_7d", "sales_30d", "days_left", "checked_at"])

    reason = breach_reason(threshold, stats)
    if reason is not None and open_alert is None:
        alert = LowStockAlert.objects.create(
            threshold=threshold, reason=reason, opened_at=now, available_at_open=stats.available,
            days_left_at_open=stats.days_left, sales_7d_at_open=stats.sales_7d, sales_30d_at_open=stats.sales_30d)
        audit_record(action="low_stock_alert.open", acting_user=acting_user, target=alert,
                     after=_alert_snapshot(alert))
        _notify(alert, "opened")
        replenish_schedule(alert=alert)  # auto-replenish, if the pool has a policy (after commit)
        return "opened", alert.pk
    if reason is None and open_alert is not None:
        _resolve(open_alert, now=now, acting_user=acting_user, why="stock recovered", stats=stats)
        return "resolved", open_alert.pk
    if open_alert is not None:
        return "open", open_alert.pk
    return "ok", None


def _resolve(alert: LowStockAlert, *, now: datetime, acting_user, why: str, stats: PoolStats | None = None) -> None:
    alert.resolved_at = now
    alert.save(update_fields=["resolved_at"])
    after = {"resolved_at": now.isoformat(), "why": why}
    if stats is not None:
        after.update(available=stats.available, days_left=stats.days_left)
    audit_record(action="low_stock_alert.resolve", acting_user=acting_user, target=alert,
                 before=_alert_snapshot(alert), after=after)
    _notify(alert, "resolved")


def _notify(alert: LowStockAlert, event: str) -> None:
    """The webhook goes into the outbox in this transaction (retried like every webhook); staff
    are mailed after commit."""
    from .. import tasks

    url = settings.ORBIT.get("LOW_STOCK_WEBHOOK_URL")
    if url:
        _subject, _body, payload = low_stock_alert_message(alert, event)
        staff_webhook_event_emit(url=url, event_type=f"low_stock.{event}", data=payload)
    transaction.on_commit(lambda: tasks.notify_low_stock.delay(alert.pk, event))


def low_stock_alert_message(alert: LowStockAlert, event: str) -> tuple[str, str, dict]:
    threshold = alert.threshold
    days = "no sales lately" if threshold.days_left is None else f"{threshold.days_left:g} days left"
    figures = (f"{threshold.available} available, {days} "
               f"(sold {threshold.sales_7d} in 7 days, {threshold.sales_30d} in 30 days)")
    if event == "opened":
        subject = f"[Orbit] Low stock: {threshold.pool_label} — {alert.get_reason_display().lower()}"
    else:
        subject = f"[Orbit] Stock recovered: {threshold.pool_label}"
    rules = []
    if threshold.min_available is not None:
        rules.append(f"minimum {threshold.min_available} available")
    if threshold.min_days_left is not None:
        rules.append(f"minimum {threshold.min_days_left} days of stock")
    link = settings.ORBIT.get("CONSOLE_BASE_URL", "").rstrip("/") + reverse(
        "admin:inventory_lowstockalert_change", args=[alert.pk])
    body = (f"Pool: {threshold.pool_label}\nNow: {figures}\nThreshold: {', '.join(rules)}\n"
            f"Alert opened {alert.opened_at:%Y-%m-%d %H:%M} UTC"
            + (f", resolved {alert.resolved_at:%Y-%m-%d %H:%M} UTC" if alert.resolved_at else "")
            + f"\n\n{link}\n")
    payload = {"event": f"low_stock.{event}", "alert_id": alert.pk, "pool": {
        "country": threshold.country, "line_type": threshold.line_type, "area_code": threshold.area_code,
        "capability": threshold.capability}, "reason": alert.reason, "available": threshold.available,
        "days_left": threshold.days_left, "sales_7d": threshold.sales_7d, "sales_30d": threshold.sales_30d,
        "min_available": threshold.min_available, "min_days_left": threshold.min_days_left,
        "opened_at": alert.opened_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None}
    return subject, body, payload


def low_stock_alert_notify(*, alert_id: int, event: str) -> None:
    """Mail the staff list. Runs after commit (a Celery task); the optional webhook is already in
    the outbox (see ``_notify``)."""
    mailed_field = f"{event}_mailed_at"
    alert = LowStockAlert.objects.select_related("threshold").filter(pk=alert_id).first()
    if alert is None or getattr(alert, mailed_field) is not None:
        return  # gone, or a redelivered task (acks_late): staff were told already
    subject, body, _payload = low_stock_alert_message(alert, event)
    if settings.STAFF_ALERT_EMAILS:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, settings.STAFF_ALERT_EMAILS)
    LowStockAlert.objects.filter(pk=alert_id, **{f"{mailed_field}__isnull": True}).update(
        **{mailed_field: timezone.now()})
