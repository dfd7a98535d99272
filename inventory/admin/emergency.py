"""E911 in the console: tenants' dispatchable addresses, and every number's provisioning state with
failures first; staff retry a failed provisioning (permission-checked, audited by the service)."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q

from orbit_numbers.admin_base import ReadOnlyInline, ReadOnlyModelAdmin, choices_filter

from ..models import EmergencyAddress, EmergencyAssignment, OwnedNumber, Provider
from ..selectors.emergency import emergency_assignments_for_console
from ..services.emergency import emergency_provisioning_retry

_LIVE = [status for status in OwnedNumber.Status.values if status != OwnedNumber.Status.RELEASED]


class AssignmentInline(ReadOnlyInline, admin.TabularInline):
    model = EmergencyAssignment
    fields = ("number", "status", "provider", "attempts", "error_code", "error_message", "updated_at")
    readonly_fields = fields
    raw_id_fields = ("number",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("number")


@admin.register(EmergencyAddress)
class EmergencyAddressAdmin(ReadOnlyModelAdmin):
    """Addresses are validated by the carrier when a tenant registers them; staff read them here."""

    list_display = ("id", "organization", "caller_name", "one_line", "validation", "numbers", "created_at")
    list_filter = ("country", "validation", "state")
    search_fields = ("=id", "caller_name", "business_name", "street_name", "city", "postal_code",
                     "organization__name")
    list_select_related = ("organization",)
    ordering = ("-created_at", "-id")
    inlines = (AssignmentInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            live_numbers=Count("assignments", filter=Q(assignments__number__status__in=_LIVE)))

    @admin.display(description="address")
    def one_line(self, obj: EmergencyAddress) -> str:
        return obj.one_line

    @admin.display(description="live numbers", ordering="live_numbers")
    def numbers(self, obj) -> int:
        return obj.live_numbers


class AttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("failed", "Failed (retry)"), ("in_flight", "In flight at the carrier")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status__in=EmergencyAssignment.RETRYABLE_STATUSES)
        if self.value() == "in_flight":
            return queryset.filter(status__in=EmergencyAssignment.IN_FLIGHT_STATUSES)
        return queryset


@admin.register(EmergencyAssignment)
class EmergencyAssignmentAdmin(ReadOnlyModelAdmin):
    """Numbers' E911 provisioning, failed ones first; retry sends them to the carrier again."""

    list_display = ("number_e164", "organization", "status", "address", "provider", "attempts", "error_code",
                    "error_message", "requested_at", "provisioned_at", "updated_at")
    # One assignment per number: the carriers come from their enum, not a DISTINCT over the table.
    list_filter = (AttentionFilter, "status", choices_filter("provider", "provider", Provider.choices))
    search_fields = ("organization__name", "=address__id", "error_code")
    digit_search_fields = ("number__e164",)
    list_select_related = ("organization", "number", "address")
    actions = ("retry_provisioning",)

    def get_queryset(self, request):
        return emergency_assignments_for_console()

    def get_ordering(self, request):
        return ("attention", "-updated_at", "-id")

    @admin.display(description="number", ordering="number__e164")
    def number_e164(self, obj: EmergencyAssignment) -> str:
        return obj.number.e164

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("inventory.retry_emergency_provisioning")

    @admin.action(description="Retry selected failed provisionings", permissions=["retry"])
    def retry_provisioning(self, request, queryset):
        retried, skipped = emergency_provisioning_retry(assignment_ids=list(queryset.values_list("pk", flat=True)),
                                                        acting_user=request.user)
        self.message_user(request, f"Sent {len(retried)} provisioning(s) to the carrier again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped {len(skipped)} not in a failed state.", messages.WARNING)
