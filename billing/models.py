"""One wallet per organisation and its append-only ledger (integer cents).

Rules the database enforces: a balance is never negative; every entry records the balance after
it; entries are numbered 1, 2, 3 … per wallet (unique), so two concurrent writers cannot both
append entry N. On PostgreSQL, triggers also forbid UPDATE/DELETE of entries and check that each
entry continues the chain (previous balance + amount = balance_after) and that the wallet's
cached balance equals its last entry (migration 0002).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from orbit_numbers.models import Organization
from orbit_numbers.money import format_dollars


class Wallet(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="wallet")
    balance_cents = models.BigIntegerField(default=0)
    last_sequence = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance_cents__gte=0), name="wallet_balance_non_negative")]
        permissions = [("adjust_wallet", "Can credit or debit a wallet with a staff adjustment")]

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
            models.CheckConstraint(
                condition=(Q(kind__in=["top_up", "refund"], amount_cents__gt=0)
                           | Q(kind__in=["setup_fee", "monthly_fee", "porting_fee"], amount_cents__lt=0)
                           | Q(kind="adjustment")),
                name="ledger_amount_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["wallet", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.amount_cents:+d}¢ → {self.balance_after_cents}¢"
