"""Numbers: the sellable inventory (PhoneNumber) and the numbers customers own (OwnedNumber).

A PhoneNumber row is one E.164 number at one carrier: available → reserved → assigned.
An OwnedNumber is one organisation's tenure of it: active / inactive / regulatory_hold /
porting_out / released. A partial unique constraint allows at most one live (not released)
tenure per PhoneNumber, so the database itself makes a double sale impossible.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization


def new_number_id() -> str:
    return new_id("num")


def new_compliance_profile_id() -> str:
    return new_id("cp")


class Provider(models.TextChoices):
    DEVOTEL = "devotel", "Devotel"
    TELNYX = "telnyx", "Telnyx"
    DIDWW = "didww", "DIDWW"


class LineType(models.TextChoices):
    LOCAL = "local", "Local"
    MOBILE = "mobile", "Mobile"
    TOLL_FREE = "toll_free", "Toll-free"


class InventoryStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    RESERVED = "reserved", "Reserved"
    ASSIGNED = "assigned", "Assigned"


# Capability flags are columns, not an array: portable (SQLite for the demo) and indexable.
CAPABILITY_FIELDS = {"sms": "cap_sms", "mms": "cap_mms", "voice": "cap_voice", "fax": "cap_fax"}


class PhoneNumber(models.Model):
    e164 = models.CharField("number", max_length=16, unique=True)
    provider = models.CharField(max_length=10, choices=Provider.choices, db_index=True)
    # The carrier-scoped inventory id shown as `id` in search results and forwarded on purchase.
    provider_ref = models.CharField(max_length=64, unique=True)
    country = models.CharField(max_length=2)
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    region = models.CharField(max_length=100, blank=True, default="")
    area_code = models.CharField(max_length=8, blank=True, default="")
    national_number = models.CharField(max_length=20)
    cap_sms = models.BooleanField("SMS", default=False)
    cap_mms = models.BooleanField("MMS", default=False)
    cap_voice = models.BooleanField("voice", default=False)
    cap_fax = models.BooleanField("fax", default=False)
    sms_two_way = models.BooleanField(default=False)
    monthly_cents = models.PositiveIntegerField()
    setup_cents = models.PositiveIntegerField(default=0)
    activation_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=InventoryStatus.choices, default=InventoryStatus.AVAILABLE)
    # A released number rests until then before it is offered again.
    aging_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(line_type="toll_free", sms_two_way=True),
                                   name="toll_free_never_two_way_sms"),
            models.CheckConstraint(condition=~Q(sms_two_way=True, cap_sms=False), name="two_way_sms_needs_sms"),
        ]
        indexes = [
            models.Index(fields=["country", "line_type", "monthly_cents", "id"], name="inv_available_search",
                         condition=Q(status="available")),
            models.Index(fields=["country", "area_code"], name="inv_available_area",
                         condition=Q(status="available")),
            models.Index(fields=["status", "country", "line_type"], name="inv_status_pool"),
        ]
        permissions = [("export_numbers", "Can export numbers (CSV/JSON) from the console")]

    def __str__(self) -> str:
        return self.e164

    @property
    def capabilities(self) -> list[str]:
        return [name for name, field in CAPABILITY_FIELDS.items() if getattr(self, field)]


class RegulatedCountry(models.Model):
    """Countries where a number needs an approved compliance profile before it activates."""

    country = models.CharField(max_length=2, primary_key=True)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name_plural = "regulated countries"

    def __str__(self) -> str:
        return self.country


class ComplianceProfile(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    id = models.CharField(primary_key=True, max_length=32, default=new_compliance_profile_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="compliance_profiles")
    name = models.CharField(max_length=200)
    countries = models.JSONField(default=list, help_text="ISO alpha-2 codes this profile covers.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def covers(self, country: str) -> bool:
        return self.status == self.Status.APPROVED and country in self.countries


class OwnedNumber(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        REGULATORY_HOLD = "regulatory_hold", "Regulatory hold"
        PORTING_OUT = "porting_out", "Porting out"
        RELEASED = "released", "Released"

    class Source(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        BULK = "bulk", "Bulk purchase"
        ORDER = "order", "Assign order"
        RESERVATION = "reservation", "Bulk reservation"
        PORT_IN = "port_in", "Port-in"
        STAFF = "staff", "Staff"

    id = models.CharField(primary_key=True, max_length=32, default=new_number_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="numbers")
    phone_number = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="tenures")
    e164 = models.CharField("number", max_length=16, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PURCHASE)
    label = models.CharField(max_length=100, blank=True, default="")
    capabilities = models.JSONField(default=list)
    forwarding_number = models.CharField(max_length=16, blank=True, default="")
    sms_forwarding = models.CharField(max_length=16, blank=True, default="")
    webhook_url = models.URLField(max_length=500, null=True, blank=True)
    status_url = models.URLField(max_length=500, null=True, blank=True)
    compliance_profile = models.ForeignKey(ComplianceProfile, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="numbers")
    tags = models.JSONField(default=list, blank=True)
    channel_config = models.JSONField(default=dict, blank=True)
    monthly_cents = models.PositiveIntegerField()
    setup_cents = models.PositiveIntegerField(default=0)
    provider_order_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # Billing runs to the end of the paid cycle after a release.
    billing_ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_number"], condition=~Q(status="released"),
                                    name="one_live_owner_per_number"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="owned_org_recent"),
            models.Index(fields=["organization", "e164"], name="owned_org_e164"),
        ]
        permissions = [("release_number", "Can release customer numbers from the console"),
                       ("reassign_number", "Can move customer numbers to another organisation")]

    def __str__(self) -> str:
        return f"{self.e164} ({self.organization})"


class RouteType(models.TextChoices):
    AGENT = "agent"
    SOFTPHONE_USER = "softphone_user"
    SOFTPHONE_REGISTER = "softphone_register"
    IVR = "ivr"
    VOICEMAIL = "voicemail"
    QUEUE = "queue"
    SIP_FORWARD = "sip_forward"
    TRANSFER = "transfer"
    CONFERENCE = "conference"
    DECLINE = "decline"
    RING_GROUP = "ring_group"


class SmsRouteType(models.TextChoices):
    WEBHOOK = "webhook"
    AGENT = "agent"
    AUTO_REPLY = "auto_reply"
    DISABLED = "disabled"


class NumberRoute(models.Model):
    """Inbound routing of one owned number: a voice route and an independent SMS route."""

    number = models.OneToOneField(OwnedNumber, on_delete=models.CASCADE, related_name="route")
    type = models.CharField(max_length=20, choices=RouteType.choices, null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)
    sms_route_type = models.CharField(max_length=12, choices=SmsRouteType.choices, default=SmsRouteType.DISABLED)
    sms_route_config = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.number.e164}: {self.type or 'none'} / sms {self.sms_route_type}"


# --- Operations console: low-stock thresholds and alerts, the carrier-failure log -----------------


class PoolCapability(models.TextChoices):
    SMS = "sms", "SMS"
    MMS = "mms", "MMS"
    VOICE = "voice", "Voice"
    FAX = "fax", "Fax"


class LowStockThreshold(models.Model):
    """When a pool of sellable numbers (country × line type, optionally × area code and capability)
    is running out: fewer than ``min_available`` numbers, or fewer than ``min_days_left`` days of
    stock at the recent sales rate. Either rule or both may be set."""

    country = models.CharField(max_length=2)
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    area_code = models.CharField(max_length=8, blank=True, default="", help_text="Blank: the whole country.")
    capability = models.CharField(max_length=5, choices=PoolCapability.choices, blank=True, default="",
                                  help_text="Blank: any number of the type.")
    min_available = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="Alert when fewer numbers than this are available.")
    min_days_left = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="Alert when the stock lasts fewer days than this at "
                                                          "the recent sales rate.")
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")
    # The pool as of the last check, so the console lists every pool without recounting each one.
    available = models.PositiveIntegerField(null=True, editable=False)
    sales_7d = models.PositiveIntegerField(null=True, editable=False)
    sales_30d = models.PositiveIntegerField(null=True, editable=False)
    days_left = models.FloatField(null=True, editable=False)
    checked_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "line_type", "area_code", "capability"]
        constraints = [
            models.UniqueConstraint(fields=["country", "line_type", "area_code", "capability"],
                                    name="low_stock_threshold_one_per_pool",
                                    violation_error_message="This pool has a threshold already."),
            models.CheckConstraint(condition=Q(min_available__isnull=False) | Q(min_days_left__isnull=False),
                                   name="low_stock_threshold_has_a_rule",
                                   violation_error_message="Set a minimum available, a minimum days of stock, "
                                                           "or both."),
        ]

    def __str__(self) -> str:
        return self.pool_label

    @property
    def pool_label(self) -> str:
        parts = [self.country, self.get_line_type_display()]
        if self.area_code:
            parts.append(f"area {self.area_code}")
        if self.capability:
            parts.append(self.get_capability_display())
        return " · ".join(parts)


class LowStockAlert(models.Model):
    """One breach of a threshold, open until the pool recovers. At most one open alert per threshold."""

    class Reason(models.TextChoices):
        COUNT = "count", "Below minimum available"
        DAYS_LEFT = "days_left", "Below minimum days of stock"
        BOTH = "both", "Below both minimums"

    threshold = models.ForeignKey(LowStockThreshold, on_delete=models.CASCADE, related_name="alerts")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    available_at_open = models.PositiveIntegerField()
    days_left_at_open = models.FloatField(null=True)
    sales_7d_at_open = models.PositiveIntegerField(default=0)
    sales_30d_at_open = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["threshold"], condition=Q(resolved_at__isnull=True),
                                    name="one_open_low_stock_alert_per_threshold"),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.threshold.pool_label}: {self.get_reason_display()} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class CarrierFailure(models.Model):
    """A carrier refusing or failing an operation, kept even when the business transaction rolled back."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    operation = models.CharField(max_length=32, help_text="order, release, port_in …")
    e164 = models.CharField("number", max_length=16, blank=True, default="")
    code = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "-created_at"], name="carrier_fail_provider_recent")]

    def __str__(self) -> str:
        return f"{self.provider} {self.operation} {self.e164 or '—'}: {self.code or self.message[:40]}"
