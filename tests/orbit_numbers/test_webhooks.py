"""The webhook outbox: emitted in the business transaction (one delivery per matching endpoint),
delivered after commit, signed with HMAC-SHA256, retried with backoff."""
from __future__ import annotations

import hashlib
import hmac

import pytest
from django.db import transaction

from orbit_numbers.webhooks import services
from orbit_numbers.webhooks.models import WebhookDelivery, WebhookEvent
from tests.httpstub import Reply


@pytest.fixture
def hooked_org(org, stub_server, make_webhook_endpoint):
    make_webhook_endpoint(org, f"{stub_server.url}/hooks")
    return org


def _delivery(event: WebhookEvent) -> WebhookDelivery:
    return WebhookDelivery.objects.get(event=event)


def test_emit_waits_for_commit_then_delivers_signed(hooked_org, stub_server, django_capture_on_commit_callbacks):
    stub_server.on("POST", "/hooks", Reply(200, {"ok": True}))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = services.webhook_event_emit(organization=hooked_org, event_type="number.ported",
                                            data={"phone_number": "+12015550123"})
        assert stub_server.seen("POST", "/hooks") == []  # nothing leaves before commit
    assert len(callbacks) == 1
    delivery = _delivery(event)
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    [sent] = stub_server.seen("POST", "/hooks")
    assert sent.headers["X-Orbit-Event"] == "number.ported"
    assert sent.headers["X-Orbit-Event-Id"] == event.pk and sent.headers["X-Orbit-Delivery-Id"] == delivery.pk
    assert sent.json()["data"] == {"phone_number": "+12015550123"} and sent.json()["type"] == "number.ported"
    timestamp, signature = (part.split("=", 1)[1] for part in sent.headers["X-Orbit-Signature"].split(","))
    secret = delivery.endpoint.secret
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + sent.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)


def test_rolled_back_emit_sends_nothing(hooked_org, stub_server, django_capture_on_commit_callbacks):
    stub_server.on("POST", "/hooks", Reply(200, {}))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.webhook_event_emit(organization=hooked_org, event_type="number.ported", data={})
                raise RuntimeError("business failure")
    assert callbacks == [] and WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0
    assert stub_server.requests == []


def test_failures_retry_with_backoff_then_give_up(hooked_org, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "WEBHOOK_MAX_ATTEMPTS": 3}
    stub_server.on("POST", "/hooks", Reply(500, {"error": "down"}))
    event = services.webhook_event_emit(organization=hooked_org, event_type="number.ported", data={})
    delivery_id = _delivery(event).pk
    first = services.webhook_delivery_deliver(delivery_id=delivery_id)
    assert first.status == "pending" and first.attempts == 1 and first.last_status_code == 500
    assert (first.next_attempt_at - first.last_attempt_at).total_seconds() == services.backoff_seconds(1) == 30
    second = services.webhook_delivery_deliver(delivery_id=delivery_id)
    assert (second.next_attempt_at - second.last_attempt_at).total_seconds() == 60
    third = services.webhook_delivery_deliver(delivery_id=delivery_id)
    assert third.status == "failed" and third.attempts == 3 and third.next_attempt_at is None
    assert services.webhook_delivery_deliver(delivery_id=delivery_id) is None  # finished ones are left alone


def test_unreachable_endpoint_is_recorded_and_retried(org, make_webhook_endpoint):
    make_webhook_endpoint(org, "http://127.0.0.1:9/unreachable")
    event = services.webhook_event_emit(organization=org, event_type="number.ported", data={})
    [delivered] = services.webhook_event_deliver(event_id=event.pk)
    assert delivered.status == "pending" and delivered.last_error.startswith("ConnectionError")


def test_no_endpoint_means_an_event_with_no_delivery(org):
    event = services.webhook_event_emit(organization=org, event_type="number.ported", data={})
    assert WebhookEvent.objects.filter(pk=event.pk).exists() and not WebhookDelivery.objects.exists()
    assert services.webhook_event_deliver(event_id=event.pk) == []


def test_due_sweep_picks_pending_events(hooked_org, stub_server):
    from orbit_numbers.webhooks.tasks import deliver_due_webhook_events

    stub_server.on("POST", "/hooks", Reply(204))
    services.webhook_event_emit(organization=hooked_org, event_type="a", data={})
    services.webhook_event_emit(organization=hooked_org, event_type="b", data={})
    assert deliver_due_webhook_events() == 2
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["delivered", "delivered"]


def test_backoff_is_capped():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]


# ---------------------------------------------------------------- delivery holds no lock

class _Answer:
    def __init__(self, status_code: int = 200) -> None:
        self.status_code = status_code

    def close(self) -> None:  # delivery streams the answer and closes it unread
        pass


def _open_transactions() -> list:
    from django.db import connection

    return [block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)]


def test_posts_with_no_transaction_open(hooked_org, monkeypatch):
    seen = []
    monkeypatch.setattr(services.requests, "post", lambda url, **kwargs: seen.append(_open_transactions())
                        or _Answer())
    event = services.webhook_event_emit(organization=hooked_org, event_type="number.ported", data={})
    assert services.webhook_delivery_deliver(delivery_id=_delivery(event).pk).status == "delivered"
    assert seen == [[]]


def test_a_second_deliverer_does_not_send_during_the_lease(hooked_org, monkeypatch):
    posts, inner = [], []

    def post(url, **kwargs):
        posts.append(url)
        if len(posts) == 1:  # another worker picks the same event up while the first is posting
            inner.append(services.webhook_delivery_deliver(delivery_id=delivery.pk))
            inner.append(services.webhook_deliveries_due())
        return _Answer()

    monkeypatch.setattr(services.requests, "post", post)
    delivery = _delivery(services.webhook_event_emit(organization=hooked_org, event_type="number.ported", data={}))
    assert services.webhook_delivery_deliver(delivery_id=delivery.pk).status == "delivered"
    assert len(posts) == 1 and inner == [None, []]


def test_a_crashed_deliverers_claim_expires_and_the_event_is_retried(hooked_org, monkeypatch):
    class WorkerKilled(BaseException):
        pass

    def killed(url, **kwargs):
        raise WorkerKilled()

    monkeypatch.setattr(services.requests, "post", killed)
    event = services.webhook_event_emit(organization=hooked_org, event_type="number.ported", data={})
    with pytest.raises(WorkerKilled):
        services.webhook_event_deliver(event_id=event.pk)
    delivery = _delivery(event)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.claim_token
    assert services.webhook_deliveries_due() == []  # the lease still runs
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=delivery.last_attempt_at)
    monkeypatch.setattr(services.requests, "post", lambda url, **kwargs: _Answer(204))
    assert services.webhook_deliveries_due() == [delivery.pk]
    delivered = services.webhook_delivery_deliver(delivery_id=delivery.pk)
    assert delivered.status == "delivered" and delivered.attempts == 2 and not delivered.claim_token


def test_staff_events_need_no_organisation(db, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "STAFF_WEBHOOK_SECRET": ""}
    stub_server.on("POST", "/ops", Reply(200, {}))
    event = services.staff_webhook_event_emit(url=f"{stub_server.url}/ops", event_type="low_stock.opened",
                                              data={"available": 0})
    assert [d.status for d in services.webhook_event_deliver(event_id=event.pk)] == ["delivered"]
    [sent] = stub_server.seen("POST", "/ops")
    assert sent.json()["data"] == {"available": 0} and "X-Orbit-Signature" not in sent.headers


def test_an_event_has_an_organisation_or_a_target(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(event_type="x", payload={})
