"""The trial pool: numbers the platform keeps provisioned at their carrier and lends, free, to
trial organisations for a limited time.

A pool row (TrialPoolNumber) is off sale (inventory status ``reserved``) for as long as it is in
the pool; lending it opens an ordinary tenure (OwnedNumber, ``source=trial``, monthly 0) tracked
by a TrialLoan, which ends when it is reclaimed at expiry, returned, or converted into a paid
number (the same tenure, charged from then on).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization

__all__ = ["TrialAllowance", "TrialLoan", "TrialPoolNumber", "new_trial_loan_id"]


def new_trial_loan_id() -> str:
    return new_id("trl")


class TrialPoolNumber(models.Model):
    """An inventory row set aside for trial loans (kept off sale while it is here)."""

    phone_number = models.OneToOneField("PhoneNumber", on_delete=models.PROTECT, related_name="trial_pool")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "trial pool number"

    def __str__(self) -> str:
        return str(self.phone_number)


class TrialAllowance(models.Model):
    """What staff allow one trial organisation: how many numbers at once, for how long each."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="trial_allowance")
    max_numbers = models.PositiveSmallIntegerField(default=1, help_text="Loans open at the same time.")
    loan_days = models.PositiveSmallIntegerField(default=14, help_text="How long each loan lasts.")
    active_until = models.DateTimeField(help_text="No new loan after this; open loans still end at their expiry.")
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(max_numbers__gte=1), name="trial_allowance_at_least_one"),
            models.CheckConstraint(condition=Q(loan_days__gte=1), name="trial_allowance_at_least_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.max_numbers} × {self.loan_days} days"


class TrialLoan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RECLAIMED = "reclaimed", "Reclaimed at expiry"
        RETURNED = "returned", "Returned early"
        CONVERTED = "converted", "Converted to a paid number"

    id = models.CharField(primary_key=True, max_length=32, default=new_trial_loan_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="trial_loans")
    pool_number = models.ForeignKey(TrialPoolNumber, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="loans")
    number = models.OneToOneField("OwnedNumber", on_delete=models.PROTECT, related_name="trial_loan")
    e164 = models.CharField("number", max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    lent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The one "expires soon" warning (a redelivered job does not warn twice).
    warned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-lent_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-lent_at", "-id"], name="trial_loan_org_recent"),
            models.Index(fields=["expires_at"], name="trial_loan_active_expiry", condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"{self.e164} → {self.organization} ({self.status})"
