"""The default payment provider: offline, behaving like Stripe's PaymentIntents so every flow
(confirmation, declines, authentication, late settlement, signed callbacks) runs without a network.

Intents live in the cache (a real cache in production, so every process sees them) for a week.
Payment-method tokens decide the outcome, Stripe's test-token names:

=================================  ==========================================================
``pm_card_visa`` (any other        succeeds: the intent is ``succeeded``
``pm_card_…`` not listed below)
``pm_card_chargeDeclined``         declined (``card_declined``): ``requires_payment_method``
``pm_card_insufficientFunds``      declined (``insufficient_funds``)
``pm_card_authenticationRequired`` needs 3-D Secure: ``requires_action`` (confirm again with
                                   another card to finish)
``pm_card_processing``             ``processing``; the next read (or the callback) reports
                                   ``succeeded``, like a payment that settles later
anything else                      refused as an unknown payment method (nothing changes)
=================================  ==========================================================

ORBIT["PAYMENT_SIMULATOR_LATENCY_MS"] adds latency to each call. Callbacks are signed like
Stripe's with ORBIT["PAYMENT_SIMULATOR_WEBHOOK_SECRET"]; ``simulated_event`` builds one.
"""
from __future__ import annotations

import json
import time
import uuid

from django.conf import settings
from django.core.cache import cache

from .base import (IntentStatus, PaymentAdapter, PaymentEvent, PaymentIntent, PaymentProviderError, signature_header,
                   stripe_event_verify)

_TTL_SECONDS = 7 * 24 * 3600
_DECLINES = {"pm_card_chargeDeclined": ("card_declined", "Your card was declined."),
             "pm_card_insufficientFunds": ("insufficient_funds", "Your card has insufficient funds.")}
_CONFIRMABLE = {IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION, IntentStatus.REQUIRES_ACTION}
SIGNATURE_HEADER = "Orbit-Simulator-Signature"


def _key(intent_id: str) -> str:
    return f"payments:simulator:{intent_id}"


def _as_intent(obj: dict) -> PaymentIntent:
    error = obj.get("last_payment_error") or {}
    return PaymentIntent(id=obj["id"], status=obj["status"], amount_cents=obj["amount"], currency=obj["currency"],
                         failure_code=error.get("decline_code", ""), failure_message=error.get("message", ""),
                         next_action=(obj.get("next_action") or {}).get("type", ""))


