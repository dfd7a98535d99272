"""One wallet per organisation and its append-only ledger (integer cents).

Rules the database enforces: a balance is never negative; every entry records the balance after
it; entries are numbered 1, 2, 3 … per wallet (unique), so two concurrent writers cannot both
append entry N. On PostgreSQL, triggers also forbid UPDATE/DELETE of entries and check that each
entry continues the chain (previous balance + amount = balance_after) and that the wallet's
cached balance equals its last entry (migration 0002).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from orbit_numbers.models import Organization
from orbit_numbers.money import format_dollars


class Wallet(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="wallet")
    balance_cents = models.BigIntegerField(default=0)
    last_sequence = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)
    # The balance under which the organisation is told its wallet runs low; null: ORBIT["LOW_WALLET_THRESHOLD_CENTS"].
    low_balance_threshold_cents = models.PositiveBigIntegerField(null=True, blank=True)
    # Set when the low-balance notice went out; cleared once the balance is back at or above the threshold.
    low_balance_alerted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance_cents__gte=0), name="wallet_balance_non_negative")]
        permissions = [("adjust_wallet", "Can credit or debit a wallet with a staff adjustment"),
                       ("set_low_balance_threshold", "Can set a wallet's low-balance threshold")]

    def __str__(self) -> str:
        return f"{self.organization} · {format_dollars(self.balance_cents)}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        TOP_UP = "top_up", "Top-up"
        SETUP_FEE = "setup_fee", "Setup fee"
        MONTHLY_FEE = "monthly_fee", "Monthly fee"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"
        PORTING_FEE = "porting_fee", "Porting fee"
        LOOKUP_FEE = "lookup_fee", "Number lookup fee"
        CNAM_DIP_FEE = "cnam_dip_fee", "CNAM dip fee"

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_cents = models.BigIntegerField()
    balance_after_cents = models.BigIntegerField()
    description = models.CharField(max_length=255, blank=True, default="")
    # What this entry pays for, e.g. "number:num_…" or "reservation:bres_…".
    reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sequence"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["wallet", "sequence"], name="ledger_sequence_unique_per_wallet"),
            models.CheckConstraint(condition=Q(balance_after_cents__gte=0), name="ledger_balance_after_non_negative"),
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_amount_non_zero"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="ledger_sequence_positive"),
            # A top-up is credited once: its entry's reference ("top_up:<id>") appears once.
            models.UniqueConstraint(fields=["reference"], condition=Q(kind="top_up", reference__startswith="top_up:"),
                                    name="ledger_top_up_reference_unique"),
            models.CheckConstraint(
                condition=(Q(kind__in=["top_up", "refund"], amount_cents__gt=0)
                           | Q(kind__in=["setup_fee", "monthly_fee", "porting_fee", "lookup_fee", "cnam_dip_fee"],
                             amount_cents__lt=0)
                           | Q(kind="adjustment")),
                name="ledger_amount_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["wallet", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.amount_cents:+d}¢ → {self.balance_after_cents}¢"


class WalletAdjustmentRequest(models.Model):
    """A staff adjustment above ORBIT["WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS"], waiting for a
    second staff member: approving posts it to the ledger, rejecting closes it. The database
    refuses a decision by the requester and a decision that does not match the status."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # PROTECT: staff who asked for or decided on money movements are deactivated, never deleted.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=255, blank=True, default="")
    ledger_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_wallet_adjustment",
                        "Can approve or reject a wallet adjustment another staff member requested")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="adjustment_request_amount_non_zero"),
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")),
                                   name="adjustment_request_decided_by_someone_else"),
            models.CheckConstraint(
                condition=(Q(status="pending", decided_by__isnull=True, decided_at__isnull=True,
                             ledger_entry__isnull=True)
                           | Q(status="approved", decided_by__isnull=False, decided_at__isnull=False,
                               ledger_entry__isnull=False)
                           | Q(status="rejected", decided_by__isnull=False, decided_at__isnull=False,
                               ledger_entry__isnull=True)),
                name="adjustment_request_decision_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {format_dollars(self.amount_cents)} ({self.get_status_display()})"


from .models_top_ups import TopUp  # noqa: E402  (a model of this app, in its own module)

__all__ = ["Wallet", "LedgerEntry", "WalletAdjustmentRequest", "TopUp"]
