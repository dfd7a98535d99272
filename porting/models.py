"""Porting: numbers coming in (PortRequest), numbers going out (PortOutRequest), and the PIN
that guards a number against hijacked port-outs (PortOutProtection).

Port-in timeline: submitted → validating_loa → carrier_review → foc_assigned → foc_scheduled →
completed, or rejected (7-day supplement window) / cancelled. Secrets (the carrier account PIN,
the port-out PIN) are stored encrypted / scrypt-hashed and never rendered anywhere.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import OwnedNumber
from orbit_numbers.files.models import StoredFile
from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization


class DispatchAction(models.TextChoices):
    CREATE = "create", "Placing the carrier order"
    SUPPLEMENT = "supplement", "Sending a supplement"
    CANCEL = "cancel", "Cancelling at the carrier"


class DispatchClaim(models.Model):
    """A request being sent to its carrier. The claim commits before the carrier call (which runs
    with no transaction open) and the result is applied only by the holder of the token; the
    poller and every other write leave a claimed request alone. A claim older than
    PORT_DISPATCH_CLAIM_SECONDS belongs to a process that died: ``port_dispatch_claims_sweep``
    settles it."""

    dispatch_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    dispatch_action = models.CharField(max_length=12, choices=DispatchAction.choices, blank=True, default="")
    dispatch_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_dispatching(self) -> bool:
        return bool(self.dispatch_token)


def new_port_request_id() -> str:
    return new_id("port")


def new_port_out_id() -> str:
    return new_id("pout")


class PortStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    VALIDATING_LOA = "validating_loa", "Validating LoA"
    CARRIER_REVIEW = "carrier_review", "Carrier review"
    FOC_ASSIGNED = "foc_assigned", "FOC assigned"
    FOC_SCHEDULED = "foc_scheduled", "FOC scheduled"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# The happy path, in order; rejected/cancelled leave it.
PORT_IN_STAGES = [PortStatus.SUBMITTED, PortStatus.VALIDATING_LOA, PortStatus.CARRIER_REVIEW,
                  PortStatus.FOC_ASSIGNED, PortStatus.FOC_SCHEDULED, PortStatus.COMPLETED]
# With the carrier: the poller asks for news.
CARRIER_STAGES = [PortStatus.CARRIER_REVIEW, PortStatus.FOC_ASSIGNED, PortStatus.FOC_SCHEDULED]
TERMINAL = [PortStatus.COMPLETED, PortStatus.CANCELLED]


class LoaSignatureStatus(models.TextChoices):
    MISSING = "missing", "Missing"
    DRAFT = "draft", "Draft (uploaded, not signed)"
    SIGNED = "signed", "Signed"


class PortRequest(DispatchClaim):
    class Handling(models.TextChoices):
        API = "api", "Carrier API"
        MANUAL = "manual", "By hand (staff record carrier progress)"

    class RejectedBy(models.TextChoices):
        STAFF = "staff", "Orbit LoA review"
        CARRIER = "carrier", "Carrier"

    class ChargeStatus(models.TextChoices):
        NONE = "none", "Not due yet"
        CHARGED = "charged", "First month charged"
        DEFERRED = "deferred", "Wallet short at completion; first month unpaid"

    id = models.CharField(primary_key=True, max_length=32, default=new_port_request_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="port_requests")
    status = models.CharField(max_length=16, choices=PortStatus.choices, default=PortStatus.SUBMITTED,
                              db_index=True)
    numbers = models.JSONField(default=list, help_text="E.164 numbers to port in.")
    # Blank: the customer gave no country → stored for hand-processing, never dispatched automatically.
    country = models.CharField(max_length=2, blank=True, default="")
    provider = models.CharField(max_length=10, blank=True, default="")
    current_carrier = models.CharField(max_length=200)
    account_number = models.CharField(max_length=100, blank=True, default="")
    # Fernet ciphertext of the losing carrier's account PIN: the carrier needs the clear value,
    # so it is encrypted (not hashed) and only decrypted to dispatch.
    account_pin_encrypted = models.TextField(blank=True, default="", editable=False)
    authorized_signer = models.CharField(max_length=200, blank=True, default="")
    service_address = models.JSONField(null=True, blank=True)
    loa_file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    loa_signature_status = models.CharField(max_length=8, choices=LoaSignatureStatus.choices,
                                            default=LoaSignatureStatus.MISSING)
    loa_signer_name = models.CharField(max_length=200, blank=True, default="")
    loa_signer_email = models.EmailField(blank=True, default="")
    loa_signed_at = models.DateTimeField(null=True, blank=True)
    class LoaMode(models.TextChoices):
        LOA_URL = "loa_url", "Signed LoA URL given at submission"
        MANUAL = "manual", "Manual (LoA attached and signed afterwards)"

    loa_mode = models.CharField(max_length=8, choices=LoaMode.choices, default=LoaMode.MANUAL)
    handling = models.CharField(max_length=8, choices=Handling.choices, default=Handling.API)
    provider_order_id = models.CharField(max_length=100, blank=True, default="")
    provider_status = models.CharField(max_length=50, blank=True, default="")
    # The carrier's firm order commitment date, once it gives one.
    foc_date = models.DateField(null=True, blank=True)
    reject_code = models.CharField(max_length=50, blank=True, default="")
    reject_reason = models.CharField(max_length=1000, blank=True, default="")
    rejected_by = models.CharField(max_length=8, choices=RejectedBy.choices, blank=True, default="")
    rejected_at = models.DateTimeField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=1000, blank=True, default="")
    charge_status = models.CharField(max_length=8, choices=ChargeStatus.choices, default=ChargeStatus.NONE)
    # The FOC clock: set once at submission, never reset by a supplement.
    submitted_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="port_org_recent"),
        ]
        permissions = [("review_loa", "Can approve or reject port-in LoAs")]
        verbose_name = "port-in request"

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def account_pin_provided(self) -> bool:
        return bool(self.account_pin_encrypted)

    @property
    def is_dispatched(self) -> bool:
        return bool(self.provider_order_id) or self.dispatched_at is not None


class PortInNumber(models.Model):
    """One number of a port-in. ``active`` while its request can still bring it in, so the
    database refuses two open ports of the same number."""

    port_request = models.ForeignKey(PortRequest, on_delete=models.CASCADE, related_name="lines")
    e164 = models.CharField(max_length=16)
    active = models.BooleanField(default=True)
    owned_number = models.ForeignKey(OwnedNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["e164"], condition=Q(active=True),
                                               name="one_open_port_in_per_number")]

    def __str__(self) -> str:
        return self.e164


class PortRequestEvent(models.Model):
    """When a port-in entered each stage (the timeline), with a note."""

    port_request = models.ForeignKey(PortRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=PortStatus.choices)
    note = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.port_request_id}: {self.status}"


class PortOutStatus(models.TextChoices):
    PENDING = "pending", "Pending at carrier"
    FOC_SCHEDULED = "foc_scheduled", "FOC scheduled"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


PORT_OUT_OPEN = [PortOutStatus.PENDING, PortOutStatus.FOC_SCHEDULED]


class PortOutRequest(DispatchClaim):
    id = models.CharField(primary_key=True, max_length=32, default=new_port_out_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="port_out_requests")
    status = models.CharField(max_length=16, choices=PortOutStatus.choices, default=PortOutStatus.PENDING,
                              db_index=True)
    provider = models.CharField(max_length=10)
    provider_order_id = models.CharField(max_length=100, blank=True, default="")
    provider_status = models.CharField(max_length=50, blank=True, default="")
    destination_carrier = models.CharField(max_length=200, blank=True, default="")
    target_carrier_ocn = models.CharField(max_length=8, blank=True, default="")
    losing_carrier_account_number = models.CharField(max_length=100, blank=True, default="")
    authorized_person = models.CharField(max_length=200, blank=True, default="")
    new_owner_info = models.TextField(max_length=2000, blank=True, default="")
    foc_date = models.DateField(null=True, blank=True)
    reject_code = models.CharField(max_length=50, blank=True, default="")
    reject_reason = models.CharField(max_length=1000, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="pout_org_recent")]
        verbose_name = "port-out request"

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class PortOutNumber(models.Model):
    port_out = models.ForeignKey(PortOutRequest, on_delete=models.CASCADE, related_name="lines")
    owned_number = models.ForeignKey(OwnedNumber, on_delete=models.PROTECT, related_name="+")
    e164 = models.CharField(max_length=16)
    # What the number was before porting_out, restored if the port-out is cancelled or rejected.
    previous_status = models.CharField(max_length=16)

    def __str__(self) -> str:
        return self.e164


class PortOutProtection(models.Model):
    """Port-Out Protection of one owned number: a scrypt hash (random per-number salt) of the
    PIN, and the wrong-PIN counter behind the lockout."""

    number = models.OneToOneField(OwnedNumber, on_delete=models.CASCADE, related_name="port_out_protection")
    pin_hash = models.CharField(max_length=256, blank=True, default="", editable=False)
    set_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "port-out protection"
        permissions = [("reset_pin", "Can reset a lost port-out PIN and its lock")]

    def __str__(self) -> str:
        return f"{self.number.e164}: {'enabled' if self.enabled else 'disabled'}"

    @property
    def enabled(self) -> bool:
        return bool(self.pin_hash)
