"""Operations console for bulk reservations and US 10DLC brands/campaigns.

Registered when inventory/admin.py imports this module (wired by the lead at merge).
Reservations are read-only here: their state only changes through the services (cancel below).
"""
from __future__ import annotations

from django.contrib import admin, messages

from orbit_numbers.errors import OrbitError

from .models import Brand, BulkReservation, BulkReservationItem, Campaign
from .services import reservation_cancel, reservations_expire


class BulkReservationItemInline(admin.TabularInline):
    model = BulkReservationItem
    extra = 0
    can_delete = False
    fields = ("e164", "provider", "monthly_cents", "setup_cents", "status", "owned_number", "error_code",
              "error_message")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BulkReservation)
class BulkReservationAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "purpose", "status", "country", "number_type", "quantity_requested",
                    "quantity_reserved", "purchased_count", "failed_count", "debited_cents", "expires_at",
                    "created_at")
    list_filter = ("status", "purpose", "country", "number_type")
    search_fields = ("id", "organization__name", "items__e164")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)
    inlines = [BulkReservationItemInline]
    actions = ["cancel_reservations", "sweep_expired"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Cancel selected reservations (numbers back to inventory)")
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

    @admin.action(description="Expire every overdue hold now")
    def sweep_expired(self, request, queryset):
        self.message_user(request, f"Expired {reservations_expire()} reservation(s).")


class CampaignInline(admin.TabularInline):
    model = Campaign
    extra = 0
    fields = ("id", "name", "use_case", "status", "created_at")
    readonly_fields = ("id", "created_at")
    show_change_link = True


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "identity_status", "created_at")
    list_filter = ("identity_status",)
    search_fields = ("id", "name", "organization__name")
    list_select_related = ("organization",)
    inlines = [CampaignInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "brand", "status", "use_case", "created_at")
    list_filter = ("status", "brand__identity_status")
    search_fields = ("id", "name", "brand__name", "organization__name")
    list_select_related = ("organization", "brand")
    autocomplete_fields = ("brand",)
