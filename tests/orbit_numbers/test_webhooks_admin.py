"""Webhooks in the console: endpoints (secret never in full) and deliveries, read-only; support may
replay deliveries through the service (audited), other roles may not."""
from __future__ import annotations

from django.urls import reverse

from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookDelivery
from orbit_numbers.webhooks.services import webhook_event_emit
from tests import staff
from tests.staff import action_names

make_staff = staff.make_staff  # the fixture

DELIVERIES = reverse("admin:orbit_numbers_webhookdelivery_changelist")


def failed_delivery(org, make_webhook_endpoint) -> WebhookDelivery:
    make_webhook_endpoint(org, "https://hooks.example.com/orbit")
    webhook_event_emit(organization=org, event_type="number.purchased", data={})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8, next_attempt_at=None)
    return delivery


def test_support_replays_a_failed_delivery(make_staff, org, make_webhook_endpoint):
    delivery = failed_delivery(org, make_webhook_endpoint)
    client = make_staff("support")
    page = client.get(DELIVERIES).content.decode()
    assert delivery.pk in page and "replay" in action_names(page)
    assert client.get(reverse("admin:orbit_numbers_webhookendpoint_changelist")).status_code == 200
    client.post(DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk], "index": 0})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == ("pending", 0, 1)
    assert AuditLog.objects.get(action="webhook_delivery.replay").acting_user == client.user


def test_finance_may_not_replay(make_staff, org, make_webhook_endpoint):
    delivery = failed_delivery(org, make_webhook_endpoint)
    client = make_staff("finance")
    assert "replay" not in action_names(client.get(DELIVERIES).content.decode())
    client.post(DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk], "index": 0})
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.replays == 0


def test_deliveries_cannot_be_added_or_edited(make_staff, org, make_webhook_endpoint):
    delivery = failed_delivery(org, make_webhook_endpoint)
    client = make_staff(superuser=True)
    assert client.get(reverse("admin:orbit_numbers_webhookdelivery_add")).status_code == 403
    client.post(reverse("admin:orbit_numbers_webhookdelivery_change", args=[delivery.pk]), {"status": "delivered"})
    delivery.refresh_from_db()
    assert delivery.status == "failed"
