"""Caller ID: the CNAM listing (the branded caller name) of an owned US/CA number, the spam labels
analytics providers put on a number, and the tenant's disputes of those labels.

A CnamListing is the caller name a tenant wants shown for one of its numbers; the carrier takes it
from ``pending`` to ``listed`` or ``rejected``. ``failed`` means the carrier could not be reached (or
has no CNAM API) after every attempt; staff retry it. NumberSpamLabel rows are the labels as last
read from the analytics providers (refreshed by the API and a sweep), so readiness and the console
read them without asking a provider. A SpamDispute is tracked by staff to a resolution.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization

__all__ = ["AnalyticsProvider", "CnamListing", "NumberSpamLabel", "SpamDispute", "SpamDisputeNote", "SpamLabelCheck",
           "new_cnam_listing_id", "new_spam_dispute_id"]


def new_cnam_listing_id() -> str:
    return new_id("cnam")


def new_spam_dispute_id() -> str:
    return new_id("spd")


class AnalyticsProvider(models.TextChoices):
    """The call-analytics engines behind the carriers' spam labels."""

    HIYA = "hiya", "Hiya (AT&T)"
    TNS = "tns", "TNS (Verizon)"
    FIRST_ORION = "first_orion", "First Orion (T-Mobile)"


class CnamListing(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending at the carrier"
        LISTED = "listed", "Listed"
        REJECTED = "rejected", "Rejected by the carrier"
        FAILED = "failed", "Submission failed"

    id = models.CharField(primary_key=True, max_length=32, default=new_cnam_listing_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cnam_listings")
    number = models.OneToOneField("inventory.OwnedNumber", on_delete=models.CASCADE, related_name="cnam_listing")
    e164 = models.CharField("number", max_length=16)
    provider = models.CharField(max_length=10, help_text="The carrier of the number, which lists the name.")
    display_name = models.CharField(max_length=15)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The carrier's handle on the listing (the simulator's listing id, Telnyx's phone number id).
    carrier_reference = models.CharField(max_length=100, blank=True, default="")
    reject_code = models.CharField(max_length=40, blank=True, default="")
    reject_reason = models.CharField(max_length=255, blank=True, default="")
    last_error = models.CharField(max_length=255, blank=True, default="")
    submission_attempts = models.PositiveSmallIntegerField(default=0)
    # Bumped by every new name or retry: a carrier answer about an older revision is not applied.
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    listed_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CNAM listing"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="cnam_org_recent"),
            # The refresh sweep only looks at pending listings.
            models.Index(fields=["last_polled_at"], name="cnam_pending_poll", condition=Q(status="pending")),
        ]
        permissions = [("retry_cnam_listing", "Can resubmit a rejected or failed CNAM listing")]

    def __str__(self) -> str:
        return f"{self.e164}: {self.display_name} ({self.status})"


class NumberSpamLabel(models.Model):
    """One label one analytics provider currently shows for a number (as last read)."""

    number = models.ForeignKey("inventory.OwnedNumber", on_delete=models.CASCADE, related_name="spam_labels")
    analytics_provider = models.CharField(max_length=16, choices=AnalyticsProvider.choices)
    label = models.CharField(max_length=60)
    score = models.PositiveSmallIntegerField(help_text="0-100; higher is more likely spam.")
    flagged_at = models.DateTimeField()
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["number", "analytics_provider"]
        constraints = [
            models.UniqueConstraint(fields=["number", "analytics_provider"], name="spam_label_one_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.analytics_provider}: {self.label} ({self.score})"


class SpamLabelCheck(models.Model):
    """When a number's labels were last read from the analytics providers (flagged or not), so the
    sweep reads the stalest numbers first."""

    number = models.OneToOneField("inventory.OwnedNumber", on_delete=models.CASCADE, related_name="spam_label_check")
    checked_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.number_id} checked {self.checked_at:%Y-%m-%d %H:%M}"


OPEN_DISPUTE_STATUSES = ("open", "submitted")


class SpamDispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted to the analytics provider"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    class Resolution(models.TextChoices):
        LABEL_REMOVED = "label_removed", "Label removed"
        LABEL_UPHELD = "label_upheld", "Label upheld"

    id = models.CharField(primary_key=True, max_length=32, default=new_spam_dispute_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="spam_disputes")
    number = models.ForeignKey("inventory.OwnedNumber", on_delete=models.PROTECT, related_name="spam_disputes")
    e164 = models.CharField("number", max_length=16)
    analytics_provider = models.CharField(max_length=16, choices=AnalyticsProvider.choices)
    label = models.CharField(max_length=60)
    score_at_filing = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    contact_email = models.EmailField(max_length=254)
    traffic_description = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default="")
    # What the tenant is told about the outcome (a rejection's reason, the provider's answer).
    resolution_note = models.CharField(max_length=500, blank=True, default="")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one live dispute per number and analytics provider (the 409 of the API).
            models.UniqueConstraint(fields=["number", "analytics_provider"],
                                    condition=Q(status__in=OPEN_DISPUTE_STATUSES), name="spam_dispute_one_open"),
            models.CheckConstraint(condition=Q(status="resolved", resolution__in=["label_removed", "label_upheld"])
                                   | (~Q(status="resolved") & Q(resolution="")),
                                   name="spam_dispute_resolution_iff_resolved"),
        ]
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="spd_org_recent")]
        permissions = [("manage_spam_dispute", "Can assign, annotate and move spam-label disputes")]

    def __str__(self) -> str:
        return f"{self.id} {self.e164} {self.analytics_provider} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES


class SpamDisputeNote(models.Model):
    """Staff's working notes on a dispute (never shown to the tenant)."""

    dispute = models.ForeignKey(SpamDispute, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.dispute_id} at {self.created_at:%Y-%m-%d %H:%M}"
