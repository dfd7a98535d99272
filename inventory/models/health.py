"""Number health and reputation: daily usage counters of an owned number, the health score computed
from them (with its factors), and the reputation alerts a falling score opens.

Counters arrive from the tenant (POST /numbers/usage) or from the staff feed of the switch's CDRs
(``manage.py ingest_number_usage``). ``inventory.services.health`` scores them.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.models import Organization

from . import OwnedNumber

__all__ = ["USAGE_COUNTERS", "NumberHealth", "NumberUsageDay", "ReputationAlert"]

# The counters of one number's day, in the order feeds, the API and the console list them.
USAGE_COUNTERS = ("messages_sent", "messages_delivered", "messages_failed", "calls_placed", "calls_answered",
                  "complaints", "spam_flags")


class NumberUsageDay(models.Model):
    """One owned number's traffic on one UTC day. A re-sent day replaces the counters it carries."""

    class Source(models.TextChoices):
        API = "api", "Tenant API"
        FEED = "feed", "Switch/CDR feed"
        DEMO = "demo", "Demo seed"

    number = models.ForeignKey(OwnedNumber, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    messages_sent = models.PositiveIntegerField(default=0)
    messages_delivered = models.PositiveIntegerField(default=0)
    messages_failed = models.PositiveIntegerField(default=0)
    calls_placed = models.PositiveIntegerField(default=0)
    calls_answered = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0, help_text="Recipients' complaints (STOP-as-spam, reports).")
    spam_flags = models.PositiveIntegerField(default=0, help_text="Flags raised by call/message analytics.")
    source = models.CharField(max_length=4, choices=Source.choices, default=Source.API)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "number_id"]
        verbose_name = "number usage day"
        constraints = [models.UniqueConstraint(fields=["number", "day"], name="one_usage_row_per_number_day")]
        indexes = [models.Index(fields=["day"], name="usage_day")]

    def __str__(self) -> str:
        return f"{self.number_id} {self.day}"


class NumberHealth(models.Model):
    """The last computed health of an owned number (0-100, higher is better) and its factors."""

    number = models.OneToOneField(OwnedNumber, on_delete=models.CASCADE, primary_key=True, related_name="health")
    # Denormalised from the number: tenant lists filter and sort on (organization, score) in one index.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    previous_score = models.PositiveSmallIntegerField(null=True, blank=True)
    factors = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "number health"
        verbose_name_plural = "number health"
        permissions = [("recompute_number_health", "Can recompute number health scores from the console")]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="health_score_at_most_100")]
        indexes = [
            models.Index(fields=["score", "number"], name="health_worst_first"),
            models.Index(fields=["organization", "score", "number"], name="health_org_worst_first"),
        ]

    def __str__(self) -> str:
        return f"{self.number_id}: {self.score}"

    @property
    def change(self) -> int | None:
        return None if self.previous_score is None else self.score - self.previous_score


class ReputationAlert(models.Model):
    """A number's score fell sharply or below the floor; open until it recovers. One open per number."""

    class Reason(models.TextChoices):
        DROP = "drop", "Score dropped sharply"
        FLOOR = "floor", "Score below the floor"
        BOTH = "both", "Dropped sharply, below the floor"

    number = models.ForeignKey(OwnedNumber, on_delete=models.CASCADE, related_name="reputation_alerts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=5, choices=Reason.choices)
    score_before = models.PositiveSmallIntegerField(null=True, blank=True)
    score_at_open = models.PositiveSmallIntegerField()
    # The alert resolves once a computed score reaches this (set when it opens).
    recovery_score = models.PositiveSmallIntegerField()
    factors_at_open = models.JSONField(default=list)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    score_at_resolve = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=Q(resolved_at__isnull=True),
                                    name="one_open_reputation_alert_per_number"),
        ]
        indexes = [
            models.Index(fields=["-opened_at"], name="reputation_alert_open", condition=Q(resolved_at__isnull=True)),
            models.Index(fields=["-opened_at", "-id"], name="reputation_alert_recent"),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.number_id}: {self.get_reason_display()} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
