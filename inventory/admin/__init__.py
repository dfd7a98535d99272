"""Inventory in the console: stock, customers' numbers, compliance, low-stock pools, carrier failures,
bulk reservations (holds), US 10DLC brands and campaigns.

Changelists are built for a million rows (see orbit_numbers.admin_base); bulk operations on
customers' numbers go through services (which lock, validate every row and audit).
"""
from __future__ import annotations

import phonenumbers
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from orbit_numbers.admin_base import (ActionFormMixin, OrbitModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin, cents,
                                      distinct_values_filter, index_distinct_values, phone_digits,
                                      recent_filter)
from orbit_numbers.errors import OrbitError
from orbit_numbers.models import Organization
from orbit_numbers.services import audit_record

from ..api.fields import OWNED_CAPABILITIES
from ..exporting import FORMATS, INVENTORY, OWNED, export_response
from ..filters import InventoryFilterSet, StaffOwnedNumberFilterSet
from ..models import (Brand, BulkReservation, BulkReservationItem, Campaign, CarrierFailure, CarrierRelease,
                     LineType, LowStockAlert, LowStockThreshold, NumberRoute, OwnedNumber, PhoneNumber, Provider)
from ..services import number_release, reservation_cancel, reservations_expire, reservations_force_expire
from ..services.staff import clean_tags, number_reassign, number_tag
from ..services.stock import low_stock_threshold_check, pool_stats
from .trial import StockActionsMixin
from . import ten_dlc as ten_dlc_admin
from .ten_dlc import TenDlcRegistrationAdminMixin



def filterset_list_filter(filterset_class, name: str, *, title: str | None = None, parameter_name: str | None = None,
                          choices=None, base: type[admin.SimpleListFilter] = admin.SimpleListFilter):
    """A changelist filter that applies the ``name`` filter of ``filterset_class`` (its validation
    included): the console's filters, and so its exports, select exactly what the API and
    ``export_numbers`` select for the same value. ``base`` may bring its own lookups (choices)."""

    class FilterSetListFilter(base):
        def lookups(self, request, model_admin):
            return list(choices) if choices is not None else super().lookups(request, model_admin)

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            filterset = filterset_class({name: value}, queryset=queryset)
            if not filterset.is_valid():  # the changelist answers ?e=1 (and the export redirects there)
                raise IncorrectLookupParameters(filterset.errors)
            return filterset.qs

    FilterSetListFilter.title = title or getattr(base, "title", name)
    FilterSetListFilter.parameter_name = parameter_name or getattr(base, "parameter_name", None) or name
    FilterSetListFilter.__name__ = f"{filterset_class.__name__}_{name}"
    return FilterSetListFilter


class ExportMixin:
    """Export buttons on a changelist: every row the current filters/search match, not just the page.
    The filters shared with the API and the command are FilterSet filters (``filterset_list_filter``)."""

    export_spec = None
    change_list_template = "admin/inventory/export_change_list.html"

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("inventory.export_numbers")

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("export/<str:fmt>/", self.admin_site.admin_view(self.export_view),
                     name="%s_%s_export" % info)] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        info = self.model._meta.app_label, self.model._meta.model_name
        extra_context = {**(extra_context or {}), "can_export": self.has_export_permission(request),
                         "export_query": request.GET.urlencode(),
                         "export_url_name": "admin:%s_%s_export" % info}
        return super().changelist_view(request, extra_context)

    def export_view(self, request, fmt):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if fmt not in FORMATS:
            raise Http404
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:%s_%s_changelist" % info) + "?e=1")
        # The changelist's own queryset: the operator's filters, search and ordering, unpaginated.
        queryset = changelist.get_queryset(request)
        audit_record(action="admin.export", acting_user=request.user, object_type=self.model._meta.label_lower,
                     after={"format": fmt, "filters": request.GET.urlencode()})
        return export_response(self.export_spec, queryset, fmt)


def inventory_countries() -> list[str]:
    """Every country the inventory holds, by a walk of the ``inv_status_pool`` index (status, country):
    a few dozen index probes where SELECT DISTINCT country reads a million rows. Owned numbers and
    reservations are inventory rows, so their country filters offer the same list."""
    return sorted({country for _status, country in index_distinct_values(PhoneNumber, ("status", "country"))})


# --- stock -------------------------------------------------------------------------------------------


