"""Migration 0008: an organisation's legacy webhook_url becomes an endpoint for every event, signed
with its existing secret; each legacy event's delivery state moves to a delivery; and back."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("orbit_numbers", "0007_organization_contact_parent_scopes")]
AFTER = [("orbit_numbers", "0008_webhook_endpoints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_legacy_webhook_url_and_secret_become_an_endpoint_and_come_back():
    old = migrate(BEFORE)
    try:
        Organization = old.get_model("orbit_numbers", "Organization")
        hooked = Organization.objects.create(name="Hooked", webhook_url="https://hooks.example.com/legacy")
        quiet = Organization.objects.create(name="Quiet")
        old.get_model("orbit_numbers", "WebhookSecret").objects.create(organization=hooked, secret="whsec_legacy")
        Event = old.get_model("orbit_numbers", "WebhookEvent")
        now = timezone.now()
        pending = Event.objects.create(organization=hooked, event_type="number.ported", payload={},
                                       status="pending", attempts=2, next_attempt_at=now, last_status_code=500)
        Event.objects.create(organization=quiet, event_type="number.ported", payload={}, status="skipped")
        staff = Event.objects.create(target_url="https://ops.example.com/stock", event_type="low_stock.opened",
                                     payload={}, status="delivered", attempts=1, delivered_at=now)

        new = migrate(AFTER)
        Endpoint = new.get_model("orbit_numbers", "WebhookEndpoint")
        Delivery = new.get_model("orbit_numbers", "WebhookDelivery")
        [endpoint] = Endpoint.objects.all()
        assert (endpoint.organization_id, endpoint.url, endpoint.events, endpoint.secret, endpoint.enabled) == (
            hooked.pk, "https://hooks.example.com/legacy", ["*"], "whsec_legacy", True)
        moved = Delivery.objects.get(event_id=pending.pk)
        assert (moved.endpoint_id, moved.status, moved.attempts, moved.last_status_code) == (
            endpoint.pk, "pending", 2, 500)
        staff_delivery = Delivery.objects.get(event_id=staff.pk)
        assert staff_delivery.endpoint_id is None and staff_delivery.status == "delivered"
        assert Delivery.objects.count() == 2  # the skipped event had nowhere to go
        assert not hasattr(new.get_model("orbit_numbers", "Organization")(), "webhook_url")

        back = migrate(BEFORE)
        assert back.get_model("orbit_numbers", "Organization").objects.get(pk=hooked.pk).webhook_url == endpoint.url
        assert back.get_model("orbit_numbers", "WebhookSecret").objects.get(organization_id=hooked.pk).secret == (
            "whsec_legacy")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