class SimulatorPaymentAdapter(PaymentAdapter):
    name = "simulator"

    def _latency(self) -> None:
        delay = settings.ORBIT["PAYMENT_SIMULATOR_LATENCY_MS"]
        if delay > 0:
            time.sleep(delay / 1000)

    def _load(self, intent_id: str) -> dict:
        obj = cache.get(_key(intent_id)) if isinstance(intent_id, str) else None
        if obj is None:
            raise PaymentProviderError(f"simulator: no such payment intent {intent_id!r}",
                                       provider_code="resource_missing")
        return obj

    def _save(self, obj: dict) -> None:
        cache.set(_key(obj["id"]), obj, _TTL_SECONDS)

    def _replayed(self, idempotency_key: str) -> PaymentIntent | None:
        intent_id = cache.get(f"payments:simulator:idem:{idempotency_key}")
        return _as_intent(self._load(intent_id)) if intent_id else None

    def _remember(self, idempotency_key: str, intent_id: str) -> None:
        cache.set(f"payments:simulator:idem:{idempotency_key}", intent_id, _TTL_SECONDS)

    def intent_create(self, *, amount_cents: int, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> PaymentIntent:
        self._latency()
        replayed = self._replayed(f"create:{idempotency_key}")
        if replayed is not None:
            return replayed
        obj = {"id": f"pi_sim_{uuid.uuid4().hex[:24]}", "object": "payment_intent", "amount": amount_cents,
               "currency": currency.lower(), "status": IntentStatus.REQUIRES_PAYMENT_METHOD,
               "metadata": dict(metadata), "last_payment_error": None, "next_action": None}
        self._save(obj)
        self._remember(f"create:{idempotency_key}", obj["id"])
        return _as_intent(obj)

    def intent_confirm(self, *, intent_id: str, payment_method: str, idempotency_key: str) -> PaymentIntent:
        self._latency()
        replayed = self._replayed(f"confirm:{idempotency_key}")
        if replayed is not None:
            return replayed
        obj = self._load(intent_id)
        if obj["status"] not in _CONFIRMABLE:
            raise PaymentProviderError(f"simulator: payment intent {intent_id} is {obj['status']} and cannot be "
                                       f"confirmed", provider_code="payment_intent_unexpected_state")
        if not isinstance(payment_method, str) or not payment_method.startswith("pm_card_"):
            raise PaymentProviderError(f"simulator: no such payment method {payment_method!r}",
                                       provider_code="resource_missing")
        obj["last_payment_error"], obj["next_action"] = None, None
        if payment_method in _DECLINES:
            code, message = _DECLINES[payment_method]
            obj["status"] = IntentStatus.REQUIRES_PAYMENT_METHOD
            obj["last_payment_error"] = {"code": "card_declined", "decline_code": code, "message": message}
        elif payment_method == "pm_card_authenticationRequired":
            obj["status"] = IntentStatus.REQUIRES_ACTION
            obj["next_action"] = {"type": "use_stripe_sdk"}
        elif payment_method == "pm_card_processing":
            obj["status"] = IntentStatus.PROCESSING
        else:
            obj["status"] = IntentStatus.SUCCEEDED
        self._save(obj)
        self._remember(f"confirm:{idempotency_key}", intent_id)
        return _as_intent(obj)

    def intent_retrieve(self, *, intent_id: str) -> PaymentIntent:
        self._latency()
        obj = self._load(intent_id)
        if obj["status"] == IntentStatus.PROCESSING:  # settles by the time anyone looks again
            obj["status"] = IntentStatus.SUCCEEDED
            self._save(obj)
        return _as_intent(obj)

    def event_verify(self, *, payload: bytes, headers: dict[str, str]) -> PaymentEvent:
        return stripe_event_verify(payload=payload, signature=headers.get(SIGNATURE_HEADER, ""),
                                   secret=settings.ORBIT["PAYMENT_SIMULATOR_WEBHOOK_SECRET"],
                                   tolerance_seconds=settings.ORBIT["PAYMENT_WEBHOOK_TOLERANCE_SECONDS"])


_EVENT_FOR_STATUS = {IntentStatus.SUCCEEDED: "payment_intent.succeeded",
                     IntentStatus.PROCESSING: "payment_intent.processing",
                     IntentStatus.CANCELED: "payment_intent.canceled",
                     IntentStatus.REQUIRES_PAYMENT_METHOD: "payment_intent.payment_failed",
                     IntentStatus.REQUIRES_ACTION: "payment_intent.requires_action"}


def simulated_event(*, intent_id: str, status: str | None = None, amount_cents: int | None = None,
                    secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The callback the simulator would send about ``intent_id`` (optionally moved to ``status``):
    ``(payload, headers)`` to POST to /api/v1/billing/payment-events/simulator."""
    obj = dict(cache.get(_key(intent_id)) or {"id": intent_id, "object": "payment_intent", "amount": 0,
                                              "currency": "usd", "status": IntentStatus.REQUIRES_PAYMENT_METHOD})
    if status is not None:
        obj["status"] = status
        cache.set(_key(intent_id), obj, _TTL_SECONDS)
    if amount_cents is not None:
        obj["amount"] = amount_cents
    body = {"id": f"evt_sim_{uuid.uuid4().hex[:24]}", "object": "event", "type": _EVENT_FOR_STATUS[obj["status"]],
            "data": {"object": obj}}
    payload = json.dumps(body).encode()
    secret = settings.ORBIT["PAYMENT_SIMULATOR_WEBHOOK_SECRET"] if secret is None else secret
    return payload, {SIGNATURE_HEADER: signature_header(payload=payload, secret=secret)}