@admin.register(PhoneNumber)
class PhoneNumberAdmin(StockActionsMixin, ExportMixin, ActionFormMixin, OrbitModelAdmin):
    export_spec = INVENTORY
    actions = StockActionsMixin.stock_actions
    list_display = ("e164", "country", "line_type", "provider", "status", "area_code", "region", "capability_list",
                    "monthly", "setup", "aging_until")
    list_filter = ("status", filterset_list_filter(InventoryFilterSet, "country", base=distinct_values_filter(
                       "country", "country", values=inventory_countries)),
                   "line_type", "provider", "cap_sms", "cap_voice", "sms_two_way")
    search_fields = ("=provider_ref", "region")
    digit_search_fields = ("e164",)
    # Newest first by primary key: an index scan, even at a million rows; e164 is unique-indexed too.
    ordering = ("-id",)
    sortable_by = ("e164",)
    fieldsets = (
        (None, {"fields": ("e164", "country", "line_type", "status", "provider", "provider_ref")}),
        ("Where and what", {"fields": ("region", "area_code", "national_number", "cap_sms", "cap_mms", "cap_voice",
                                       "cap_fax", "sms_two_way", "activation_hours")}),
        ("Price", {"fields": ("monthly_cents", "setup_cents")}),
        ("Lifecycle", {"fields": ("aging_until", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("status", "aging_until", "created_at", "updated_at")
        # Identity and lifecycle of a stocked number change through services, never by hand.
        return ("e164", "country", "national_number", "provider", "provider_ref", "status", "aging_until",
                "created_at", "updated_at")

    @admin.display(description="capabilities")
    def capability_list(self, obj: PhoneNumber) -> str:
        return ", ".join(obj.capabilities)

    @admin.display(description="monthly", ordering="monthly_cents")
    def monthly(self, obj) -> str:
        return cents(obj.monthly_cents)

    @admin.display(description="setup")
    def setup(self, obj) -> str:
        return cents(obj.setup_cents)


# --- customers' numbers -----------------------------------------------------------------------------


class NumberRouteInline(ReadOnlyInline, admin.StackedInline):
    model = NumberRoute
    fields = ("type", "config", "sms_route_type", "sms_route_config", "updated_at")
    readonly_fields = fields
    show_change_link = False


class ReassignForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.filter(is_active=True),
                                          label="Move to organisation")
    reason = forms.CharField(max_length=200, help_text="Required; recorded in both organisations' audit logs.")


class TagForm(forms.Form):
    add = forms.CharField(required=False, help_text="Comma-separated tags to add.")
    remove = forms.CharField(required=False, help_text="Comma-separated tags to remove.")

    def clean(self):
        data = super().clean()
        try:
            data["add"] = clean_tags((data.get("add") or "").split(","), field="add")
            data["remove"] = clean_tags((data.get("remove") or "").split(","), field="remove")
        except OrbitError as exc:
            raise forms.ValidationError(exc.message) from None
        if not data["add"] and not data["remove"]:
            raise forms.ValidationError("Give at least one tag to add or remove.")
        return data


class ConfirmForm(forms.Form):
    """Nothing to fill in: the screen only confirms the selection."""


@admin.register(OwnedNumber)
class OwnedNumberAdmin(ExportMixin, ActionFormMixin, OrbitModelAdmin):
    export_spec = OWNED
    list_display = ("e164", "organization", "status", "source", "country", "line_type", "provider", "label",
                    "tag_list", "monthly", "created_at", "released_at", "auto_renew", "release_at")
    list_filter = ("status", "source", "auto_renew", ("release_at", admin.EmptyFieldListFilter),
                   filterset_list_filter(StaffOwnedNumberFilterSet, "country",
                                         base=distinct_values_filter("phone_number__country", "country",
                                                                     values=inventory_countries)),
                   filterset_list_filter(StaffOwnedNumberFilterSet, "type", title="type", choices=LineType.choices,
                                         parameter_name="phone_number__line_type"),
                   filterset_list_filter(StaffOwnedNumberFilterSet, "provider", title="provider",
                                         choices=Provider.choices, parameter_name="phone_number__provider"),
                   filterset_list_filter(StaffOwnedNumberFilterSet, "capabilities", title="capability",
                                         choices=[(c, c) for c in OWNED_CAPABILITIES]),
                   "organization")
    search_fields = ("label", "organization__name", "=id")
    digit_search_fields = ("e164",)
    list_select_related = ("organization", "phone_number")
    raw_id_fields = ("organization", "phone_number", "compliance_profile")
    # Newest first: an index scan on owned_recent, joined to inventory by primary key, row by row.
    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)
    inlines = (NumberRouteInline,)
    actions = ("release_numbers", "reassign_numbers", "tag_numbers")
    fieldsets = (
        (None, {"fields": ("id", "e164", "organization", "phone_number", "status", "source")}),
        ("Customer's settings", {"fields": ("label", "tags", "capabilities", "forwarding_number", "sms_forwarding",
                                            "webhook_url", "status_url", "compliance_profile", "channel_config")}),
        ("Billing", {"fields": ("monthly_cents", "setup_cents", "provider_order_id", "created_at", "updated_at",
                                "released_at", "billing_ends_at")}),
        ("Lifecycle", {"fields": ("auto_renew", "release_at", "paid_until", "renewal_failed_at")}),
    )
    # Staff may fix a label or tags by hand (audited); everything else changes through services.
    editable_fields = ("label", "tags")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.editable_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request) -> bool:
        return request.user.has_perm("inventory.release_number")

    def has_reassign_permission(self, request) -> bool:
        return request.user.has_perm("inventory.reassign_number")

    @admin.display(description="country")
    def country(self, obj: OwnedNumber) -> str:
        return obj.phone_number.country

    @admin.display(description="type")
    def line_type(self, obj: OwnedNumber) -> str:
        return obj.phone_number.get_line_type_display()

    @admin.display(description="provider")
    def provider(self, obj: OwnedNumber) -> str:
        return obj.phone_number.provider

    @admin.display(description="tags")
    def tag_list(self, obj: OwnedNumber) -> str:
        return ", ".join(obj.tags)

    @admin.display(description="monthly")
    def monthly(self, obj) -> str:
        return cents(obj.monthly_cents)

    def action_preview_queryset(self, queryset):
        return queryset.select_related("organization")

    def action_preview_row(self, obj: OwnedNumber) -> str:
        return f"{obj.e164} — {obj.organization} ({obj.get_status_display()})"

    @admin.action(description="Release selected numbers…", permissions=["release"])
    def release_numbers(self, request, queryset):
        form = ConfirmForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="release_numbers", title="Release numbers",
                                    form=form, button="Yes, release them",
                                    note="Billing stops at the end of each paid cycle; the numbers age before "
                                         "they return to stock.")
        released, failed = 0, []
        for number in queryset.select_related("organization").live():
            try:
                number_release(organization=number.organization, number_id=number.pk, acting_user=request.user,
                               reason="staff")
                released += 1
            except OrbitError as exc:
                failed.append(f"{number.e164}: {exc.message}")
        self.message_user(request, f"Released {released} number(s).", messages.SUCCESS)
        if failed:
            self.message_user(request, "Not released — " + "; ".join(failed), messages.ERROR)
        return None

    @admin.action(description="Reassign selected numbers to another organisation…", permissions=["reassign"])
    def reassign_numbers(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="reassign_numbers", title="Reassign numbers",
                                    form=form, button="Reassign",
                                    note="Each number's current tenure closes now; the new owner starts with a "
                                         "clean configuration and is not charged.")
        try:
            moved = number_reassign(number_ids=list(queryset.values_list("pk", flat=True)),
                                    to_organization=form.cleaned_data["organization"],
                                    reason=form.cleaned_data["reason"], acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, f"Nothing reassigned: {exc.message}", messages.ERROR)
            return None
        self.message_user(request, f"Moved {len(moved)} number(s) to {form.cleaned_data['organization']}.",
                          messages.SUCCESS)
        return None

    @admin.action(description="Tag selected numbers…", permissions=["change"])
    def tag_numbers(self, request, queryset):
        form = TagForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="tag_numbers", title="Tag numbers", form=form,
                                    button="Apply tags")
        try:
            numbers = number_tag(number_ids=list(queryset.values_list("pk", flat=True)),
                                 add=form.cleaned_data["add"], remove=form.cleaned_data["remove"],
                                 acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, f"No tags changed: {exc.message}", messages.ERROR)
            return None
        self.message_user(request, f"Tagged {len(numbers)} number(s).", messages.SUCCESS)
        return None


