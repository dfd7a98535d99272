from __future__ import annotations

import secrets

from django.db import models

from ..ids import new_id
from ..models import Organization


def new_event_id() -> str:
    return new_id("evt")


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def new_endpoint_id() -> str:
    return new_id("we")


def new_delivery_id() -> str:
    return new_id("whd")


class WebhookEndpoint(models.Model):
    """Where an organisation receives events: a URL, the event types it wants (``events``: catalogue
    names, or ``["*"]`` for all) and the secret its deliveries are signed with. The secret is stored
    in clear because signing needs it; the API shows it only in the create and rotate responses.
    After a rotation the previous secret also signs (a second ``v1=``) until
    ``previous_secret_expires_at``, so receivers can switch without losing events."""

    id = models.CharField(primary_key=True, max_length=32, default=new_endpoint_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list, help_text='Catalogue event types, or ["*"] for every event.')
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, default=new_webhook_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, help_text=(
        "First failed attempt since the last success; disabled after WEBHOOK_DISABLE_AFTER_DAYS of failures."))
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="webhook_endpoint_org_recent")]

    def __str__(self) -> str:
        return f"{self.url} ({self.organization_id})"

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class WebhookEvent(models.Model):
    """One event, the immutable record of what happened: for an organisation (delivered to each of its
    enabled endpoints whose filter matches, one WebhookDelivery each), or a staff/operations event
    with its own ``target_url`` and no organisation (signed with ORBIT["STAFF_WEBHOOK_SECRET"] when
    set). Written in the business transaction with its deliveries; the deliveries carry the
    attempts, claims and backoff."""

    id = models.CharField(primary_key=True, max_length=32, default=new_event_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_events",
                                     null=True, blank=True)
    target_url = models.URLField(max_length=500, blank=True, default="",
                                 help_text="Staff/operations events only: where they are posted.")
    event_type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="webhook_org_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(organization__isnull=False) | ~models.Q(target_url=""),
                                   name="webhook_event_has_a_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.organization or self.target_url}"


class WebhookDelivery(models.Model):
    """One event to one endpoint (or a staff event to its target_url: no endpoint): the outbox row.

    Delivery holds no lock while it POSTs: a deliverer claims the row (``claim_token``, lease until
    ``claimed_until``) in a short transaction, posts, then records the outcome only if the claim is
    still its own. A crashed deliverer's lease runs out and the delivery is retried."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (retries exhausted)"
        SKIPPED = "skipped", "Skipped (endpoint disabled or deleted)"

    id = models.CharField(primary_key=True, max_length=32, default=new_delivery_id, editable=False)
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 null=True, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_deliveries",
                                     null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts since creation or the last replay.")
    replays = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        permissions = [("replay_webhookdelivery", "Can replay a webhook delivery")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], condition=models.Q(endpoint__isnull=False),
                                    name="webhook_delivery_once_per_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id or 'staff'} ({self.status})"
