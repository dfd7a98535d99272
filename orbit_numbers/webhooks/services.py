"""Webhook endpoints, events and their delivery.

Emit: ``webhook_event_emit`` records the event and, in the caller's transaction, one delivery per
enabled endpoint of the organisation whose event filter matches (fan-out); delivery is queued only
once that transaction commits.

Delivery: POST the JSON envelope ``{"id", "type", "created_at", "data"}`` to the endpoint's URL (or a
staff event's target_url) with ``X-Orbit-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
(one ``v1=`` per valid secret: two during a rotation overlap; the timestamp inside the MAC lets
receivers refuse replays), ``X-Orbit-Event``, ``X-Orbit-Event-Id`` and ``X-Orbit-Delivery-Id``.
Failures retry with exponential backoff up to WEBHOOK_MAX_ATTEMPTS. No lock or transaction is held
while posting: an attempt claims the delivery with a lease first (concurrent deliverers skip it),
and a deliverer that dies mid-POST leaves a lease that runs out, after which the delivery is due
again (at-least-once; receivers dedupe on X-Orbit-Event-Id).

Health: an endpoint's first failure after a success sets ``failing_since``; a success clears it;
one still failing after WEBHOOK_DISABLE_AFTER_DAYS is disabled and the organisation is told
(webhook.endpoint_disabled to its other endpoints, and its contact email).
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

from ..errors import Conflict, NotFound, ValidationFailed
from ..models import ApiKey, Organization
from ..services import audit_record
from .catalogue import EVENT_TYPES
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent, new_webhook_secret
from .targets import resolved_refusal, webhook_url_problem

logger = logging.getLogger(__name__)

ALL_EVENTS = "*"


# --- signing --------------------------------------------------------------------------------------


def webhook_signature(*, secret: str | list[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<mac>[,v1=<mac of the previous secret>]``."""
    secrets_ = [secret] if isinstance(secret, str) else secret
    macs = [hmac.new(s.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest() for s in secrets_]
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


def endpoint_signing_secrets(endpoint: WebhookEndpoint, *, now=None) -> list[str]:
    now = now or timezone.now()
    secrets_ = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_.append(endpoint.previous_secret)
    return secrets_


# --- emitting -------------------------------------------------------------------------------------


def _endpoint_audit_state(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "enabled": endpoint.enabled}


def webhook_event_emit(*, organization: Organization, event_type: str, data: dict) -> WebhookEvent:
    """Record an event in the caller's transaction, with one delivery per enabled endpoint that wants
    it; delivery is queued only once the transaction commits."""
    return webhook_events_emit_many(events=[(organization, event_type, data)])[0]


def webhook_events_emit_many(*, events: list[tuple[Organization, str, dict]]) -> list[WebhookEvent]:
    """``webhook_event_emit`` for a batch of (organization, event_type, data), in a constant number
    of queries (batch sweeps stay O(1) in queries)."""
    if not events:
        return []
    now = timezone.now()
    rows = WebhookEvent.objects.bulk_create([
        WebhookEvent(organization=organization, event_type=event_type, payload=data)
        for organization, event_type, data in events])
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(organization_id__in={row.organization_id for row in rows},
                                                   enabled=True).order_by("pk"):
        endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
    deliveries = [WebhookDelivery(event=row, endpoint=endpoint, organization_id=row.organization_id,
                                  next_attempt_at=now)
                  for row in rows for endpoint in endpoints.get(row.organization_id, ())
                  if endpoint.wants(row.event_type)]
    WebhookDelivery.objects.bulk_create(deliveries)
    from .tasks import deliver_webhook_event

    # Eager Celery (the SQLite demo, no broker) would POST every delivery of a batch inline, inside the
    # caller's request: a finalize of hundreds of numbers waited on hundreds of POSTs. There a batch is
    # left to the deliver-due-webhooks sweep (or `manage.py deliver_webhooks`): its deliveries are due now.
    if len(rows) == 1 or not deliver_webhook_event.app.conf.task_always_eager:
        for event_id in dict.fromkeys(delivery.event_id for delivery in deliveries):
            _deliver_event_on_commit(event_id)
    return rows


def staff_webhook_event_emit(*, url: str, event_type: str, data: dict) -> WebhookEvent:
    """A staff/operations event (no organisation) to ``url``, through the same outbox, retries
    and signature (ORBIT["STAFF_WEBHOOK_SECRET"]) as organisations' events."""
    event = WebhookEvent.objects.create(target_url=url, event_type=event_type, payload=data)
    WebhookDelivery.objects.create(event=event, next_attempt_at=timezone.now())
    _deliver_event_on_commit(event.pk)
    return event


def _deliver_event_on_commit(event_id: str) -> None:
    def enqueue() -> None:
        from .tasks import deliver_webhook_event

        deliver_webhook_event.delay(event_id)

    transaction.on_commit(enqueue)


def _deliver_on_commit(delivery_id: str) -> None:
    def enqueue() -> None:
        from .tasks import deliver_webhook_delivery

        deliver_webhook_delivery.delay(delivery_id)

    transaction.on_commit(enqueue)


# --- endpoints ------------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    problem = webhook_url_problem(url)
    if problem:
        raise ValidationFailed.field("url", problem)


def _check_events(events: list[str]) -> list[str]:
    unknown = [name for name in events if name != ALL_EVENTS and name not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed.field("events", f"unknown event types: {', '.join(sorted(set(unknown)))}")
    if not events:
        raise ValidationFailed.field("events", "must list at least one event type, or \"*\"")
    if ALL_EVENTS in events:
        return [ALL_EVENTS]
    return list(dict.fromkeys(events))


@transaction.atomic
def webhook_endpoint_create(*, organization: Organization, url: str, events: list[str], description: str = "",
                            enabled: bool = True, acting_user=None,
                            acting_key: ApiKey | None = None) -> WebhookEndpoint:
    """Register an endpoint (its new secret is on the returned object, to be shown once)."""
    _check_url(url)
    events = _check_events(events)
    # The organisation row serialises concurrent creates, so the limit holds.
    Organization.objects.select_for_update(of=("self",)).filter(pk=organization.pk).first()
    limit = settings.ORBIT["WEBHOOK_MAX_ENDPOINTS"]
    if WebhookEndpoint.objects.filter(organization=organization).count() >= limit:
        raise Conflict(f"An organisation may register at most {limit} webhook endpoints; delete one first.",
                       details={"limit": limit})
    endpoint = WebhookEndpoint.objects.create(organization=organization, url=url, events=events,
                                              description=description, enabled=enabled)
    audit_record(action="webhook_endpoint.create", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=endpoint, after=_endpoint_audit_state(endpoint))
    return endpoint


def _locked_endpoint(*, organization: Organization, endpoint_id: str) -> WebhookEndpoint:
    endpoint = (WebhookEndpoint.objects.select_for_update(of=("self",))
                .filter(organization=organization, pk=endpoint_id).first())
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, organization: Organization, endpoint_id: str, changes: dict, acting_user=None,
                            acting_key: ApiKey | None = None) -> WebhookEndpoint:
    """Change url, description, events or enabled. ``enabled: true`` re-enables a disabled endpoint
    (its failure clock starts afresh); ``enabled: false`` pauses it (pending deliveries are skipped)."""
    endpoint = _locked_endpoint(organization=organization, endpoint_id=endpoint_id)
    before = _endpoint_audit_state(endpoint)
    if "url" in changes:
        _check_url(changes["url"])
        endpoint.url = changes["url"]
    if "events" in changes:
        endpoint.events = _check_events(changes["events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        if endpoint.enabled:
            endpoint.failing_since, endpoint.disabled_at, endpoint.disabled_reason = None, None, ""
        else:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Disabled by the organisation."
    endpoint.save()
    audit_record(action="webhook_endpoint.update", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=endpoint, before=before, after=_endpoint_audit_state(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, organization: Organization, endpoint_id: str, acting_user=None,
                            acting_key: ApiKey | None = None) -> None:
    """Delete an endpoint and its deliveries (events stay: they are the organisation's record)."""
    endpoint = _locked_endpoint(organization=organization, endpoint_id=endpoint_id)
    audit_record(action="webhook_endpoint.delete", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=endpoint, before=_endpoint_audit_state(endpoint))
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_secret_rotate(*, organization: Organization, endpoint_id: str, overlap_hours: int = 0,
                                   acting_user=None, acting_key: ApiKey | None = None) -> WebhookEndpoint:
    """A new signing secret (on the returned object, to be shown once). With ``overlap_hours`` the
    old one keeps signing too (a second v1=) for that long; with 0 it stops at once."""
    maximum = settings.ORBIT["WEBHOOK_SECRET_MAX_OVERLAP_HOURS"]
    if not 0 <= overlap_hours <= maximum:
        raise ValidationFailed.field("overlap_hours", f"must be between 0 and {maximum}")
    endpoint = _locked_endpoint(organization=organization, endpoint_id=endpoint_id)
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(action="webhook_endpoint.rotate_secret", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=endpoint, after={"overlap_hours": overlap_hours})
    return endpoint


@transaction.atomic
def webhook_endpoint_test(*, organization: Organization, endpoint_id: str, acting_user=None,
                          acting_key: ApiKey | None = None) -> WebhookDelivery:
    """Emit ``webhook.test`` to this endpoint only (whatever its filter; also when disabled, as a check)."""
    endpoint = _locked_endpoint(organization=organization, endpoint_id=endpoint_id)
    event = WebhookEvent.objects.create(organization=organization, event_type="webhook.test",
                                        payload={"message": "A test event from Orbit Numbers."})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, organization=organization,
                                              next_attempt_at=timezone.now())
    audit_record(action="webhook_endpoint.test", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=endpoint, after={"event_id": event.pk, "delivery_id": delivery.pk})
    _deliver_on_commit(delivery.pk)
    return delivery


@transaction.atomic
def webhook_delivery_replay(*, delivery_id: str, organization: Organization | None = None,
                            endpoint_id: str | None = None, acting_user=None,
                            acting_key: ApiKey | None = None) -> WebhookDelivery:
    """Send a delivery again, whatever its status: pending now, with a fresh attempt budget.
    ``organization``/``endpoint_id`` scope the lookup (the API); staff pass neither."""
    rows = WebhookDelivery.objects.select_for_update(of=("self",)).filter(pk=delivery_id)
    if organization is not None:
        rows = rows.filter(organization=organization)
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    delivery = rows.select_related("event").first()
    if delivery is None:
        raise NotFound("No such delivery.")
    now = timezone.now()
    if delivery.claimed_until and delivery.claimed_until > now:
        raise Conflict("This delivery is being attempted right now; replay it once the attempt ends.")
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status, delivery.attempts, delivery.replays = WebhookDelivery.Status.PENDING, 0, delivery.replays + 1
    delivery.next_attempt_at, delivery.claim_token, delivery.claimed_until = now, "", None
    delivery.save(update_fields=["status", "attempts", "replays", "next_attempt_at", "claim_token", "claimed_until"])
    audit_record(action="webhook_delivery.replay", organization=delivery.organization_id and delivery.organization,
                 acting_user=acting_user, acting_key=acting_key, target=delivery, before=before,
                 after={"status": delivery.status, "replays": delivery.replays})
    _deliver_on_commit(delivery.pk)
    return delivery


# --- delivering -----------------------------------------------------------------------------------


def _body(event: WebhookEvent) -> bytes:
    envelope = {"id": event.pk, "type": event.event_type,
                "created_at": event.created_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": event.payload}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def backoff_seconds(attempt: int) -> int:
    """30 s, 60 s, 120 s … capped at an hour."""
    return min(30 * 2 ** max(attempt - 1, 0), 3600)


@dataclass(frozen=True)
class _Post:
    url: str
    body: bytes
    headers: dict
    check_target: bool  # a tenant's URL: resolve and refuse internal addresses before posting


def _claim(delivery_id: str) -> tuple[WebhookDelivery | None, _Post | None]:
    """Short transaction: take a due, unclaimed (or abandoned) delivery for one attempt.
    Returns (None, None) when there is nothing to do, (delivery, None) when it was settled here."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
                    .select_related("event", "endpoint")
                    .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
                    .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).first())
        if delivery is None:  # finished, or another deliverer holds it
            return None, None
        event, endpoint = delivery.event, delivery.endpoint
        if endpoint is None:
            url, secrets_ = event.target_url, [s for s in [settings.ORBIT["STAFF_WEBHOOK_SECRET"]] if s]
        elif endpoint.enabled or event.event_type == "webhook.test":
            url, secrets_ = endpoint.url, endpoint_signing_secrets(endpoint, now=now)
        else:
            delivery.status, delivery.last_attempt_at = WebhookDelivery.Status.SKIPPED, now
            delivery.last_error, delivery.next_attempt_at = "The endpoint is disabled.", None
            delivery.save(update_fields=["status", "last_attempt_at", "last_error", "next_attempt_at"])
            return delivery, None
        # The attempt counts at the claim: a deliverer that crashes mid-POST still used one.
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.claim_token = uuid.uuid4().hex
        delivery.claimed_until = now + timedelta(seconds=settings.ORBIT["WEBHOOK_CLAIM_SECONDS"])
        delivery.save(update_fields=["attempts", "last_attempt_at", "claim_token", "claimed_until"])
    body = _body(event)
    headers = {"Content-Type": "application/json", "User-Agent": "Orbit-Webhooks/1",
               "X-Orbit-Event": event.event_type, "X-Orbit-Event-Id": event.pk, "X-Orbit-Delivery-Id": delivery.pk}
    if secrets_:
        headers["X-Orbit-Signature"] = webhook_signature(secret=secrets_, timestamp=int(time.time()), body=body)
    return delivery, _Post(url=url, body=body, headers=headers, check_target=endpoint is not None)


def webhook_delivery_deliver(*, delivery_id: str) -> WebhookDelivery | None:
    """One delivery attempt: claim (short transaction), POST with no transaction open, record the
    outcome under the claim, then the endpoint's health (short transactions). Returns the delivery
    (None if another deliverer has it or it is finished); the caller (task) schedules the retry."""
    delivery, post = _claim(delivery_id)
    if post is None:
        return delivery
    refusal = resolved_refusal(post.url) if post.check_target else None
    started = time.monotonic()
    if refusal:
        delivered, delivery.last_status_code, delivery.last_error = False, None, refusal[:500]
        delivery.last_response_ms = None
    else:
        try:
            # stream=True and close unread: only the status matters, and a receiver must not make us
            # download an arbitrarily large body.
            response = requests.post(post.url, data=post.body, headers=post.headers, stream=True,
                                     timeout=settings.ORBIT["HTTP_TIMEOUT_SECONDS"], allow_redirects=False)
            response.close()
            delivery.last_status_code = response.status_code
            delivered = 200 <= response.status_code < 300
            delivery.last_error = "" if delivered else f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            delivered = False
            delivery.last_status_code = None
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
        delivery.last_response_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    if delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = WebhookDelivery.Status.DELIVERED, now, None
    elif delivery.attempts >= settings.ORBIT["WEBHOOK_MAX_ATTEMPTS"]:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        logger.warning("Webhook delivery %s of %s to %s failed for good after %s attempts: %s", delivery.pk,
                       delivery.event_id, delivery.endpoint_id or post.url, delivery.attempts, delivery.last_error)
    else:
        delivery.next_attempt_at = delivery.last_attempt_at + timedelta(seconds=backoff_seconds(delivery.attempts))
    token = delivery.claim_token
    delivery.claim_token, delivery.claimed_until = "", None
    recorded = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
        status=delivery.status, last_status_code=delivery.last_status_code, last_error=delivery.last_error,
        last_response_ms=delivery.last_response_ms, delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at, claim_token="", claimed_until=None)
    if not recorded:  # our lease ran out and another deliverer took the row over: its outcome stands
        logger.warning("Webhook delivery %s: outcome dropped, the claim expired during the POST", delivery.pk)
        return WebhookDelivery.objects.filter(pk=delivery.pk).first()
    if delivery.endpoint_id and delivery.event.event_type != "webhook.test":
        webhook_endpoint_health_record(endpoint_id=delivery.endpoint_id, delivered=delivered,
                                       attempted_at=delivery.last_attempt_at)
    return delivery


def webhook_event_deliver(*, event_id: str) -> list[WebhookDelivery]:
    """An attempt for every due delivery of one event (the task queued when the event commits)."""
    now = timezone.now()
    due = (WebhookDelivery.objects.filter(event_id=event_id, status=WebhookDelivery.Status.PENDING,
                                          next_attempt_at__lte=now).order_by("pk").values_list("pk", flat=True))
    return [d for d in (webhook_delivery_deliver(delivery_id=pk) for pk in list(due)) if d is not None]


def webhook_deliveries_due(*, now=None) -> list[str]:
    """Pending deliveries whose retry time has come (for the beat sweep, in case a task was lost)."""
    now = now or timezone.now()
    return list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("next_attempt_at").values_list("pk", flat=True)[:500])


# --- endpoint health ------------------------------------------------------------------------------


def _disable_after() -> timedelta:
    return timedelta(days=settings.ORBIT["WEBHOOK_DISABLE_AFTER_DAYS"])


def webhook_endpoint_health_record(*, endpoint_id: str, delivered: bool, attempted_at) -> None:
    """After an attempt: a success clears ``failing_since``; a failure starts it (or, once it is
    older than WEBHOOK_DISABLE_AFTER_DAYS, disables the endpoint). Its own short transaction."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update(of=("self",)).filter(pk=endpoint_id).first()
        if endpoint is None:
            return
        if delivered:
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = attempted_at
            endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.enabled and timezone.now() - endpoint.failing_since >= _disable_after():
            _endpoint_disable(endpoint)


def _endpoint_disable(endpoint: WebhookEndpoint) -> None:
    """In the caller's transaction, with the endpoint row locked."""
    from ..notifications import organization_notify  # notifications imports this module

    days = settings.ORBIT["WEBHOOK_DISABLE_AFTER_DAYS"]
    endpoint.enabled, endpoint.disabled_at = False, timezone.now()
    endpoint.disabled_reason = f"Every delivery failed for {days} days."
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.SKIPPED, next_attempt_at=None, last_error="The endpoint is disabled.")
    audit_record(action="webhook_endpoint.disable", organization=endpoint.organization, target=endpoint,
                 after={"failing_since": endpoint.failing_since.isoformat(), "reason": endpoint.disabled_reason})
    failing_since = endpoint.failing_since.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    organization_notify(
        organization=endpoint.organization, event_type="webhook.endpoint_disabled",
        data={"endpoint_id": endpoint.pk, "url": endpoint.url, "failing_since": failing_since},
        subject="Your webhook endpoint was disabled",
        body=(f"Every delivery to your webhook endpoint {endpoint.url} ({endpoint.pk}) has failed since "
              f"{failing_since}, so we disabled it after {days} days. Fix the receiver, then re-enable it "
              "(PATCH /api/v1/webhooks/{id} with enabled: true) and replay the deliveries you missed."))
    logger.warning("Webhook endpoint %s of %s disabled: failing since %s", endpoint.pk,
                   endpoint.organization_id, failing_since)


def webhook_endpoints_disable_failing(*, now=None) -> int:
    """Disable every enabled endpoint failing for longer than WEBHOOK_DISABLE_AFTER_DAYS (the beat
    sweep: an endpoint whose retries ran out gets no new attempt to trip the check). One short
    transaction per endpoint, locked in pk order and skipped when another worker holds it."""
    now = now or timezone.now()
    cutoff = now - _disable_after()
    disabled = 0
    for endpoint_id in (WebhookEndpoint.objects.filter(enabled=True, failing_since__lte=cutoff)
                        .order_by("pk").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            endpoint = (WebhookEndpoint.objects.select_for_update(of=("self",), skip_locked=True)
                        .select_related("organization")
                        .filter(pk=endpoint_id, enabled=True, failing_since__lte=cutoff).first())
            if endpoint is not None:
                _endpoint_disable(endpoint)
                disabled += 1
    return disabled


def webhooks_deliver_due(*, now=None) -> dict:
    """The beat job and `manage.py deliver_webhooks`: disable endpoints failing for too long, then
    attempt every due delivery."""
    disabled = webhook_endpoints_disable_failing(now=now)
    due = webhook_deliveries_due(now=now)
    for delivery_id in due:
        webhook_delivery_deliver(delivery_id=delivery_id)
    return {"attempted": len(due), "disabled": disabled}