# --- low stock ---------------------------------------------------------------------------------------


class LowStockThresholdForm(forms.ModelForm):
    class Meta:
        model = LowStockThreshold
        fields = ("country", "line_type", "area_code", "capability", "min_available", "min_days_left", "is_active",
                  "note")

    def clean_country(self) -> str:
        country = (self.cleaned_data.get("country") or "").upper()
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError("Must be an ISO 3166-1 alpha-2 country code, e.g. US.")
        return country

    def clean_area_code(self) -> str:
        area_code = (self.cleaned_data.get("area_code") or "").strip()
        if area_code and not area_code.isdigit():
            raise forms.ValidationError("Digits only.")
        return area_code


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


def _days(value: float | None) -> str:
    return "∞ (no sales)" if value is None else f"{value:g}"


@admin.register(LowStockThreshold)
class LowStockThresholdAdmin(OrbitModelAdmin):
    form = LowStockThresholdForm
    list_display = ("pool", "min_available", "min_days_left", "available", "sales_7d", "sales_30d", "days_left_shown",
                    "alerting", "checked_at", "is_active")
    list_filter = ("is_active", "country", "line_type")
    search_fields = ("country", "area_code", "note")
    readonly_fields = ("available", "sales_7d", "sales_30d", "days_left", "checked_at", "live_figures")
    fieldsets = (
        ("Pool", {"fields": ("country", "line_type", "area_code", "capability")}),
        ("Alert when", {"fields": ("min_available", "min_days_left", "is_active", "note")}),
        ("Figures at the last check", {"fields": ("available", "sales_7d", "sales_30d", "days_left", "checked_at",
                                                  "live_figures")}),
    )
    actions = ("check_now",)

    def get_queryset(self, request):
        open_alerts = LowStockAlert.objects.filter(threshold=OuterRef("pk"), resolved_at__isnull=True)
        return super().get_queryset(request).annotate(has_open_alert=Exists(open_alerts))

    @admin.display(description="pool", ordering="country")
    def pool(self, obj: LowStockThreshold) -> str:
        return obj.pool_label

    @admin.display(description="days left", ordering="days_left")
    def days_left_shown(self, obj: LowStockThreshold) -> str:
        return "—" if obj.checked_at is None else _days(obj.days_left)

    @admin.display(description="alert open", boolean=True)
    def alerting(self, obj) -> bool:
        return obj.has_open_alert

    @admin.display(description="now")
    def live_figures(self, obj: LowStockThreshold) -> str:
        if obj.pk is None:
            return "—"
        stats = pool_stats(threshold=obj)
        return (f"{stats.available} available; sold {stats.sales_7d} in 7 days, {stats.sales_30d} in 30 days; "
                f"{_days(stats.days_left)} days left")

    @admin.action(description="Check selected pools now", permissions=["change"])
    def check_now(self, request, queryset):
        outcomes = [low_stock_threshold_check(threshold_id=pk, acting_user=request.user)[0]
                    for pk in queryset.order_by("pk").values_list("pk", flat=True)]
        self.message_user(request, f"Checked {len(outcomes)} pool(s): {outcomes.count('opened')} alert(s) opened, "
                                   f"{outcomes.count('resolved')} resolved.", messages.SUCCESS)


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyModelAdmin):
    list_display = ("pool", "reason", "state", "opened_at", "resolved_at", "available_at_open", "days_left_open",
                    "available_now", "days_left_now")
    list_filter = (AlertStateFilter, "reason", "threshold__country", recent_filter("opened_at", "opened"))
    list_select_related = ("threshold",)
    search_fields = ("threshold__country", "threshold__area_code")
    ordering = ("-opened_at", "-id")
    readonly_fields = ("threshold_link", "reason", "opened_at", "resolved_at", "available_at_open",
                       "days_left_at_open", "sales_7d_at_open", "sales_30d_at_open")
    fields = readonly_fields

    @admin.display(description="pool")
    def pool(self, obj: LowStockAlert) -> str:
        return obj.threshold.pool_label

    @admin.display(description="threshold")
    def threshold_link(self, obj: LowStockAlert) -> str:
        url = reverse("admin:inventory_lowstockthreshold_change", args=[obj.threshold_id])
        return format_html('<a href="{}">{}</a>', url, obj.threshold.pool_label)

    @admin.display(description="state")
    def state(self, obj: LowStockAlert) -> str:
        return "open" if obj.is_open else "resolved"

    @admin.display(description="days left at open")
    def days_left_open(self, obj: LowStockAlert) -> str:
        return _days(obj.days_left_at_open)

    @admin.display(description="available now")
    def available_now(self, obj: LowStockAlert):
        return obj.threshold.available

    @admin.display(description="days left now")
    def days_left_now(self, obj: LowStockAlert) -> str:
        return _days(obj.threshold.days_left)


