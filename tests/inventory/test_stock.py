"""Low-stock alerts: pool figures, sales rate and days left, one open alert per breached pool,
resolution on recovery, staff notification after commit."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import tasks
from inventory.models import LowStockAlert, LowStockThreshold, OwnedNumber, PhoneNumber
from inventory.services import number_purchase
from inventory.services.stock import PoolStats, breach_reason, low_stock_check, pool_stats
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from orbit_numbers.webhooks.tasks import deliver_due_webhook_events


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the check with its after-commit side effects (mail, webhook) executed."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return low_stock_check(**kwargs)

    return run


def sell(org, row, *, days_ago: float = 0):
    number = number_purchase(organization=org, phone_number=row.e164, country_code=row.country)
    OwnedNumber.objects.filter(pk=number.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return number


def test_pool_counts_only_matching_sellable_numbers(make_number):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", area_code="201", capability="mms",
                                                 min_available=1)
    make_number("US", area_code="201")
    make_number("US", area_code="201")
    make_number("US", area_code="202")                               # other area
    make_number("US", area_code="201", cap_mms=False)                # lacks the capability
    make_number("US", "mobile", area_code="201")                     # other type
    make_number("US", area_code="201", status="reserved")            # held
    make_number("US", area_code="201", aging_until=timezone.now() + timedelta(days=3))  # still aging
    assert pool_stats(threshold=threshold).available == 2


def test_sales_rate_counts_sales_from_stock_in_7_and_30_days(org, make_number):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    sell(org, make_number("US"), days_ago=1)
    sell(org, make_number("US"), days_ago=6)
    sell(org, make_number("US"), days_ago=20)
    sell(org, make_number("US"), days_ago=40)                        # too old
    OwnedNumber.objects.filter(pk=sell(org, make_number("US")).pk).update(source="port_in")  # not from stock
    stats = pool_stats(threshold=threshold)
    assert (stats.sales_7d, stats.sales_30d) == (2, 3)


def test_days_left_uses_the_faster_rate():
    assert PoolStats(available=10, sales_7d=7, sales_30d=3).days_left == 10.0      # 1/day beats 0.1/day
    assert PoolStats(available=30, sales_7d=0, sales_30d=30).days_left == 30.0     # quiet week, busy month
    assert PoolStats(available=5, sales_7d=0, sales_30d=0).days_left is None       # nothing sells
    assert PoolStats(available=0, sales_7d=0, sales_30d=0).days_left == 0.0        # gone is gone


def test_breach_on_count_days_or_both():
    threshold = LowStockThreshold(country="US", line_type="local", min_available=10, min_days_left=5)
    assert breach_reason(threshold, PoolStats(available=20, sales_7d=0, sales_30d=0)) is None
    assert breach_reason(threshold, PoolStats(available=9, sales_7d=0, sales_30d=0)) == "count"
    assert breach_reason(threshold, PoolStats(available=20, sales_7d=35, sales_30d=0)) == "days_left"  # 4 days
    assert breach_reason(threshold, PoolStats(available=9, sales_7d=70, sales_30d=0)) == "both"


def test_breach_opens_one_alert_and_mails_staff(make_number, run_on_commit, settings):
    settings.STAFF_ALERT_EMAILS = ["ops@example.com", "stock@example.com"]
    make_number("US")
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", min_available=5)

    first = run_on_commit()
    second = run_on_commit()

    alert = LowStockAlert.objects.get()
    assert first.opened == [alert.pk] and second.opened == [] and second.still_open == [alert.pk]
    assert alert.reason == "count" and alert.available_at_open == 1
    threshold.refresh_from_db()
    assert threshold.available == 1 and threshold.checked_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com", "stock@example.com"]
    assert "Low stock: US · Local" in message.subject and "1 available" in message.body
    assert f"/admin/inventory/lowstockalert/{alert.pk}/change/" in message.body
    assert AuditLog.objects.filter(action="low_stock_alert.open").count() == 1


def test_alert_resolves_when_stock_recovers(make_number, run_on_commit):
    make_number("US")
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=3)
    run_on_commit()
    for _ in range(3):
        make_number("US")

    result = run_on_commit()

    alert = LowStockAlert.objects.get()
    assert result.resolved == [alert.pk] and alert.resolved_at is not None
    assert [m.subject for m in mail.outbox][-1].startswith("[Orbit] Stock recovered")
    # A new breach later opens a new alert: history keeps both.
    PhoneNumber.objects.filter(pk__in=PhoneNumber.objects.values("pk")[:3]).update(status="reserved")
    run_on_commit()
    assert LowStockAlert.objects.count() == 2 and LowStockAlert.objects.filter(resolved_at__isnull=True).count() == 1


def test_days_left_alert_fires_while_count_is_fine(org, make_number, run_on_commit):
    for _ in range(4):
        make_number("US")
    for _ in range(7):
        sell(org, make_number("US"), days_ago=2)   # 1 a day → 4 days of stock left
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=2, min_days_left=7)
    run_on_commit()
    alert = LowStockAlert.objects.get()
    assert alert.reason == "days_left" and alert.days_left_at_open == 4.0


def test_disabling_a_threshold_resolves_its_alert(make_number, run_on_commit):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    run_on_commit()
    threshold.is_active = False
    threshold.save()
    run_on_commit()
    assert LowStockAlert.objects.get().resolved_at is not None


def test_database_refuses_a_second_open_alert_per_threshold(db):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)
    LowStockAlert.objects.filter(threshold=threshold).update(resolved_at=timezone.now())
    LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)  # resolved ones don't count


def test_no_mail_before_commit(make_number):
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    low_stock_check()
    assert LowStockAlert.objects.count() == 1 and mail.outbox == []


def test_webhook_goes_through_the_outbox_signed_with_a_timeout(make_number, run_on_commit, settings, monkeypatch):
    settings.ORBIT = {**settings.ORBIT, "LOW_STOCK_WEBHOOK_URL": "https://hooks.example.com/stock",
                      "STAFF_WEBHOOK_SECRET": "whsec_staff"}
    calls = []

    class Ok:
        status_code = 204

        def close(self):
            """Delivery closes the streamed response; nothing to release here."""

    monkeypatch.setattr(requests, "post", lambda url, **kwargs: calls.append((url, kwargs)) or Ok())
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    run_on_commit()
    (url, kwargs), = calls
    assert url == "https://hooks.example.com/stock" and kwargs["timeout"] == settings.ORBIT["HTTP_TIMEOUT_SECONDS"]
    envelope = json.loads(kwargs["data"])
    assert envelope["type"] == "low_stock.opened" and envelope["data"]["available"] == 0
    timestamp, signature = (part.split("=", 1)[1] for part in kwargs["headers"]["X-Orbit-Signature"].split(","))
    expected = hmac.new(b"whsec_staff", f"{timestamp}.".encode() + kwargs["data"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    event = WebhookEvent.objects.get()
    assert event.organization is None and event.deliveries.get().status == "delivered"


def test_failing_webhook_is_retried_from_the_outbox(make_number, run_on_commit, settings, monkeypatch):
    settings.ORBIT = {**settings.ORBIT, "LOW_STOCK_WEBHOOK_URL": "https://hooks.example.com/stock"}

    def down(url, **kwargs):
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(requests, "post", down)
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    run_on_commit()
    assert len(mail.outbox) == 1  # the mail does not depend on the webhook
    event = WebhookEvent.objects.get(event_type="low_stock.opened").deliveries.get()
    assert event.status == "pending" and event.attempts == 1 and event.next_attempt_at > event.last_attempt_at
    assert event.last_error.startswith("ConnectionError")

    class Ok:
        status_code = 200

        def close(self):
            """Delivery closes the streamed response; nothing to release here."""

    monkeypatch.setattr(requests, "post", lambda url, **kwargs: Ok())
    type(event).objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    assert deliver_due_webhook_events() == 1
    event.refresh_from_db()
    assert event.status == "delivered" and event.attempts == 2


def test_command_and_beat_task(make_number, django_capture_on_commit_callbacks):
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=1)
    out = io.StringIO()
    call_command("check_low_stock", stdout=out)
    assert "1 alert(s) opened" in out.getvalue()
    assert tasks.check_low_stock.delay().get() == {"checked": 1, "opened": [], "resolved": []}
    assert any(entry["task"] == "inventory.tasks.check_low_stock" for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_a_redelivered_mail_task_mails_staff_once(make_number, run_on_commit):
    """Tasks are acks_late: a worker killed after sending runs the task again; staff hear once per event."""
    from inventory.tasks import notify_low_stock

    make_number("US")
    LowStockThreshold.objects.create(country="US", line_type="local", min_available=5)
    run_on_commit()
    alert = LowStockAlert.objects.get()
    assert len(mail.outbox) == 1
    notify_low_stock(alert.pk, "opened")  # the redelivery
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.opened_mailed_at is not None and alert.resolved_mailed_at is None
