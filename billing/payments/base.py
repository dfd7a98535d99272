"""The payment-provider interface: create an intent for an amount, confirm it with a payment
method, read it back, and verify the provider's signed event callbacks.

Adapters speak in ``PaymentIntent`` values; billing.services.top_ups maps their status onto a
TopUp. Calls may take seconds (timeouts, retries): they are made outside any transaction.
"""
from __future__ import annotations

import abc
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

from orbit_numbers.errors import ProviderError


class IntentStatus:
    """The provider-side states an intent reports (Stripe's words)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount_cents: int
    currency: str  # lower-case ISO 4217, as providers send it
    # Why the last payment attempt failed (a decline), if it did.
    failure_code: str = ""
    failure_message: str = ""
    # What the customer must do next (e.g. "authenticate"), when status is requires_action.
    next_action: str = ""


@dataclass(frozen=True)
class PaymentEvent:
    """A verified provider callback about one intent."""

    id: str
    type: str
    intent: PaymentIntent | None  # None for events about anything but a payment intent
    raw: dict = field(default_factory=dict, compare=False, repr=False)


class PaymentSignatureInvalid(Exception):
    """A provider callback whose signature is missing, wrong or too old."""


class PaymentProviderError(ProviderError):
    """The provider refused or failed; ``retryable`` says whether trying again may help."""


class PaymentAdapter(abc.ABC):
    """One payment provider (billing/payments/simulator.py, stripe.py): every method is implemented by each."""

    name = "base"

    @abc.abstractmethod
    def intent_create(self, *, amount_cents: int, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> PaymentIntent:
        """A payment intent for ``amount_cents`` awaiting confirmation."""

    @abc.abstractmethod
    def intent_confirm(self, *, intent_id: str, payment_method: str, idempotency_key: str) -> PaymentIntent:
        """Pay the intent with ``payment_method``; the intent as the provider now has it."""

    @abc.abstractmethod
    def intent_retrieve(self, *, intent_id: str) -> PaymentIntent:
        """The intent as the provider now has it."""

    @abc.abstractmethod
    def event_verify(self, *, payload: bytes, headers: dict[str, str]) -> PaymentEvent:
        """The event in ``payload`` once its signature checks out; else PaymentSignatureInvalid."""


# --- Stripe's signature scheme (the simulator signs the same way) -----------------------------------


def signature_header(*, payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``: what a provider sends (and tests forge)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(*, payload: bytes, header: str, secret: str, tolerance_seconds: int,
                     now: float | None = None) -> None:
    """Raise PaymentSignatureInvalid unless ``header`` signs ``payload`` with ``secret`` recently."""
    if not secret:
        raise PaymentSignatureInvalid("no signing secret is configured for this provider")
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        if value:
            parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise PaymentSignatureInvalid("the signature header has no timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise PaymentSignatureInvalid("the signature is too old (or from the future)")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise PaymentSignatureInvalid("the signature does not match")


def intent_from_stripe(obj: dict) -> PaymentIntent:
    """A Stripe PaymentIntent object (API response or event data.object) as a PaymentIntent."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("status"), str):
        raise PaymentProviderError("the provider sent a payment intent without id or status",
                                   provider_code="BAD_RESPONSE")
    error = obj.get("last_payment_error") or {}
    next_action = obj.get("next_action") or {}
    amount = obj.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise PaymentProviderError("the provider sent a payment intent without an integer amount",
                                   provider_code="BAD_RESPONSE")
    return PaymentIntent(
        id=obj["id"], status=obj["status"], amount_cents=amount, currency=str(obj.get("currency") or "").lower(),
        failure_code=str(error.get("decline_code") or error.get("code") or "") if isinstance(error, dict) else "",
        failure_message=str(error.get("message") or "") if isinstance(error, dict) else "",
        next_action=str(next_action.get("type") or "") if isinstance(next_action, dict) else "",
    )


def event_from_stripe(body: dict) -> PaymentEvent:
    """A Stripe event envelope ``{"id", "type", "data": {"object": <PaymentIntent>}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise PaymentSignatureInvalid("the event is not a JSON object with a type")
    if not body["type"].startswith("payment_intent."):
        return PaymentEvent(id=str(body.get("id") or ""), type=body["type"], intent=None, raw=body)
    data = body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return PaymentEvent(id=str(body.get("id") or ""), type=body["type"], intent=intent_from_stripe(obj), raw=body)


def stripe_event_verify(*, payload: bytes, signature: str, secret: str, tolerance_seconds: int) -> PaymentEvent:
    """A Stripe-style signed event (Stripe's own, or the simulator's): check the signature, parse it."""
    signature_verify(payload=payload, header=signature, secret=secret, tolerance_seconds=tolerance_seconds)
    try:
        body = json.loads(payload)
    except ValueError:
        raise PaymentSignatureInvalid("the event is not JSON") from None
    return event_from_stripe(body)