@admin.register(CarrierFailure)
class CarrierFailureAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "provider", "operation", "e164", "code", "message", "organization")
    list_filter = (recent_filter(), "provider", distinct_values_filter("operation", "operation"))
    search_fields = ("=code", "message", "organization__name")
    digit_search_fields = ("e164",)
    list_select_related = ("organization",)
    ordering = ("-created_at", "-id")


@admin.register(CarrierRelease)
class CarrierReleaseAdmin(ReadOnlyModelAdmin):
    """Numbers being handed back to carriers: pending ones are retried by reconcile_carrier_orders."""

    list_display = ("created_at", "provider", "e164", "reason", "status", "attempts", "next_attempt_at",
                    "last_error", "organization")
    list_filter = ("status", "reason", "provider")
    search_fields = ("=provider_order_id", "last_error", "organization__name")
    digit_search_fields = ("e164",)
    list_select_related = ("organization",)
    ordering = ("-created_at", "-id")


# --- bulk reservations (active holds, time left, force-expire) and US 10DLC brands/campaigns -------
# Reservations are read-only here: their state only changes through the services (cancel, expire).


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
    fields = ("e164", "provider", "monthly", "setup", "status", "owned_number", "error_code", "error_message")
    readonly_fields = fields
    show_change_link = False
    raw_id_fields = ("owned_number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owned_number")

    @admin.display(description="monthly (quoted)")
    def monthly(self, obj: BulkReservationItem) -> str:
        return cents(obj.monthly_cents)

    @admin.display(description="setup (quoted)")
    def setup(self, obj: BulkReservationItem) -> str:
        return cents(obj.setup_cents)


