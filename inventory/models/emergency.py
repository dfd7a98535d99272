"""E911: the dispatchable addresses an organisation registers, and their provisioning on numbers.

ADR 010 ("block and disclaim"): emergency calling is blocked on a number until a dispatchable
address is provisioned for it at the carrier. An ``EmergencyAddress`` is stored as the carrier
normalised it (validated once, at creation); an ``EmergencyAssignment`` ties one owned number to
one address and follows the carrier: pending → provisioned | failed (and removing while a detach
is being sent to the carrier).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization

__all__ = ["EMERGENCY_COUNTRIES", "EmergencyAddress", "EmergencyAssignment", "new_emergency_address_id"]

# Countries whose dispatchable addresses the carriers validate and provision (E911 / NG911).
EMERGENCY_COUNTRIES = ("US", "CA")


def new_emergency_address_id() -> str:
    return new_id("ea")


class EmergencyAddress(models.Model):
    class Validation(models.TextChoices):
        VALID = "valid", "Valid as submitted"
        CORRECTED = "corrected", "Valid after the carrier's corrections"

    id = models.CharField(primary_key=True, max_length=32, default=new_emergency_address_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="emergency_addresses")
    # Who emergency services will ask for: the caller's or the business's name.
    caller_name = models.CharField(max_length=100)
    business_name = models.CharField(max_length=100, blank=True, default="")
    street_number = models.CharField(max_length=20)
    street_name = models.CharField(max_length=100)
    unit = models.CharField(max_length=50, blank=True, default="", help_text="Apartment, suite, floor …")
    city = models.CharField(max_length=100)
    state = models.CharField("state / province", max_length=2, help_text="USPS / Canada Post code, e.g. CA, ON.")
    postal_code = models.CharField(max_length=10)
    country = models.CharField(max_length=2)
    # The address as the customer sent it, and what the carrier changed in it.
    submitted = models.JSONField(default=dict, blank=True)
    validation = models.CharField(max_length=10, choices=Validation.choices, default=Validation.VALID)
    corrected_fields = models.JSONField(default=list, blank=True)
    # The carrier that validated it, its reference for the validation, and the address records
    # created at each carrier that provisions it ({provider: carrier address id}).
    validated_by = models.CharField(max_length=10, blank=True, default="")
    carrier_reference = models.CharField(max_length=100, blank=True, default="")
    carrier_address_ids = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "emergency addresses"
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="e911_addr_org_recent")]

    def __str__(self) -> str:
        return f"{self.one_line} ({self.caller_name})"

    @property
    def one_line(self) -> str:
        street = f"{self.street_number} {self.street_name}" + (f" {self.unit}" if self.unit else "")
        return f"{street}, {self.city}, {self.state} {self.postal_code}, {self.country}"


class EmergencyAssignment(models.Model):
    """The emergency address of one owned number, as provisioned (or being provisioned) at its carrier."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending at the carrier"
        PROVISIONED = "provisioned", "Provisioned"
        FAILED = "failed", "Failed"
        REMOVING = "removing", "Being removed at the carrier"
        REMOVAL_FAILED = "removal_failed", "Removal failed"

    # What the tenant API shows as ``emergency.status`` (a detached address shows as none).
    PUBLIC_STATUSES = (Status.PENDING, Status.PROVISIONED, Status.FAILED)
    RETRYABLE_STATUSES = (Status.FAILED, Status.REMOVAL_FAILED)
    IN_FLIGHT_STATUSES = (Status.PENDING, Status.REMOVING)

    number = models.OneToOneField("inventory.OwnedNumber", on_delete=models.CASCADE, related_name="emergency")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    address = models.ForeignKey(EmergencyAddress, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="assignments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=10, help_text="The number's carrier when the request was made.")
    # Every attach, detach or retry gets a new token; a carrier answer is applied only to its own request.
    request_token = models.CharField(max_length=32)
    attempts = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    carrier_reference = models.CharField(max_length=100, blank=True, default="")
    requested_at = models.DateTimeField()
    provisioned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("retry_emergency_provisioning", "Can retry failed E911 provisioning")]
        indexes = [
            # The console lists failures first; the sweep looks for requests still in flight.
            models.Index(fields=["status", "-updated_at"], name="e911_assign_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(address__isnull=False) | Q(status__in=["removing", "removal_failed"]),
                                   name="e911_assignment_has_address_unless_removing"),
        ]

    def __str__(self) -> str:
        return f"{self.number_id}: {self.status}"

    @property
    def public_status(self) -> str | None:
        return self.status if self.status in self.PUBLIC_STATUSES else None
