"""Carrier inventory sync and auto-replenish: which pools are mirrored from which carrier, the log
of each sync run, and the staff policy and orders that buy numbers into our own stock when a pool
runs low. ``inventory.services.inventory_sync`` and ``inventory.services.replenish`` drive them.
"""
from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from . import LineType, LowStockAlert, LowStockThreshold, Provider

__all__ = ["InventorySyncPool", "InventorySyncRun", "ReplenishOrder", "ReplenishPolicy"]


class InventorySyncPool(models.Model):
    """A pool (country × line type) that inventory sync mirrors from one carrier. Staff opt pools in
    one by one: sync retires our rows the carrier stops listing, so it only runs where asked."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US.")
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "country", "line_type"]
        constraints = [models.UniqueConstraint(fields=["provider", "country", "line_type"],
                                               name="inventory_sync_one_per_pool",
                                               violation_error_message="This pool is synced already.")]

    def __str__(self) -> str:
        return f"{self.provider}: {self.country} · {self.get_line_type_display()}"

    def clean(self) -> None:
        self.country = (self.country or "").upper()
        if not phonenumbers.country_code_for_region(self.country):
            raise ValidationError({"country": f"{self.country or '(blank)'} is not an ISO 3166-1 alpha-2 country "
                                              "with a numbering plan."})

    def save(self, *args, **kwargs):
        self.country = self.country.upper()
        super().save(*args, **kwargs)


class InventorySyncRun(models.Model):
    """One sync of one pool: what the carrier listed and what changed in our stock."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "Complete"
        INCOMPLETE = "incomplete", "Incomplete listing: nothing retired"
        FAILED = "failed", "Carrier error: nothing retired"

    provider = models.CharField(max_length=10, choices=Provider.choices)
    country = models.CharField(max_length=2)
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    pages = models.PositiveIntegerField(default=0)
    offered = models.PositiveIntegerField(default=0, help_text="Numbers the carrier listed.")
    added = models.PositiveIntegerField(default=0)
    revived = models.PositiveIntegerField(default=0, help_text="Retired numbers the carrier offers again.")
    updated = models.PositiveIntegerField(default=0, help_text="Available numbers whose price changed.")
    retired = models.PositiveIntegerField(default=0)
    retire_deferred = models.PositiveIntegerField(default=0, help_text="Left for later runs by the per-run cap.")
    errors = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["provider", "country", "line_type", "-started_at"], name="inv_sync_run_pool")]

    def __str__(self) -> str:
        return f"{self.provider} {self.country} {self.line_type} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class ReplenishPolicy(models.Model):
    """Staff's standing order for a low-stock pool: when its alert opens, buy ``quantity`` numbers
    from ``provider`` into our stock, spending at most ``monthly_budget_cents`` per calendar month (UTC)."""

    threshold = models.OneToOneField(LowStockThreshold, on_delete=models.CASCADE, related_name="replenish_policy")
    enabled = models.BooleanField(default=False, help_text="Order automatically when this pool's alert opens.")
    provider = models.CharField(max_length=10, choices=Provider.choices, help_text="The carrier to order from.")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text="Numbers per order.")
    monthly_budget_cents = models.PositiveIntegerField(
        help_text="Most this pool's orders may cost in a calendar month (setup + first month per number), cents.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "replenish policies"
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="replenish_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.threshold.pool_label}: {self.quantity} from {self.provider}"


class ReplenishOrder(models.Model):
    """One automatic order for one low-stock alert (never two: the alert is unique here)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ORDERING = "ordering", "Ordering at the carrier"
        COMPLETED = "completed", "Completed"
        PARTIAL = "partial", "Partially filled"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped: monthly budget spent"

    FINISHED = (Status.COMPLETED, Status.PARTIAL, Status.FAILED, Status.SKIPPED)

    alert = models.OneToOneField(LowStockAlert, null=True, on_delete=models.SET_NULL, related_name="replenish_order")
    threshold = models.ForeignKey(LowStockThreshold, null=True, on_delete=models.SET_NULL,
                                  related_name="replenish_orders")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    country = models.CharField(max_length=2)
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    area_code = models.CharField(max_length=8, blank=True, default="")
    capability = models.CharField(max_length=5, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    quantity_requested = models.PositiveIntegerField()
    # What this order may spend: the month's remaining budget when it was recorded (held until it finishes).
    budget_cents = models.PositiveIntegerField()
    cost_cents = models.PositiveIntegerField(default=0)
    numbers_added = models.PositiveIntegerField(default=0)
    numbers_failed = models.PositiveIntegerField(default=0)
    numbers = models.JSONField(default=list, blank=True, help_text="The numbers bought into stock.")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["threshold", "created_at"], name="replenish_threshold_month")]

    def __str__(self) -> str:
        return f"Replenish {self.country} {self.line_type} from {self.provider} ({self.status})"
