"""Top-ups: money a customer pays in through a payment provider, credited to the wallet once.

A TopUp follows its provider intent: ``requires_confirmation`` (created, waiting for a payment
method; also after the provider asked for authentication) → ``processing`` → ``succeeded`` (the
wallet is credited: exactly one TOP_UP ledger entry, referenced ``top_up:<id>``), or ``failed``
(the last attempt was declined; another confirmation may still succeed) or ``cancelled``.
The database ties a succeeded top-up to its ledger entry and nothing else to one.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization
from orbit_numbers.money import format_dollars

from .models import LedgerEntry


def new_top_up_id() -> str:
    return new_id("tup")


class TopUp(models.Model):
    class Status(models.TextChoices):
        REQUIRES_CONFIRMATION = "requires_confirmation", "Requires confirmation"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.CharField(primary_key=True, max_length=32, default=new_top_up_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="top_ups")
    amount_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    provider = models.CharField(max_length=20)
    provider_intent_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.REQUIRES_CONFIRMATION,
                              db_index=True)
    # What the provider said about the last attempt: a decline, or the action the customer must take.
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=255, blank=True, default="")
    next_action = models.CharField(max_length=64, blank=True, default="")
    # Confirmations that did not finish (declined, or authentication asked): part of the provider's
    # idempotency key, so a retry after one is a new attempt while two concurrent confirmations are one.
    attempts = models.PositiveIntegerField(default=0)
    ledger_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="top_up")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="top_up_org_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="top_up_amount_positive"),
            models.CheckConstraint(
                condition=(Q(status="succeeded", ledger_entry__isnull=False, succeeded_at__isnull=False)
                           | (~Q(status="succeeded") & Q(ledger_entry__isnull=True))),
                name="top_up_credited_iff_succeeded"),
        ]

    @property
    def transaction_id(self) -> str | None:
        """The public id (txn_<n>) of the wallet credit, once there is one."""
        return f"txn_{self.ledger_entry.sequence}" if self.ledger_entry_id else None

    def __str__(self) -> str:
        return f"{self.id} {format_dollars(self.amount_cents)} ({self.get_status_display()})"
