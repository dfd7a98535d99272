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

from .ten_dlc import BrandEntityType, BrandVertical, CampaignUseCase, TenDlcRegistration


def new_number_id() -> str:
    return new_id("num")


def new_bulk_reservation_id() -> str:
    return new_id("bres")


def new_brand_id() -> str:
    return new_id("brd")


def new_campaign_id() -> str:
    return new_id("cmp")


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
    # The carrier stopped offering it (inventory sync); off sale, kept for history and references.
    RETIRED = "retired", "Retired (no longer offered by the carrier)"


# Capability flags are columns, not an array: portable (SQLite for the demo) and indexable.
CAPABILITY_FIELDS = {"sms": "cap_sms", "mms": "cap_mms", "voice": "cap_voice", "fax": "cap_fax"}


def sellable_q(now=None) -> Q:
    """An inventory row that may be sold now: available, and not resting after a release."""
    now = now or timezone.now()
    return Q(status=InventoryStatus.AVAILABLE) & (Q(aging_until__isnull=True) | Q(aging_until__lte=now))


class PhoneNumberQuerySet(models.QuerySet):
    def sellable(self, *, now=None) -> "PhoneNumberQuerySet":
        """The one definition of "sellable now" (search, purchase, holds, orders, low stock)."""
        return self.filter(sellable_q(now))


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
    # When inventory sync retired it (status retired); cleared if the carrier offers it again.
    retired_at = models.DateTimeField(null=True, blank=True)
    # The carrier order that bought it into our own stock (auto-replenish); the first checkout
    # of the row uses this order instead of ordering again, and clears it.
    stock_order_id = models.CharField(max_length=100, blank=True, default="", db_default="")

    objects = PhoneNumberQuerySet.as_manager()

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
            # A search without a line type, cheapest first: a walk, not a sort of the country's rows.
            models.Index(fields=["country", "monthly_cents", "id"], name="inv_available_price",
                         condition=Q(status="available")),
        ]
        permissions = [("export_numbers", "Can export numbers (CSV/JSON) from the console")]

    def __str__(self) -> str:
        return self.e164

    @property
    def capabilities(self) -> list[str]:
        return [name for name, field in CAPABILITY_FIELDS.items() if getattr(self, field)]

    def is_sellable(self, *, now=None) -> bool:
        """This row, as loaded, satisfies ``sellable_q`` (checked again under its row lock)."""
        now = now or timezone.now()
        return self.status == InventoryStatus.AVAILABLE and not (self.aging_until and self.aging_until > now)


class OwnedNumberQuerySet(models.QuerySet):
    def live(self) -> "OwnedNumberQuerySet":
        """The one definition of a live tenure: anything not released (the unique constraint's condition)."""
        return self.exclude(status=OwnedNumber.Status.RELEASED)


