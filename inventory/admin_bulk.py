"""Operations console for bulk reservations (active holds, time left, force-expire) and US 10DLC
brands/campaigns. Imported by inventory/admin.py.

Reservations are read-only here: their state only changes through the services (cancel, expire).
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.admin_base import OrbitModelAdmin
from orbit_numbers.errors import OrbitError

from .models import Brand, BulkReservation, BulkReservationItem, Campaign
from .services import reservation_cancel, reservations_expire, reservations_force_expire


def time_left(expires_at, now=None) -> str:
    """How long a hold has left, as an operator reads it: "12 min", "45 s", "expired"."""
    seconds = int((expires_at - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return "expired"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


class ActiveHoldFilter(admin.SimpleListFilter):
    title = "hold"
    parameter_name = "hold"

    def lookups(self, request, model_admin):
        return [("active", "Active holds"), ("ending", "Ending within 5 minutes")]

    def queryset(self, request, queryset):
        now = timezone.now()
        active = Q(status__in=BulkReservation.HELD_STATUSES, expires_at__gt=now)
        if self.value() == "active":
            return queryset.filter(active)
        if self.value() == "ending":
            return queryset.filter(active, expires_at__lte=now + timezone.timedelta(minutes=5))
        return queryset


class BulkReservationItemInline(admin.TabularInline):
    model = BulkReservationItem
    extra = 0
    can_delete = False
    fields = ("e164", "provider", "monthly_cents", "setup_cents", "status", "owned_number", "error_code",
              "error_message")
    readonly_fields = fields
    show_change_link = False
    raw_id_fields = ("owned_number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owned_number")


@admin.register(BulkReservation)
class BulkReservationAdmin(OrbitModelAdmin):
    list_display = ("id", "organization", "purpose", "status", "country", "number_type", "quantity_requested",
                    "quantity_reserved", "purchased_count", "failed_count", "debited_cents", "expires_at",
                    "hold_time_left", "created_at")
    list_filter = (ActiveHoldFilter, "status", "purpose", "country", "number_type")
    search_fields = ("id", "organization__name", "items__e164")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    inlines = [BulkReservationItemInline]
    actions = ["force_expire", "cancel_reservations", "sweep_expired"]

    @admin.display(description="time left", ordering="expires_at")
    def hold_time_left(self, obj: BulkReservation) -> str:
        if obj.status not in BulkReservation.HELD_STATUSES:
            return "—"
        return time_left(obj.expires_at)

    def has_force_expire_permission(self, request) -> bool:
        return request.user.has_perm("inventory.force_expire_reservation")

    @admin.action(description="Force-expire selected holds (numbers back to inventory now)",
                  permissions=["force_expire"])
    def force_expire(self, request, queryset):
        expired, skipped = reservations_force_expire(reservation_ids=list(queryset.values_list("pk", flat=True)),
                                                     acting_user=request.user)
        self.message_user(request, f"Expired {len(expired)} hold(s); their numbers are back on sale.")
        if skipped:
            self.message_user(request, f"Skipped (not an active hold): {', '.join(skipped)}", messages.WARNING)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Cancel selected reservations (numbers back to inventory)",
                  permissions=["force_expire"])
    def cancel_reservations(self, request, queryset):
        cancelled = 0
        for reservation in queryset.filter(purpose=BulkReservation.Purpose.RESERVE).select_related("organization"):
            try:
                reservation_cancel(organization=reservation.organization, reservation_id=reservation.pk,
                                   acting_user=request.user)
                cancelled += 1
            except OrbitError as exc:
                self.message_user(request, f"{reservation.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {cancelled} reservation(s).")

    @admin.action(description="Expire every overdue hold now", permissions=["force_expire"])
    def sweep_expired(self, request, queryset):
        self.message_user(request, f"Expired {reservations_expire()} reservation(s).")


class CampaignInline(admin.TabularInline):
    model = Campaign
    extra = 0
    fields = ("id", "name", "use_case", "status", "created_at")
    readonly_fields = ("id", "created_at")
    show_change_link = True


@admin.register(Brand)
class BrandAdmin(OrbitModelAdmin):
    list_display = ("id", "name", "organization", "identity_status", "created_at")
    list_filter = ("identity_status",)
    search_fields = ("id", "name", "organization__name")
    list_select_related = ("organization",)
    inlines = [CampaignInline]


@admin.register(Campaign)
class CampaignAdmin(OrbitModelAdmin):
    list_display = ("id", "name", "organization", "brand", "status", "use_case", "created_at")
    list_filter = ("status", "brand__identity_status")
    search_fields = ("id", "name", "brand__name", "organization__name")
    list_select_related = ("organization", "brand")
    autocomplete_fields = ("brand",)
