"""Emit events into the outbox and deliver them.

Delivery: POST the JSON envelope to Organization.webhook_url (or a staff event's target_url) with
``X-Orbit-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (the timestamp inside
the MAC lets receivers refuse replays), ``X-Orbit-Event`` and ``X-Orbit-Event-Id``.
Failures retry with exponential backoff up to WEBHOOK_MAX_ATTEMPTS. No lock or transaction is
held while posting: an attempt claims the event with a lease first (concurrent deliverers skip
it), and a deliverer that dies mid-POST leaves a lease that runs out, after which the event is
due again (at-least-once delivery; receivers dedupe on X-Orbit-Event-Id).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from datetime import timezone as dt_timezone

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
    _deliver_on_commit(event.pk)
    return event


def staff_webhook_event_emit(*, url: str, event_type: str, data: dict) -> WebhookEvent:
    """A staff/operations event (no organisation) to ``url``, through the same outbox, retries
    and signature (ORBIT["STAFF_WEBHOOK_SECRET"]) as organisations' events."""
    event = WebhookEvent.objects.create(target_url=url, event_type=event_type, payload=data,
                                        next_attempt_at=timezone.now())
    _deliver_on_commit(event.pk)
    return event


def _deliver_on_commit(event_id: str) -> None:
    def enqueue() -> None:
        from .tasks import deliver_webhook_event

        deliver_webhook_event.delay(event_id)

    transaction.on_commit(enqueue)


def _body(event: WebhookEvent) -> bytes:
    envelope = {"id": event.pk, "type": event.event_type,
                "created_at": event.created_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": event.payload}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def backoff_seconds(attempt: int) -> int:
    """30 s, 60 s, 120 s … capped at an hour."""
    return min(30 * 2 ** max(attempt - 1, 0), 3600)


@dataclass(frozen=True)
class _Delivery:
    url: str
    body: bytes
    headers: dict


def _claim(event_id: str) -> tuple[WebhookEvent | None, _Delivery | None]:
    """Short transaction: take a due, unclaimed (or abandoned) event for one attempt.
    Returns (None, None) when there is nothing to do, (event, None) when it was settled here."""
    now = timezone.now()
    with transaction.atomic():
        event = (WebhookEvent.objects.select_for_update(of=("self",), skip_locked=True)
                 .select_related("organization").filter(pk=event_id, status=WebhookEvent.Status.PENDING)
                 .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).first())
        if event is None:  # finished, or another deliverer holds it
            return None, None
        if event.organization_id is None:
            url, secret = event.target_url, settings.ORBIT["STAFF_WEBHOOK_SECRET"]
        else:
            url = event.organization.webhook_url
            secret = webhook_secret_for(organization=event.organization).secret if url else ""
        if not url:
            event.status, event.last_attempt_at = WebhookEvent.Status.SKIPPED, now
            event.save(update_fields=["status", "last_attempt_at"])
            return event, None
        # The attempt counts at the claim: a deliverer that crashes mid-POST still used one.
        event.attempts += 1
        event.last_attempt_at = now
        event.claim_token = uuid.uuid4().hex
        event.claimed_until = now + timedelta(seconds=settings.ORBIT["WEBHOOK_CLAIM_SECONDS"])
        event.save(update_fields=["attempts", "last_attempt_at", "claim_token", "claimed_until"])
    body = _body(event)
    headers = {"Content-Type": "application/json", "User-Agent": "Orbit-Webhooks/1",
               "X-Orbit-Event": event.event_type, "X-Orbit-Event-Id": event.pk}
    if secret:
        headers["X-Orbit-Signature"] = webhook_signature(secret=secret, timestamp=int(time.time()), body=body)
    return event, _Delivery(url=url, body=body, headers=headers)


def webhook_event_deliver(*, event_id: str) -> WebhookEvent | None:
    """One delivery attempt: claim (short transaction), POST with no transaction open, record the
    outcome under the claim (short transaction). Returns the event (None if another deliverer
    has it or it is finished); the caller (task) schedules the retry."""
    event, delivery = _claim(event_id)
    if delivery is None:
        return event
    try:
        response = requests.post(delivery.url, data=delivery.body, headers=delivery.headers,
                                 timeout=settings.ORBIT["HTTP_TIMEOUT_SECONDS"], allow_redirects=False)
        event.last_status_code = response.status_code
        delivered = 200 <= response.status_code < 300
        event.last_error = "" if delivered else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        delivered = False
        event.last_status_code = None
        event.last_error = f"{type(exc).__name__}: {exc}"[:500]
    now = timezone.now()
    if delivered:
        event.status, event.delivered_at, event.next_attempt_at = WebhookEvent.Status.DELIVERED, now, None
    elif event.attempts >= settings.ORBIT["WEBHOOK_MAX_ATTEMPTS"]:
        event.status, event.next_attempt_at = WebhookEvent.Status.FAILED, None
        logger.warning("Webhook %s to %s failed for good after %s attempts: %s", event.pk,
                       event.organization_id or event.target_url, event.attempts, event.last_error)
    else:
        event.next_attempt_at = event.last_attempt_at + timedelta(seconds=backoff_seconds(event.attempts))
    token = event.claim_token
    event.claim_token, event.claimed_until = "", None
    recorded = WebhookEvent.objects.filter(pk=event.pk, claim_token=token).update(
        status=event.status, last_status_code=event.last_status_code, last_error=event.last_error,
        delivered_at=event.delivered_at, next_attempt_at=event.next_attempt_at, claim_token="", claimed_until=None)
    if not recorded:  # our lease ran out and another deliverer took the event over: its outcome stands
        logger.warning("Webhook %s: delivery outcome dropped, the claim expired during the POST", event.pk)
        return WebhookEvent.objects.filter(pk=event.pk).first()
    return event


def webhook_events_due(*, now=None) -> list[str]:
    """Pending events whose retry time has come (for the beat sweep, in case a task was lost)."""
    now = now or timezone.now()
    return list(WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING, next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("next_attempt_at").values_list("pk", flat=True)[:500])