class OwnedNumber(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        REGULATORY_HOLD = "regulatory_hold", "Regulatory hold"
        PORTING_OUT = "porting_out", "Porting out"
        RELEASED = "released", "Released"
        # A renewal could not be paid: inbound routing is paused until it is (services/lifecycle.py).
        SUSPENDED = "suspended", "Suspended (unpaid)"

    class Source(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        BULK = "bulk", "Bulk purchase"
        ORDER = "order", "Assign order"
        RESERVATION = "reservation", "Bulk reservation"
        PORT_IN = "port_in", "Port-in"
        STAFF = "staff", "Staff"
        TRIAL = "trial", "Trial loan"

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
    compliance_profile = models.ForeignKey("ComplianceProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="numbers")
    tags = models.JSONField(default=list, blank=True)
    channel_config = models.JSONField(default=dict, blank=True)
    monthly_cents = models.PositiveIntegerField()
    setup_cents = models.PositiveIntegerField(default=0)
    provider_order_id = models.CharField(max_length=100, blank=True, default="")
    # The US 10DLC campaign this number sends under (set by an assign order); optional.
    campaign = models.ForeignKey("Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="numbers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # Billing runs to the end of the paid cycle after a release.
    billing_ends_at = models.DateTimeField(null=True, blank=True)
    # Monthly renewals (services/renewals.py). Always an exact anniversary of created_at; NULL means
    # "the first cycle, paid at creation" (every purchase path charges the first month up front).
    paid_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set when a renewal could not be paid; the number is released after the grace period.
    renewal_failed_at = models.DateTimeField(null=True, blank=True)
    # Off: the number is not charged again and is released at the end of its paid cycle.
    auto_renew = models.BooleanField(default=True)
    # A release the customer scheduled; the release-scheduled-numbers job performs it (NULL: none).
    release_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedNumberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_number"], condition=~Q(status="released"),
                                    name="one_live_owner_per_number"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="owned_org_recent"),
            # The console's list, newest first across organisations (OwnedNumberAdmin.ordering).
            models.Index(fields=["-created_at", "-id"], name="owned_recent"),
            models.Index(fields=["organization", "e164"], name="owned_org_e164"),
            models.Index(fields=["release_at"], name="owned_release_due", condition=Q(release_at__isnull=False)),
        ]
        permissions = [("release_number", "Can release customer numbers from the console"),
                       ("reassign_number", "Can move customer numbers to another organisation"),
                       ("reclaim_number", "Can bring a released number back to inventory or its last owner")]

    def __str__(self) -> str:
        return f"{self.e164} ({self.organization})"

    @property
    def inbound_routing_paused(self) -> bool:
        """A suspended number keeps its route but nothing inbound is routed until it is paid."""
        return self.status == self.Status.SUSPENDED


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
    # When staff were mailed about the opening and the recovery: a redelivered task mails once.
    opened_mailed_at = models.DateTimeField(null=True, blank=True)
    resolved_mailed_at = models.DateTimeField(null=True, blank=True)

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


class CarrierRelease(models.Model):
    """A number to give back to its carrier, recorded in the transaction that decided it and
    performed afterwards (never inside a transaction), retried with backoff until the carrier
    confirms. While one is pending, its inventory row is kept off sale: carriers release by
    number, so a release must never reach a number someone has bought again."""

    class Reason(models.TextChoices):
        RELEASED = "released", "Released by its owner, staff or unpaid renewals"
        COMPENSATION = "compensation", "Ordered by a checkout that did not complete"
        ORPHAN = "orphan", "Carrier order with no committed owner (reconciliation)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Released at the carrier"
        SKIPPED = "skipped", "Not released: the number has a live owner again"

    provider = models.CharField(max_length=10, choices=Provider.choices)
    e164 = models.CharField("number", max_length=16)
    provider_order_id = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    phone_number = models.ForeignKey(PhoneNumber, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="carrier_releases")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    # Also a lease: a worker that claims the release pushes this forward before calling the carrier.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One release per carrier order, whoever found it first (checkout, release, reconciliation).
            models.UniqueConstraint(fields=["provider", "provider_order_id"], condition=~Q(provider_order_id=""),
                                    name="one_release_per_carrier_order"),
        ]
        indexes = [models.Index(fields=["next_attempt_at"], name="carrier_release_due",
                                condition=Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.provider} release {self.e164} ({self.status})"


class Brand(TenDlcRegistration):
    """A US 10DLC brand (the business behind A2P messaging), as vetted by The Campaign Registry."""

    class IdentityStatus(models.TextChoices):
        PENDING = "PENDING", "Pending"
        UNVERIFIED = "UNVERIFIED", "Unverified"
        SELF_DECLARED = "SELF_DECLARED", "Self-declared"
        VERIFIED = "VERIFIED", "Verified"
        VETTED_VERIFIED = "VETTED_VERIFIED", "Vetted & verified"

    VERIFIED_STATUSES = (IdentityStatus.VERIFIED, IdentityStatus.VETTED_VERIFIED)

    id = models.CharField(primary_key=True, max_length=32, default=new_brand_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="brands")
    name = models.CharField(max_length=200)
    identity_status = models.CharField(max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # Registration through the API (TenDlcRegistration): vetting verified → VERIFIED identity.
    legal_name = models.CharField(max_length=255, blank=True, default="")
    entity_type = models.CharField(max_length=20, choices=BrandEntityType.choices, blank=True, default="")
    tax_id = models.CharField("EIN / tax id", max_length=21, blank=True, default="")
    tax_id_country = models.CharField(max_length=2, blank=True, default="")
    vertical = models.CharField(max_length=20, choices=BrandVertical.choices, blank=True, default="")
    website = models.URLField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    street = models.CharField(max_length=100, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=20, blank=True, default="")
    postal_code = models.CharField(max_length=10, blank=True, default="")
    contact_email = models.EmailField(max_length=254, blank=True, default="")
    contact_phone = models.CharField(max_length=16, blank=True, default="")
    stock_symbol = models.CharField(max_length=10, blank=True, default="")
    stock_exchange = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        ordering = ["name"]
        permissions = [("refresh_ten_dlc_vetting", "Can refresh 10DLC vetting of brands and campaigns")]

    def __str__(self) -> str:
        return f"{self.name} ({self.identity_status})"

    @property
    def is_verified(self) -> bool:
        return self.identity_status in self.VERIFIED_STATUSES


class Campaign(TenDlcRegistration):
    """A US 10DLC messaging campaign of a brand; numbers may only send under an ACTIVE one."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        ACTIVE = "ACTIVE", "Active"
        SUSPENDED = "SUSPENDED", "Suspended"
        EXPIRED = "EXPIRED", "Expired"
        REJECTED = "REJECTED", "Rejected in vetting"

    id = models.CharField(primary_key=True, max_length=32, default=new_campaign_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="campaigns")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=200)
    use_case = models.CharField(max_length=40, choices=CampaignUseCase.choices, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # Registration through the API (TenDlcRegistration): vetting verified → ACTIVE, rejected → REJECTED.
    description = models.TextField(blank=True, default="")
    message_flow = models.TextField("opt-in flow", blank=True, default="")
    sample_messages = models.JSONField(default=list, blank=True)
    opt_in_keywords = models.JSONField(default=list, blank=True)
    opt_in_message = models.CharField(max_length=320, blank=True, default="")
    opt_out_keywords = models.JSONField(default=list, blank=True)
    opt_out_message = models.CharField(max_length=320, blank=True, default="")
    help_keywords = models.JSONField(default=list, blank=True)
    help_message = models.CharField(max_length=320, blank=True, default="")
    embedded_link = models.BooleanField(default=False)
    embedded_phone = models.BooleanField(default=False)
    number_pool = models.BooleanField(default=False)
    age_gated = models.BooleanField(default=False)
    direct_lending = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.brand_id and self.organization_id and self.brand.organization_id != self.organization_id:
            raise ValidationError({"brand": "The brand must belong to the campaign's organisation."})


class BulkReservation(models.Model):
    """A 15-minute hold on a block of inventory rows, then finalized (bought) or let go.

    ``purpose`` tells customer holds (POST /numbers/bulk-reserve) from the short-lived holds that
    buy-bulk and assign orders place on their rows while the carrier calls run outside a
    transaction; the latter are never listed to customers but expire the same way, so a crash
    mid-purchase cannot strand inventory in ``reserved``.
    """

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        PARTIAL = "partial", "Partial"
        FINALIZING = "finalizing", "Finalizing"
        FINALIZED = "finalized", "Finalized"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class Purpose(models.TextChoices):
        RESERVE = "reserve", "Bulk reservation"
        BUY_BULK = "buy_bulk", "Buy-bulk checkout"
        ORDER = "order", "Assign-order checkout"
        PURCHASE = "purchase", "Single-purchase checkout"

    class PatternType(models.TextChoices):
        CONTAINS = "contains", "Contains"
        STARTS_WITH = "starts_with", "Starts with"
        ENDS_WITH = "ends_with", "Ends with"

    HELD_STATUSES = (Status.READY, Status.PARTIAL)

    id = models.CharField(primary_key=True, max_length=32, default=new_bulk_reservation_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bulk_reservations")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.RESERVE)
    status = models.CharField(max_length=10, choices=Status.choices)
    # The search that filled it (customer reservations only).
    country = models.CharField(max_length=2, blank=True, default="")
    number_type = models.CharField(max_length=10, choices=LineType.choices, blank=True, default="")
    area_code = models.CharField(max_length=5, blank=True, default="")
    name_pattern = models.CharField(max_length=20, blank=True, default="")
    pattern_type = models.CharField(max_length=11, choices=PatternType.choices, blank=True, default="")
    capabilities = models.JSONField(default=list, blank=True)
    provider = models.CharField(max_length=10, choices=Provider.choices, blank=True, default="")
    compliance_profile = models.ForeignKey("ComplianceProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    quantity_requested = models.PositiveIntegerField()
    quantity_reserved = models.PositiveIntegerField()
    # Outcome of finalize.
    purchased_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    debited_cents = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField()
    # Set by the service (not auto_now_add) so that expires_at is exactly created_at + the hold.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("force_expire_reservation", "Can force-expire a bulk reservation hold")]
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "purpose", "-created_at", "-id"], name="bres_org_recent"),
            # The console's list, newest first (one reservation per checkout, so as many as purchases).
            models.Index(fields=["-created_at", "-id"], name="bres_recent"),
            # The expiry sweep only looks at live holds.
            models.Index(fields=["expires_at"], name="bres_live_expiry",
                         condition=Q(status__in=["ready", "partial", "finalizing"])),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status}, {self.quantity_reserved}/{self.quantity_requested})"


class BulkReservationItem(models.Model):
    """One inventory row inside a reservation, with the price quoted when it was held."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        PURCHASED = "purchased", "Purchased"
        FAILED = "failed", "Failed at the carrier"
        RELEASED = "released", "Returned to inventory"

    reservation = models.ForeignKey(BulkReservation, on_delete=models.CASCADE, related_name="items")
    phone_number = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="reservation_items")
    e164 = models.CharField("number", max_length=16)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    provider_ref = models.CharField(max_length=64)
    monthly_cents = models.PositiveIntegerField()
    setup_cents = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    owned_number = models.ForeignKey(OwnedNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error_code = models.CharField(max_length=40, blank=True, default="")
    error_message = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            # Besides the inventory status, the database itself refuses a second live hold on a row.
            models.UniqueConstraint(fields=["phone_number"], condition=Q(status="held"),
                                    name="one_active_hold_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.e164} ({self.status})"


from .caller_id import *  # noqa: E402,F401,F403
from .lookup import *  # noqa: E402,F401,F403
from .emergency import *  # noqa: E402,F401,F403
from .health import *  # noqa: E402,F401,F403
from .compliance import *  # noqa: E402,F401,F403
from .trial import *  # noqa: E402,F401,F403
from .ten_dlc import *  # noqa: E402,F401,F403
from .inventory_sync import *  # noqa: E402,F401,F403
