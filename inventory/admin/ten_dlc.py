"""US 10DLC registrations in the console: the registration state of brands and campaigns (read-only:
the registry decides it) and a permission-checked action that asks the registry again now."""
from __future__ import annotations

from django.contrib import admin, messages

from ..models import RegistrationStatus
from ..services.ten_dlc import brand_vetting_refresh, campaign_vetting_refresh

REGISTRATION_FIELDS = ("registration_status", "provider", "provider_ref", "rejection_code", "rejection_reason",
                       "last_error", "submitted_at", "vetted_at", "last_polled_at")


class TenDlcRegistrationAdminMixin:
    """For BrandAdmin and CampaignAdmin; ``refresh_one(pk, acting_user)`` asks the registry about one row."""

    refresh_one = None

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *REGISTRATION_FIELDS)

    def has_refresh_vetting_permission(self, request) -> bool:
        return request.user.has_perm("inventory.refresh_ten_dlc_vetting")

    @admin.action(description="Refresh vetting of selected pending registrations (ask the registry now)",
                  permissions=["refresh_vetting"])
    def refresh_vetting(self, request, queryset):
        pending = list(queryset.filter(registration_status=RegistrationStatus.PENDING).order_by("pk")
                       .values_list("pk", flat=True))
        skipped = queryset.exclude(registration_status=RegistrationStatus.PENDING).count()
        outcome = {status: 0 for status in RegistrationStatus.values}
        errors = []
        for pk in pending:
            row = type(self).refresh_one(pk, request.user)
            if row is None:
                continue
            outcome[row.registration_status] += 1
            if row.last_error and row.registration_status == RegistrationStatus.PENDING:
                errors.append(f"{pk}: {row.last_error}")
        self.message_user(request, f"Asked the registry about {len(pending)}: {outcome['verified']} verified, "
                                   f"{outcome['rejected']} rejected, {outcome['pending']} still pending.",
                          messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped {skipped} not pending vetting.", messages.WARNING)
        if errors:
            self.message_user(request, "The registry did not answer — " + "; ".join(errors), messages.ERROR)


def brand_refresh(pk: str, acting_user):
    return brand_vetting_refresh(brand_id=pk, acting_user=acting_user)


def campaign_refresh(pk: str, acting_user):
    return campaign_vetting_refresh(campaign_id=pk, acting_user=acting_user)
