"""Emit events into the outbox and deliver them.

Delivery: POST the JSON envelope to Organization.webhook_url with
``X-Orbit-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (the timestamp inside
the MAC lets receivers refuse replays), ``X-Orbit-Event`` and ``X-Orbit-Event-Id``.
Failures retry with exponential backoff up to WEBHOOK_MAX_ATTEMPTS.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from datetime import timezone as dt_timezone

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Organization
from .models import WebhookEvent, WebhookSecret

logger = logging.getLogger(__name__)


def webhook_secret_for(*, organization: Organization) -> WebhookSecret:
    secret, _ = WebhookSecret.objects.get_or_create(organization=organization)
    return secret


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_event_emit(*, organization: Organization, event_type: str, data: dict) -> WebhookEvent:
    """Record an event in the caller's transaction; delivery is queued only once it commits."""
    event = WebhookEvent.objects.create(organization=organization, event_type=event_type, payload=data,
                                        next_attempt_at=timezone.now())

    def enqueue() -> None:
        from .tasks import deliver_webhook_event

        deliver_webhook_event.delay(event.pk)

    transaction.on_commit(enqueue)
    return event


def _body(event: WebhookEvent) -> bytes:
    envelope = {"id": event.pk, "type": event.event_type,
                "created_at": event.created_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": event.payload}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def backoff_seconds(attempt: int) -> int:
    """30 s, 60 s, 120 s … capped at an hour."""
    return min(30 * 2 ** max(attempt - 1, 0), 3600)


def webhook_event_deliver(*, event_id: str) -> WebhookEvent | None:
    """One delivery attempt. Returns the event; the caller (task) schedules the retry."""
    with transaction.atomic():
        event = (WebhookEvent.objects.select_for_update(of=("self",), skip_locked=True)
                 .select_related("organization").filter(pk=event_id, status=WebhookEvent.Status.PENDING).first())
        if event is None:
            return None
        url = event.organization.webhook_url
        now = timezone.now()
        if not url:
            event.status, event.last_attempt_at = WebhookEvent.Status.SKIPPED, now
            event.save(update_fields=["status", "last_attempt_at"])
            return event
        body = _body(event)
        secret = webhook_secret_for(organization=event.organization).secret
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "Orbit-Webhooks/1",
                   "X-Orbit-Event": event.event_type, "X-Orbit-Event-Id": event.pk,
                   "X-Orbit-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body)}
        event.attempts += 1
        event.last_attempt_at = now
        try:
            response = requests.post(url, data=body, headers=headers,
                                     timeout=settings.ORBIT["HTTP_TIMEOUT_SECONDS"], allow_redirects=False)
            event.last_status_code = response.status_code
            delivered = 200 <= response.status_code < 300
            event.last_error = "" if delivered else f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            delivered = False
            event.last_status_code = None
            event.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if delivered:
            event.status, event.delivered_at, event.next_attempt_at = WebhookEvent.Status.DELIVERED, now, None
        elif event.attempts >= settings.ORBIT["WEBHOOK_MAX_ATTEMPTS"]:
            event.status, event.next_attempt_at = WebhookEvent.Status.FAILED, None
            logger.warning("Webhook %s to %s failed for good after %s attempts: %s", event.pk,
                           event.organization_id, event.attempts, event.last_error)
        else:
            event.next_attempt_at = now + timedelta(seconds=backoff_seconds(event.attempts))
        event.save(update_fields=["status", "attempts", "last_attempt_at", "last_status_code", "last_error",
                                  "delivered_at", "next_attempt_at"])
        return event


def webhook_events_due(*, now=None) -> list[str]:
    """Pending events whose retry time has come (for the beat sweep, in case a task was lost)."""
    now = now or timezone.now()
    return list(WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:500])
