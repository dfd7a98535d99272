"""Webhook delivery end to end: a real receiver on 127.0.0.1 verifies the signature with the secret the
create (or rotate) response showed; failures retry with backoff (driven by the due sweep and the
clock), replays send again, failing endpoints are disabled and the organisation is told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks import services
from orbit_numbers.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from orbit_numbers.webhooks.tasks import deliver_due_webhook_events

from .webhook_receiver import SigningReceiver

URL = "/api/v1/webhooks"


@pytest.fixture
def receiver():
    with SigningReceiver() as server:
        yield server


def register(client, url: str, events=("*",), **extra) -> dict:
    response = client.post(URL, {"url": url, "events": list(events), **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def emit(org, event_type="number.purchased", **data) -> WebhookEvent:
    return services.webhook_event_emit(organization=org, event_type=event_type,
                                       data=data or {"number_id": "num_1", "phone_number": "+12015550123"})


def test_the_receiver_verifies_the_signature_with_the_secret_from_the_create_response(client, org, receiver):
    created = register(client, receiver.url)
    receiver.secrets = [created["secret"]]
    event = emit(org)
    assert deliver_due_webhook_events() == 1
    [got] = receiver.received
    assert got.verified and got.status == 200
    assert got.envelope == {"id": event.pk, "type": "number.purchased", "created_at": got.envelope["created_at"],
                            "data": {"number_id": "num_1", "phone_number": "+12015550123"}}
    assert got.headers["X-Orbit-Event"] == "number.purchased" and got.headers["X-Orbit-Event-Id"] == event.pk
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == "delivered" and delivery.last_status_code == 200 and delivery.last_response_ms >= 0


def test_a_receiver_with_another_secret_refuses_and_the_delivery_is_retried(client, org, receiver):
    register(client, receiver.url)
    receiver.secrets = ["whsec_not_the_right_one"]
    emit(org)
    deliver_due_webhook_events()
    assert [r.status for r in receiver.received] == [401]
    assert WebhookDelivery.objects.get().status == "pending"


def test_500_then_200_is_retried_with_backoff_by_the_sweep(client, org, receiver, clock):
    created = register(client, receiver.url)
    receiver.secrets, receiver.script = [created["secret"]], [500, 500]
    emit(org)
    assert deliver_due_webhook_events() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=30)
    assert deliver_due_webhook_events() == 0  # not due yet
    clock.advance(seconds=30)
    assert deliver_due_webhook_events() == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 500)
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=60)
    clock.advance(seconds=59)
    assert deliver_due_webhook_events() == 0
    clock.advance(seconds=1)
    assert deliver_due_webhook_events() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert [r.status for r in receiver.received] == [500, 500, 200] and all(r.verified for r in receiver.received)
    # The three attempts carried the same event id: receivers dedupe on it.
    assert len({r.headers["X-Orbit-Event-Id"] for r in receiver.received}) == 1
    assert WebhookEndpoint.objects.get().failing_since is None  # the success cleared it


def test_replay_sends_a_delivered_event_again(client, org, receiver):
    created = register(client, receiver.url)
    receiver.secrets = [created["secret"]]
    emit(org)
    deliver_due_webhook_events()
    delivery = WebhookDelivery.objects.get()
    response = client.post(f"{URL}/{created['id']}/deliveries/{delivery.pk}/replay")
    assert response.status_code == 202
    assert response.json()["data"]["status"] == "pending" and response.json()["data"]["replays"] == 1
    assert deliver_due_webhook_events() == 1
    assert len(receiver.accepted()) == 2
    assert receiver.received[0].body == receiver.received[1].body  # the same event, as first sent
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == ("delivered", 1, 1)
    assert AuditLog.objects.filter(action="webhook_delivery.replay", object_id=delivery.pk).count() == 1


def test_replay_of_a_failed_delivery_gets_a_fresh_budget(client, org, receiver, settings):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_MAX_ATTEMPTS": 1}
    created = register(client, receiver.url)
    receiver.secrets, receiver.script = [created["secret"]], [503]
    emit(org)
    deliver_due_webhook_events()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert client.post(f"{URL}/{created['id']}/deliveries/{delivery.pk}/replay").status_code == 202
    deliver_due_webhook_events()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and [r.status for r in receiver.received] == [503, 200]


def test_rotation_without_overlap_retires_the_old_secret_at_once(client, org, receiver):
    created = register(client, receiver.url)
    rotated = client.post(f"{URL}/{created['id']}/rotate-secret", {}, format="json").json()["data"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is None
    receiver.secrets = [created["secret"]]  # a receiver not yet switched refuses
    emit(org)
    deliver_due_webhook_events()
    assert [r.status for r in receiver.received] == [401]
    assert receiver.received[0].headers["X-Orbit-Signature"].count("v1=") == 1
    receiver.secrets = [rotated["secret"]]
    WebhookDelivery.objects.update(next_attempt_at=WebhookDelivery.objects.get().last_attempt_at)
    deliver_due_webhook_events()
    assert [r.status for r in receiver.received] == [401, 200]


def test_rotation_with_overlap_signs_with_both_until_it_ends(client, org, receiver, clock):
    created = register(client, receiver.url)
    rotated = client.post(f"{URL}/{created['id']}/rotate-secret", {"overlap_hours": 2}, format="json").json()["data"]
    assert rotated["previous_secret_expires_at"]
    receiver.secrets = [created["secret"]]  # the old secret still verifies during the overlap
    emit(org)
    deliver_due_webhook_events()
    assert [r.status for r in receiver.received] == [200]
    assert receiver.received[0].headers["X-Orbit-Signature"].count("v1=") == 2
    clock.advance(hours=2, seconds=1)
    emit(org)
    deliver_due_webhook_events()
    assert [r.status for r in receiver.received] == [200, 401]  # after the overlap: the old one is refused
    assert receiver.received[1].headers["X-Orbit-Signature"].count("v1=") == 1


def test_filters_decide_which_endpoints_get_an_event(client, org, receiver):
    everything = register(client, receiver.url)
    purchases = register(client, receiver.url, events=["number.purchased"])
    paused = register(client, receiver.url, events=["*"], enabled=False)
    emit(org, "number.purchased")
    emit(org, "number.released", number_id="num_1", phone_number="+12015550123", reason="customer",
         billing_ends_at=None)
    got = sorted(WebhookDelivery.objects.values_list("endpoint_id", "event__event_type"))
    assert got == sorted([(everything["id"], "number.purchased"), (everything["id"], "number.released"),
                          (purchases["id"], "number.purchased")])
    assert not WebhookDelivery.objects.filter(endpoint_id=paused["id"]).exists()


def test_other_organisations_endpoints_get_nothing(client, org, make_org, make_client, receiver):
    other = make_org("Globex")
    register(make_client(other), receiver.url)
    emit(org)
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_failing_for_n_days_is_disabled_and_the_tenant_is_told(
        client, org, receiver, clock, settings, django_capture_on_commit_callbacks):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_DISABLE_AFTER_DAYS": 3}
    org.contact_email = "ops@acme.example"
    org.save(update_fields=["contact_email"])
    failing = register(client, "http://127.0.0.1:9/down")  # nothing listens there
    healthy = register(client, receiver.url)
    receiver.secrets = [healthy["secret"]]
    emit(org)
    deliver_due_webhook_events()
    endpoint = WebhookEndpoint.objects.get(pk=failing["id"])
    assert endpoint.enabled and endpoint.failing_since is not None
    clock.advance(days=2, hours=23)
    emit(org)
    deliver_due_webhook_events()
    assert WebhookEndpoint.objects.get(pk=failing["id"]).enabled  # not yet N days
    clock.advance(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due_webhook_events()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at and "3 days" in endpoint.disabled_reason
    # The notice: an event to the organisation's other endpoints, and a mail to its contact.
    notice = WebhookEvent.objects.get(event_type="webhook.endpoint_disabled")
    assert notice.payload["endpoint_id"] == endpoint.pk and notice.payload["url"] == endpoint.url
    assert list(notice.deliveries.values_list("endpoint_id", flat=True)) == [healthy["id"]]
    assert [r.envelope["type"] for r in receiver.accepted()][-1] == "webhook.endpoint_disabled"
    [message] = mail.outbox
    assert message.to == ["ops@acme.example"] and endpoint.url in message.body
    # Its pending deliveries are skipped, new events are not fanned out to it.
    assert not WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").exists()
    emit(org)
    assert not WebhookDelivery.objects.filter(endpoint=endpoint, event__event_type="number.purchased",
                                              status="pending").exists()
    # Shown in the API, and re-enabled by PATCH enabled: true (the failure clock starts afresh).
    shown = client.get(f"{URL}/{endpoint.pk}").json()["data"]
    assert shown["enabled"] is False and shown["disabled_reason"] and shown["failing_since"]
    enabled = client.patch(f"{URL}/{endpoint.pk}", {"enabled": True}, format="json").json()["data"]
    assert enabled["enabled"] is True and enabled["failing_since"] is None and enabled["disabled_at"] is None


def test_a_success_clears_failing_since(client, org, receiver, clock):
    created = register(client, receiver.url)
    receiver.secrets, receiver.script = [created["secret"]], [500]
    emit(org)
    deliver_due_webhook_events()
    assert WebhookEndpoint.objects.get().failing_since is not None
    clock.advance(days=2)
    deliver_due_webhook_events()
    assert WebhookEndpoint.objects.get().failing_since is None
    clock.advance(days=5)
    assert call_command("deliver_webhooks") is None and WebhookEndpoint.objects.get().enabled


def test_the_command_runs_the_sweep(client, org, receiver, capsys):
    created = register(client, receiver.url)
    receiver.secrets = [created["secret"]]
    emit(org)
    call_command("deliver_webhooks")
    assert "1 delivery attempt(s); 0 endpoint(s) disabled." in capsys.readouterr().out
    assert len(receiver.accepted()) == 1


def test_the_test_event_goes_to_that_endpoint_only(client, org, receiver):
    created = register(client, receiver.url, events=["number.purchased"])
    other = register(client, receiver.url)
    receiver.secrets = [created["secret"]]
    response = client.post(f"{URL}/{created['id']}/test")
    assert response.status_code == 202 and response.json()["data"]["event_type"] == "webhook.test"
    assert deliver_due_webhook_events() == 1
    [got] = receiver.accepted()
    assert got.envelope["type"] == "webhook.test" and got.envelope["data"]["message"]
    assert not WebhookDelivery.objects.filter(endpoint_id=other["id"]).exists()


def test_a_name_pointing_at_a_refused_address_is_not_posted_to(org, receiver, settings, make_webhook_endpoint):
    make_webhook_endpoint(org, receiver.url.replace("127.0.0.1", "localhost"))
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_ALLOW_LOOPBACK": False}  # e.g. re-pointed after registration
    emit(org)
    deliver_due_webhook_events()
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == [] and delivery.status == "pending"
    assert delivery.last_error.startswith("refused: localhost resolves to") and "loopback" in delivery.last_error


def test_deleting_an_endpoint_keeps_the_events(client, org, receiver):
    created = register(client, receiver.url)
    event = emit(org)
    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert WebhookEvent.objects.filter(pk=event.pk).exists() and not WebhookDelivery.objects.exists()


def test_the_answer_body_is_never_downloaded(org, monkeypatch, make_webhook_endpoint):
    """A receiver must not make us read an arbitrarily large body: the answer is streamed and closed unread."""
    seen = []

    class Streamed:
        status_code = 200

        def close(self):
            seen.append("closed")

        @property
        def content(self):
            raise AssertionError("the body was read")

    monkeypatch.setattr(services.requests, "post", lambda url, **kwargs: seen.append(kwargs["stream"]) or Streamed())
    make_webhook_endpoint(org, "https://hooks.example.com/orbit")
    monkeypatch.setattr(services, "resolved_refusal", lambda url: None)  # no DNS in tests
    emit(org)
    deliver_due_webhook_events()
    assert seen == [True, "closed"] and WebhookDelivery.objects.get().status == "delivered"


def test_a_paused_endpoints_pending_deliveries_are_skipped_not_posted(client, org, receiver):
    created = register(client, receiver.url)
    emit(org)
    assert client.patch(f"{URL}/{created['id']}", {"enabled": False}, format="json").status_code == 200
    deliver_due_webhook_events()
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == [] and delivery.status == "skipped" and delivery.last_error
    emit(org)
    assert WebhookDelivery.objects.count() == 1  # no fan-out to a paused endpoint


def test_without_a_broker_a_batch_waits_for_the_sweep_instead_of_posting_inline(
        org, receiver, make_webhook_endpoint, django_capture_on_commit_callbacks):
    """Eager Celery (the demo): a batch (a finalize of hundreds of numbers) must not POST each event inside
    the caller's request; its deliveries are due at once and the sweep sends them."""
    make_webhook_endpoint(org, receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.webhook_events_emit_many(events=[(org, "number.purchased", {"n": n}) for n in range(3)])
    assert callbacks == [] and receiver.received == []
    assert WebhookDelivery.objects.filter(status="pending").count() == 3
    deliver_due_webhook_events()
    assert len(receiver.received) == 3
