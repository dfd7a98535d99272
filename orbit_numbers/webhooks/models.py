from __future__ import annotations

import secrets

from django.db import models

from ..ids import new_id
from ..models import Organization


def new_event_id() -> str:
    return new_id("evt")


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSecret(models.Model):
    """The key an organisation verifies our signatures with. Stored in clear because signing
    needs it (a hash cannot sign); shown to the organisation by staff, never in API bodies."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="webhook_secret")
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Webhook secret of {self.organization}"


class WebhookEvent(models.Model):
    """One event (the outbox): for an organisation (its webhook_url, signed with its secret), or a
    staff/operations event with its own ``target_url`` and no organisation (signed with
    ORBIT["STAFF_WEBHOOK_SECRET"] when set). Written in the business transaction; delivered by a
    Celery task dispatched on commit, retried with backoff.

    Delivery holds no lock while it POSTs: a deliverer claims the event (``claim_token``, lease
    until ``claimed_until``) in a short transaction, posts, then records the outcome only if the
    claim is still its own. A crashed deliverer's lease runs out and the event is retried."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (retries exhausted)"
        SKIPPED = "skipped", "Skipped (no webhook URL)"

    id = models.CharField(primary_key=True, max_length=32, default=new_event_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_events",
                                     null=True, blank=True)
    target_url = models.URLField(max_length=500, blank=True, default="",
                                 help_text="Staff/operations events only: where they are posted.")
    event_type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["organization", "-created_at"], name="webhook_org_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(organization__isnull=False) | ~models.Q(target_url=""),
                                   name="webhook_event_has_a_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.organization or self.target_url} ({self.status})"
