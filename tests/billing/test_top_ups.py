"""Top-ups through the simulator: intent → confirm → one ledger credit, however requests and the
provider's callbacks are retried, raced or reordered."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from billing.models import LedgerEntry, TopUp
from billing.payments.base import IntentStatus
from billing.payments.simulator import SIGNATURE_HEADER, simulated_event
from billing.services_top_ups import top_up_confirm, top_up_create
from orbit_numbers.webhooks.models import WebhookEvent
from tests.billing.money import assert_books_balance

TOP_UPS = "/api/v1/billing/top-ups"
EVENTS = "/api/v1/billing/payment-events/simulator"


def create(client, amount_cents=25_00, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(TOP_UPS, {"amount_cents": amount_cents}, format="json", **headers)


def confirm(client, top_up_id, payment_method="pm_card_visa", key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"{TOP_UPS}/{top_up_id}/confirm", {"payment_method": payment_method}, format="json",
                       **headers)


def credits_of(top_up_id):
    return LedgerEntry.objects.filter(reference=f"top_up:{top_up_id}")


def post_event(client, payload, headers):
    return client.post(EVENTS, data=payload, content_type="application/json",
                       **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})


def test_top_up_intent_then_confirmation_credits_the_wallet_once(org, client):
    response = create(client)
    assert response.status_code == 201, response.json()
    top_up = response.json()["data"]
    assert top_up["status"] == "requires_confirmation" and top_up["amount_cents"] == 25_00
    assert top_up["provider"] == "simulator" and top_up["payment_intent_id"].startswith("pi_sim_")
    assert top_up["transaction_id"] is None
    assert not credits_of(top_up["id"]).exists()

    confirmed = confirm(client, top_up["id"])
    assert confirmed.status_code == 200, confirmed.json()
    data = confirmed.json()["data"]
    [entry] = credits_of(top_up["id"])
    assert data["status"] == "succeeded" and data["transaction_id"] == f"txn_{entry.sequence}"
    assert entry.kind == LedgerEntry.Kind.TOP_UP and entry.amount_cents == 25_00
    assert client.get("/api/v1/billing/balance").json()["data"]["balance_cents"] == 100_00 + 25_00
    event = WebhookEvent.objects.get(organization=org, event_type="wallet.topped_up")
    assert event.payload == {"top_up_id": top_up["id"], "amount_cents": 25_00, "balance_cents": 125_00}

    again = confirm(client, top_up["id"])  # a second confirmation without a key: same answer, no credit
    assert again.status_code == 200 and again.json()["data"]["status"] == "succeeded"
    assert credits_of(top_up["id"]).count() == 1
    assert WebhookEvent.objects.filter(event_type="wallet.topped_up").count() == 1
    assert_books_balance()


def test_create_with_the_same_idempotency_key_replays_one_top_up(org, client):
    first = create(client, key="topup-1")
    second = create(client, key="topup-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert TopUp.objects.filter(organization=org).count() == 1
    assert create(client, amount_cents=30_00, key="topup-1").status_code == 409  # same key, other body


def test_confirm_with_the_same_idempotency_key_credits_once(org, client):
    top_up_id = create(client).json()["data"]["id"]
    first = confirm(client, top_up_id, key="pay-1")
    second = confirm(client, top_up_id, key="pay-1")
    assert first.json()["data"] == second.json()["data"]
    assert second["Idempotent-Replayed"] == "true"
    assert credits_of(top_up_id).count() == 1
    assert_books_balance()


@pytest.mark.parametrize("order", ["webhook_first", "confirm_first"])
def test_webhook_and_confirmation_in_either_order_credit_once(org, client, order):
    top_up = top_up_create(organization=org, amount_cents=40_00)
    if order == "webhook_first":
        # The payer confirmed on their side (e.g. Stripe.js): the callback arrives before our confirmation.
        payload, headers = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.SUCCEEDED)
        assert post_event(client, payload, headers).json()["data"]["status"] == "succeeded"
        assert confirm(client, top_up.id).json()["data"]["status"] == "succeeded"
    else:
        assert confirm(client, top_up.id).json()["data"]["status"] == "succeeded"
        payload, headers = simulated_event(intent_id=top_up.provider_intent_id)
        for _ in range(2):  # providers deliver at least once
            response = post_event(client, payload, headers)
            assert response.status_code == 200 and response.json()["data"]["top_up_id"] == top_up.id
    assert credits_of(top_up.id).count() == 1
    assert TopUp.objects.get(pk=top_up.id).ledger_entry.amount_cents == 40_00
    assert_books_balance()


@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_and_callbacks_credit_once(make_org):
    org = make_org("Racer", credit_cents=0)
    top_up = top_up_create(organization=org, amount_cents=50_00)
    payload, headers = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.SUCCEEDED)
    from django.test import Client

    barrier = threading.Barrier(4)
    errors = []

    def run(kind):
        try:
            barrier.wait()
            if kind == "confirm":
                top_up_confirm(top_up=top_up, payment_method="pm_card_visa")
            else:
                assert post_event(Client(), payload, headers).status_code == 200
        except Exception as exc:  # collected: an assertion in a thread would vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(kind,)) for kind in ("confirm", "confirm", "event", "event")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert credits_of(top_up.id).count() == 1
    assert TopUp.objects.get(pk=top_up.id).status == TopUp.Status.SUCCEEDED
    assert_books_balance()


def test_decline_credits_nothing_and_another_card_may_succeed(org, client):
    top_up_id = create(client).json()["data"]["id"]
    declined = confirm(client, top_up_id, "pm_card_chargeDeclined").json()["data"]
    assert declined["status"] == "failed" and declined["failure_code"] == "card_declined"
    assert declined["failure_message"]
    assert not credits_of(top_up_id).exists()
    broke = confirm(client, top_up_id, "pm_card_insufficientFunds").json()["data"]
    assert broke["status"] == "failed" and broke["failure_code"] == "insufficient_funds"
    paid = confirm(client, top_up_id, "pm_card_visa").json()["data"]
    assert paid["status"] == "succeeded" and paid["failure_code"] == ""
    assert credits_of(top_up_id).count() == 1
    assert_books_balance()


def test_authentication_and_late_settlement(org, client):
    top_up_id = create(client).json()["data"]["id"]
    action = confirm(client, top_up_id, "pm_card_authenticationRequired").json()["data"]
    assert action["status"] == "requires_confirmation" and action["next_action"] == "use_stripe_sdk"
    processing = confirm(client, top_up_id, "pm_card_processing").json()["data"]
    assert processing["status"] == "processing" and not credits_of(top_up_id).exists()
    settled = confirm(client, top_up_id, "pm_card_processing").json()["data"]  # asks the provider again
    assert settled["status"] == "succeeded" and credits_of(top_up_id).count() == 1
    assert_books_balance()


def test_a_cancelled_top_up_cannot_be_confirmed(org, client):
    top_up = top_up_create(organization=org, amount_cents=10_00)
    payload, headers = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.CANCELED)
    assert post_event(client, payload, headers).json()["data"]["status"] == "cancelled"
    response = confirm(client, top_up.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    assert not credits_of(top_up.id).exists()


def test_a_callback_with_another_amount_is_not_credited(org, client):
    top_up = top_up_create(organization=org, amount_cents=10_00)
    payload, headers = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.SUCCEEDED,
                                       amount_cents=99_00)
    assert post_event(client, payload, headers).json()["data"]["status"] == "failed"
    assert not credits_of(top_up.id).exists()
    assert_books_balance()


@pytest.mark.parametrize("tamper", ["no_signature", "wrong_secret", "edited_body"])
def test_unsigned_or_tampered_callbacks_are_refused(org, client, tamper):
    top_up = top_up_create(organization=org, amount_cents=10_00)
    payload, headers = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.SUCCEEDED,
                                       secret="whsec_wrong" if tamper == "wrong_secret" else None)
    if tamper == "no_signature":
        headers = {}
    if tamper == "edited_body":
        payload = payload.replace(b'"amount": 1000', b'"amount": 1001')
    response = post_event(client, payload, headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "BAD_REQUEST"
    assert not credits_of(top_up.id).exists()


def test_an_old_signature_is_refused(org, client, settings):
    from billing.payments.base import signature_header

    top_up = top_up_create(organization=org, amount_cents=10_00)
    payload, _ = simulated_event(intent_id=top_up.provider_intent_id, status=IntentStatus.SUCCEEDED)
    stale = signature_header(payload=payload, secret=settings.ORBIT["PAYMENT_SIMULATOR_WEBHOOK_SECRET"],
                             timestamp=1_000_000)
    assert post_event(client, payload, {SIGNATURE_HEADER: stale}).status_code == 400


def test_callbacks_for_unknown_intents_or_providers(org, client):
    payload, headers = simulated_event(intent_id="pi_sim_unknown", status=IntentStatus.SUCCEEDED)
    response = post_event(client, payload, headers)
    assert response.status_code == 200 and response.json()["data"]["top_up_id"] is None
    assert client.post("/api/v1/billing/payment-events/paypal", data=payload, content_type="application/json",
                       ).status_code == 404
    assert client.options(EVENTS).status_code == 200
    assert client.get(EVENTS).status_code == 405


@pytest.mark.parametrize("body, field", [
    ({}, "amount_cents"),
    ({"amount_cents": "ten"}, "amount_cents"),
    ({"amount_cents": 499}, "amount_cents"),
    ({"amount_cents": 1_000_001}, "amount_cents"),
    ({"amount_cents": 10.5}, "amount_cents"),
    ({"amount_cents": "1000"}, "amount_cents"),
    ({"amount_cents": True}, "amount_cents"),
    ({"amount_cents": 1000, "currency": "EUR"}, "currency"),
])
def test_create_refuses_bad_input(org, client, body, field):
    response = client.post(TOP_UPS, body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]
    assert not TopUp.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({}, "payment_method"),
    ({"payment_method": ""}, "payment_method"),
    ({"payment_method": "tok_unknown"}, "payment_method"),
    ({"payment_method": "pm_card_visa", "extra": 1}, "extra"),
])
def test_confirm_refuses_bad_input(org, client, body, field):
    top_up_id = create(client).json()["data"]["id"]
    response = client.post(f"{TOP_UPS}/{top_up_id}/confirm", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]
    assert not credits_of(top_up_id).exists()


def test_limits_follow_the_settings(org, client, settings):
    settings.ORBIT = {**settings.ORBIT, "TOP_UP_MIN_CENTS": 2_000}
    response = create(client, amount_cents=1_000)
    assert response.status_code == 422 and "amount_cents" in response.json()["error"]["details"]


def test_top_ups_are_the_tenants_own_and_need_scopes(org, client, make_org, make_client):
    top_up_id = create(client).json()["data"]["id"]
    other = make_client(make_org("Other"))
    assert other.get(f"{TOP_UPS}/{top_up_id}").status_code == 404
    assert confirm(other, top_up_id).status_code == 404
    assert other.get(TOP_UPS).json()["data"] == []
    reader = make_client(org, scopes=["billing:read"])
    assert reader.get(f"{TOP_UPS}/{top_up_id}").json()["data"]["id"] == top_up_id
    assert create(reader).status_code == 403
    assert confirm(reader, top_up_id).status_code == 403
    assert make_client(org, scopes=["numbers:read"]).get(TOP_UPS).status_code == 403


def test_list_filters_by_status_and_time(org, client, clock):
    paid = create(client).json()["data"]["id"]
    confirm(client, paid)
    clock.advance(days=2)
    pending = create(client).json()["data"]["id"]
    ids = lambda query: [t["id"] for t in client.get(TOP_UPS, query).json()["data"]]  # noqa: E731
    assert ids({}) == [pending, paid]
    assert ids({"status": "succeeded"}) == [paid]
    assert ids({"status": "requires_confirmation"}) == [pending]
    stamp = lambda moment: moment.isoformat().replace("+00:00", "Z")  # noqa: E731
    assert ids({"created_after": stamp(clock.now + timedelta(seconds=1))}) == []
    assert ids({"created_before": stamp(clock.now - timedelta(days=1))}) == [paid]
    assert ids({"created_after": stamp(clock.now - timedelta(days=1)), "status": "requires_confirmation"}) == [pending]
    for bad in ({"status": "paid"}, {"created_after": "yesterday"}, {"colour": "red"}):
        assert client.get(TOP_UPS, bad).status_code == 422


def test_provider_outage_is_503_and_records_nothing(org, client, monkeypatch):
    from billing.payments.base import PaymentProviderError
    from billing.payments.simulator import SimulatorPaymentAdapter

    def down(self, **kwargs):
        raise PaymentProviderError("simulator: down", provider_code="UNAVAILABLE", retryable=True)

    monkeypatch.setattr(SimulatorPaymentAdapter, "intent_create", down)
    response = create(client, key="outage")
    assert response.status_code == 503 and response.json()["error"]["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert response["Retry-After"] == "30"
    assert not TopUp.objects.exists()
    monkeypatch.undo()
    assert create(client, key="outage").status_code == 201  # a 5xx is not remembered: the retry acts


def test_check_ledger_catches_a_top_up_credited_twice(org, client):
    from django.core.management import CommandError, call_command

    top_up_id = create(client).json()["data"]["id"]
    confirm(client, top_up_id)
    TopUp.objects.filter(pk=top_up_id).update(amount_cents=26_00)  # the books now disagree with the top-up
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=__import__("io").StringIO())


def test_stuck_processing_top_ups_are_settled_by_the_sweep(org, client, clock):
    import io

    from django.core.management import call_command

    from billing.tasks import sync_processing_top_ups

    top_up_id = create(client).json()["data"]["id"]
    assert confirm(client, top_up_id, "pm_card_processing").json()["data"]["status"] == "processing"
    assert sync_processing_top_ups.delay().get() == {"checked": 0, "succeeded": 0, "failed": 0}  # too recent
    clock.advance(minutes=16)
    out = io.StringIO()
    call_command("sync_top_ups", stdout=out)
    assert "1 succeeded" in out.getvalue()
    assert TopUp.objects.get(pk=top_up_id).status == TopUp.Status.SUCCEEDED
    assert sync_processing_top_ups.delay().get() == {"checked": 0, "succeeded": 0, "failed": 0}
    assert credits_of(top_up_id).count() == 1
    assert_books_balance()


def test_the_provider_is_never_called_inside_a_transaction(org):
    from django.db import transaction

    from billing.payments import PaymentCallInTransaction

    with pytest.raises(PaymentCallInTransaction), transaction.atomic():
        top_up_create(organization=org, amount_cents=10_00)
    assert not TopUp.objects.exists()