@admin.register(BulkReservation)
class BulkReservationAdmin(OrbitModelAdmin):
    list_display = ("id", "organization", "purpose", "status", "country", "number_type", "quantity_requested",
                    "quantity_reserved", "purchased_count", "failed_count", "debited", "expires_at",
                    "hold_time_left", "created_at")
    # Every checkout is a reservation too, so this table grows like the owned numbers: no DISTINCT
    # country and no date hierarchy (SELECT DISTINCT date_trunc(…) over the table) per page load.
    list_filter = (ActiveHoldFilter, "status", "purpose",
                   distinct_values_filter("country", "country", values=inventory_countries), "number_type",
                   recent_filter("created_at", "created"))
    # A number finds the reservations that held it through the items, by EXISTS (below): searching
    # "items__e164" here would make Django SELECT DISTINCT over the reservations × items join.
    search_fields = ("id", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    inlines = [BulkReservationItemInline]
    actions = ["force_expire", "cancel_reservations", "sweep_expired"]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_digits(search_term)
        if digits is None:
            return found, may_have_duplicates
        items = BulkReservationItem.objects.filter(reservation=OuterRef("pk"), e164__contains=digits)
        return found | queryset.filter(Exists(items)), may_have_duplicates

    @admin.display(description="time left", ordering="expires_at")
    def hold_time_left(self, obj: BulkReservation) -> str:
        if obj.status not in BulkReservation.HELD_STATUSES:
            return "—"
        return time_left(obj.expires_at)

    @admin.display(description="debited", ordering="debited_cents")
    def debited(self, obj: BulkReservation) -> str:
        return cents(obj.debited_cents)

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
    fields = ("id", "name", "use_case", "status", "registration_status", "created_at")
    readonly_fields = ("id", "registration_status", "created_at")
    show_change_link = True


@admin.register(Brand)
class BrandAdmin(TenDlcRegistrationAdminMixin, OrbitModelAdmin):
    list_display = ("id", "name", "organization", "identity_status", "registration_status", "rejection_code",
                    "created_at")
    list_filter = ("registration_status", "identity_status")
    search_fields = ("id", "name", "legal_name", "organization__name")
    list_select_related = ("organization",)
    inlines = [CampaignInline]
    actions = ["refresh_vetting"]
    refresh_one = staticmethod(ten_dlc_admin.brand_refresh)


@admin.register(Campaign)
class CampaignAdmin(TenDlcRegistrationAdminMixin, OrbitModelAdmin):
    list_display = ("id", "name", "organization", "brand", "status", "registration_status", "rejection_code",
                    "use_case", "created_at")
    list_filter = ("registration_status", "status", "brand__identity_status")
    search_fields = ("id", "name", "brand__name", "organization__name")
    list_select_related = ("organization", "brand")
    autocomplete_fields = ("brand",)
    actions = ["refresh_vetting"]
    refresh_one = staticmethod(ten_dlc_admin.campaign_refresh)


from . import caller_id  # noqa: E402,F401
from . import lookup  # noqa: E402,F401
from . import emergency  # noqa: E402,F401
from . import health  # noqa: E402,F401
from . import compliance  # noqa: E402,F401
from . import inventory_sync  # noqa: E402,F401
