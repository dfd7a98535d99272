"""Stripe PaymentIntents over HTTP (form-encoded API v1), configured by ORBIT["STRIPE_BASE_URL"],
["STRIPE_SECRET_KEY"] and ["STRIPE_WEBHOOK_SECRET"].

Every POST carries an Idempotency-Key, so Stripe acts once however often it is sent: POSTs and GETs
alike retry on connection failures, timeouts, 409 (a concurrent request with the same key), 429
and 5xx, waiting 2^n × HTTP_BACKOFF_SECONDS (or Retry-After), at most HTTP_MAX_BACKOFF_SECONDS,
HTTP_MAX_RETRIES times. Any other 4xx is Stripe's answer (a decline is a 402 carrying the intent).
"""
from __future__ import annotations

import logging
import time

import requests
from django.conf import settings

from orbit_numbers.retry import backoff_delay

from .base import (PaymentAdapter, PaymentEvent, PaymentIntent, PaymentProviderError, intent_from_stripe,
                   stripe_event_verify)

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "Stripe-Signature"


class StripePaymentAdapter(PaymentAdapter):
    name = "stripe"

    def __init__(self, *, session: requests.Session | None = None, sleep=time.sleep) -> None:
        config = settings.ORBIT
        self.base_url = config["STRIPE_BASE_URL"].rstrip("/")
        self.timeout = float(config["HTTP_TIMEOUT_SECONDS"])
        self.max_retries = int(config["HTTP_MAX_RETRIES"])
        self.backoff = float(config["HTTP_BACKOFF_SECONDS"])
        self.max_backoff = float(config["HTTP_MAX_BACKOFF_SECONDS"])
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {config['STRIPE_SECRET_KEY']}"})
        self._sleep = sleep

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        return backoff_delay(attempt=attempt, response=response, backoff=self.backoff, max_backoff=self.max_backoff)

    def _request(self, method: str, path: str, *, data: dict | None = None, idempotency_key: str = "") -> dict:
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        attempt = 0
        while True:
            response, error = None, None
            try:
                response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                error = exc
            retryable = error is not None or response.status_code in (409, 429) or response.status_code >= 500
            if retryable and attempt < self.max_retries:
                delay = self._delay(attempt, response)
                logger.info("stripe %s %s failed (%s); retry %s in %.2fs", method, path,
                            error.__class__.__name__ if error else response.status_code, attempt + 1, delay)
                attempt += 1
                if delay > 0:
                    self._sleep(delay)
                continue
            if error is not None:
                kind = "timed out" if isinstance(error, requests.Timeout) else "could not be reached"
                raise PaymentProviderError(f"stripe: {method} {path} {kind}", provider_code="UNAVAILABLE",
                                           retryable=True)
            return self._body(method, path, response)

    def _body(self, method: str, path: str, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise PaymentProviderError(f"stripe: {method} {path} answered HTTP {response.status_code} without JSON",
                                       provider_code="BAD_RESPONSE", retryable=response.status_code >= 500) from None
        if response.status_code < 400:
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        # A declined confirmation is a 402 whose error carries the intent, now requires_payment_method.
        if isinstance(error.get("payment_intent"), dict):
            return error["payment_intent"]
        code = str(error.get("code") or error.get("type") or f"HTTP_{response.status_code}")
        message = str(error.get("message") or f"HTTP {response.status_code}")
        raise PaymentProviderError(f"stripe: {message}", provider_code=code,
                                   retryable=response.status_code in (409, 429) or response.status_code >= 500)

    def intent_create(self, *, amount_cents: int, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> PaymentIntent:
        data = {"amount": amount_cents, "currency": currency.lower(), "payment_method_types[]": "card",
                **{f"metadata[{name}]": value for name, value in metadata.items()}}
        return intent_from_stripe(self._request("POST", "payment_intents", data=data,
                                                idempotency_key=f"create-{idempotency_key}"))

    def intent_confirm(self, *, intent_id: str, payment_method: str, idempotency_key: str) -> PaymentIntent:
        return intent_from_stripe(self._request("POST", f"payment_intents/{intent_id}/confirm",
                                                data={"payment_method": payment_method},
                                                idempotency_key=f"confirm-{idempotency_key}"))

    def intent_retrieve(self, *, intent_id: str) -> PaymentIntent:
        return intent_from_stripe(self._request("GET", f"payment_intents/{intent_id}"))

    def event_verify(self, *, payload: bytes, headers: dict[str, str]) -> PaymentEvent:
        return stripe_event_verify(payload=payload, signature=headers.get(SIGNATURE_HEADER, ""),
                                   secret=settings.ORBIT["STRIPE_WEBHOOK_SECRET"],
                                   tolerance_seconds=settings.ORBIT["PAYMENT_WEBHOOK_TOLERANCE_SECONDS"])
