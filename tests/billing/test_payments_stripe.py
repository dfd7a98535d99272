"""The Stripe PaymentIntents adapter against a local stub: request shapes, idempotency keys,
retries with backoff, timeouts, declines, error mapping, webhook signatures; and a top-up end to end."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from billing.models import LedgerEntry, TopUp
from billing.payments import payment_adapter
from billing.payments.base import PaymentProviderError, PaymentSignatureInvalid, signature_header
from billing.payments.stripe import SIGNATURE_HEADER, StripePaymentAdapter
from tests.billing.money import assert_books_balance
from tests.httpstub import Reply

SECRET = "whsec_test_stripe"


def intent(status="requires_payment_method", amount=2500, **extra):
    return {"id": "pi_3Q", "object": "payment_intent", "amount": amount, "currency": "usd", "status": status,
            "last_payment_error": None, "next_action": None, **extra}


def form(seen) -> dict:
    return {name: values[0] for name, values in parse_qs(seen.body.decode()).items()}


@pytest.fixture
def stripe(stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "STRIPE_BASE_URL": f"{stub_server.url}/v1", "STRIPE_SECRET_KEY": "sk_test_1",
                      "STRIPE_WEBHOOK_SECRET": SECRET, "HTTP_TIMEOUT_SECONDS": 0.5, "HTTP_MAX_RETRIES": 2,
                      "HTTP_BACKOFF_SECONDS": 0.01, "HTTP_MAX_BACKOFF_SECONDS": 0.02}
    adapter = payment_adapter("stripe")
    assert isinstance(adapter, StripePaymentAdapter)
    return adapter


def test_create_sends_a_form_with_the_idempotency_key(stripe, stub_server):
    stub_server.on("POST", "/v1/payment_intents", Reply(200, intent()))
    created = stripe.intent_create(amount_cents=2500, currency="USD", idempotency_key="tup_1",
                                   metadata={"top_up_id": "tup_1"})
    assert (created.id, created.status, created.amount_cents, created.currency) == (
        "pi_3Q", "requires_payment_method", 2500, "usd")
    [sent] = stub_server.requests
    assert sent.headers["Authorization"] == "Bearer sk_test_1"
    assert sent.headers["Idempotency-Key"] == "create-tup_1"
    assert form(sent) == {"amount": "2500", "currency": "usd", "payment_method_types[]": "card",
                          "metadata[top_up_id]": "tup_1"}


def test_confirm_success_and_decline(stripe, stub_server):
    path = "/v1/payment_intents/pi_3Q/confirm"
    stub_server.on("POST", path, Reply(200, intent("succeeded")))
    assert stripe.intent_confirm(intent_id="pi_3Q", payment_method="pm_card_visa",
                                 idempotency_key="tup_1-0").status == "succeeded"
    assert form(stub_server.seen("POST", path)[0]) == {"payment_method": "pm_card_visa"}
    declined = intent("requires_payment_method", last_payment_error={
        "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."})
    stub_server.on("POST", path, Reply(402, {"error": {"type": "card_error", "code": "card_declined",
                                                       "payment_intent": declined}}))
    result = stripe.intent_confirm(intent_id="pi_3Q", payment_method="pm_x", idempotency_key="tup_1-1")
    assert result.status == "requires_payment_method" and result.failure_code == "insufficient_funds"
    assert result.failure_message == "Your card has insufficient funds."


def test_retries_with_the_same_key_on_429_and_5xx(stripe, stub_server):
    stub_server.on("POST", "/v1/payment_intents", Reply(503, {"error": {"message": "busy"}}),
                   Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}), Reply(200, intent()))
    assert stripe.intent_create(amount_cents=2500, currency="usd", idempotency_key="k", metadata={}).id == "pi_3Q"
    sent = stub_server.seen("POST", "/v1/payment_intents")
    assert len(sent) == 3 and {s.headers["Idempotency-Key"] for s in sent} == {"create-k"}


def test_gives_up_after_the_retries(stripe, stub_server):
    stub_server.on("GET", "/v1/payment_intents/pi_3Q", Reply(500, {"error": {"message": "boom"}}))
    with pytest.raises(PaymentProviderError) as failure:
        stripe.intent_retrieve(intent_id="pi_3Q")
    assert failure.value.retryable and len(stub_server.seen("GET", "/v1/payment_intents/pi_3Q")) == 3


def test_timeouts_are_retried_then_unavailable(stripe, stub_server):
    stub_server.on("GET", "/v1/payment_intents/pi_3Q", Reply(200, intent(), delay=1.0))
    with pytest.raises(PaymentProviderError) as failure:
        stripe.intent_retrieve(intent_id="pi_3Q")
    assert failure.value.provider_code == "UNAVAILABLE" and failure.value.retryable


def test_a_refusal_is_not_retried(stripe, stub_server):
    stub_server.on("POST", "/v1/payment_intents/pi_3Q/confirm", Reply(400, {"error": {
        "type": "invalid_request_error", "code": "payment_intent_unexpected_state", "message": "already succeeded"}}))
    with pytest.raises(PaymentProviderError) as failure:
        stripe.intent_confirm(intent_id="pi_3Q", payment_method="pm_card_visa", idempotency_key="k")
    assert failure.value.provider_code == "payment_intent_unexpected_state" and not failure.value.retryable
    assert len(stub_server.seen("POST", "/v1/payment_intents/pi_3Q/confirm")) == 1


def test_a_body_that_is_not_an_intent_is_an_error(stripe, stub_server):
    stub_server.on("GET", "/v1/payment_intents/pi_3Q", Reply(200, {"id": "pi_3Q"}))
    with pytest.raises(PaymentProviderError):
        stripe.intent_retrieve(intent_id="pi_3Q")


def test_webhook_signature(stripe):
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded",
                          "data": {"object": intent("succeeded")}}).encode()
    event = stripe.event_verify(payload=payload, headers={SIGNATURE_HEADER: signature_header(payload=payload,
                                                                                             secret=SECRET)})
    assert event.type == "payment_intent.succeeded" and event.intent.status == "succeeded"
    other = json.dumps({"id": "evt_2", "type": "charge.succeeded", "data": {"object": {"id": "ch_1"}}}).encode()
    assert stripe.event_verify(payload=other, headers={SIGNATURE_HEADER: signature_header(
        payload=other, secret=SECRET)}).intent is None
    for headers in ({}, {SIGNATURE_HEADER: signature_header(payload=payload, secret="whsec_other")},
                    {SIGNATURE_HEADER: "t=abc,v1=00"}):
        with pytest.raises(PaymentSignatureInvalid):
            stripe.event_verify(payload=payload, headers=headers)


def test_top_up_through_stripe_end_to_end(org, client, stripe, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "PAYMENT_PROVIDER": "stripe"}
    stub_server.on("POST", "/v1/payment_intents", Reply(200, intent(amount=3000)))
    top_up = client.post("/api/v1/billing/top-ups", {"amount_cents": 3000}, format="json").json()["data"]
    assert top_up["provider"] == "stripe" and top_up["payment_intent_id"] == "pi_3Q"
    stub_server.on("POST", "/v1/payment_intents/pi_3Q/confirm", Reply(200, intent("succeeded", amount=3000)))
    confirmed = client.post(f"/api/v1/billing/top-ups/{top_up['id']}/confirm", {"payment_method": "pm_card_visa"},
                            format="json").json()["data"]
    assert confirmed["status"] == "succeeded"
    assert stub_server.seen("POST", "/v1/payment_intents/pi_3Q/confirm")[0].headers["Idempotency-Key"] == (
        f"confirm-{top_up['id']}-0")
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded",
                          "data": {"object": intent("succeeded", amount=3000)}}).encode()
    response = client.post("/api/v1/billing/payment-events/stripe", data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature_header(payload=payload, secret=SECRET))
    assert response.status_code == 200 and response.json()["data"]["top_up_id"] == top_up["id"]
    assert LedgerEntry.objects.filter(reference=f"top_up:{top_up['id']}").count() == 1
    assert TopUp.objects.get(pk=top_up["id"]).status == TopUp.Status.SUCCEEDED
    assert_books_balance()
