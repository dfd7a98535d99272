"""Operations console for porting: the LoA review queue and screen (LoA shown beside the
request), manual carrier updates for carriers without a porting API, and read-only views of
port-outs and Port-Out Protection. Every action is permission-checked and goes through a
service (which audits it). Secrets — the carrier account PIN, the port-out PIN hash — are
never displayed."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin

from csp.constants import SELF
from csp.decorators import csp_replace

from orbit_numbers.admin_base import OrbitModelAdmin
from orbit_numbers.errors import OrbitError
from orbit_numbers.files.services import file_open

from . import selectors, services
from .models import (PortInNumber, PortOutNumber, PortOutProtection, PortOutRequest, PortRequest,
                     PortRequestEvent, PortStatus)
from .reject_codes import STAFF_CODES, explain

REVIEW_PERMISSION = "porting.review_loa"
RESET_PIN_PERMISSION = "porting.reset_pin"


class ApproveForm(forms.Form):
    country = forms.CharField(max_length=2, required=False,
                              help_text="Only for requests stored without a country (hand-processing).")
    note = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    code = forms.ChoiceField(choices=[(c.code, f"{c.code} — {c.explanation}") for c in STAFF_CODES])
    note = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Shown to the customer with the code's explanation.")


class CarrierUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s) for s in ("carrier_review", "foc_assigned", "foc_scheduled",
                                                         "completed", "rejected", "cancelled")])
    foc_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    provider_order_id = forms.CharField(max_length=100, required=False,
                                        help_text="The carrier's reference for the port, once known.")
    reject_code = forms.CharField(max_length=50, required=False, help_text="Carrier reject code, for a rejection.")
    note = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PinResetForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), help_text=(
        "How the customer proved they own the number (ticket, call-back…). Audited."))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason.")
        return reason


class PortInNumberInline(admin.TabularInline):
    model = PortInNumber
    fields = ("e164", "active", "owned_number")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PortRequestEventInline(admin.TabularInline):
    model = PortRequestEvent
    fields = ("created_at", "status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PortRequest)
class PortRequestAdmin(OrbitModelAdmin):
    list_display = ("id", "organization", "numbers_summary", "status", "provider", "loa_signature_status",
                    "handling", "charge_status", "submitted_at")
    list_filter = ("status", "provider", "loa_signature_status", "handling", "loa_mode", "charge_status")
    search_fields = ("id", "organization__name", "provider_order_id", "lines__e164")
    date_hierarchy = "submitted_at"
    list_select_related = ("organization",)
    inlines = [PortInNumberInline, PortRequestEventInline]
    # Explicit, so the encrypted account PIN can never appear on a page.
    fields = ("id", "organization", "status", "numbers", "country", "provider", "current_carrier",
              "account_number", "account_pin_provided", "authorized_signer", "service_address", "loa_mode",
              "loa_file", "loa_signature_status", "loa_signer_name", "loa_signer_email", "loa_signed_at",
              "handling", "provider_order_id", "provider_status", "foc_date", "reject_code",
              "reject_reason", "rejected_by", "rejected_at", "supplement_count", "reviewed_by", "reviewed_at",
              "review_note", "charge_status", "submitted_at", "dispatched_at", "dispatch_action",
              "dispatch_claimed_at", "last_polled_at", "completed_at", "cancelled_at")
    readonly_fields = fields
    change_form_template = "admin/porting/portrequest/change_form.html"
    change_list_template = "admin/porting/portrequest/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="numbers")
    def numbers_summary(self, obj):
        numbers = list(obj.numbers)
        return ", ".join(numbers[:3]) + (f" (+{len(numbers) - 3})" if len(numbers) > 3 else "")

    @admin.display(description="account PIN", boolean=True)
    def account_pin_provided(self, obj):
        return obj.account_pin_provided

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review/", wrap(self.review_queue_view), name="porting_portrequest_review_queue"),
            path("<str:object_id>/review/", wrap(self.review_view), name="porting_portrequest_review"),
            path("<str:object_id>/loa/", wrap(self.loa_file_view), name="porting_portrequest_loa"),
            path("<str:object_id>/carrier-update/", wrap(self.carrier_update_view),
                 name="porting_portrequest_carrier_update"),
        ] + super().get_urls()

    def _require(self, request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def review_queue_view(self, request):
        self._require(request, REVIEW_PERMISSION)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "LoA review queue", "queue": selectors.loa_review_queue()[:200]}
        return TemplateResponse(request, "admin/porting/portrequest/review_queue.html", context)

    def review_view(self, request, object_id: str):
        self._require(request, REVIEW_PERMISSION)
        port_request = get_object_or_404(PortRequest.objects.select_related("organization", "loa_file"),
                                         pk=object_id)
        approve_form, reject_form = ApproveForm(prefix="approve"), RejectForm(prefix="reject")
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "approve":
                    approve_form = ApproveForm(request.POST, prefix="approve")
                    if approve_form.is_valid():
                        services.port_request_loa_approve(port_request_id=port_request.pk, acting_user=request.user,
                                                          country=approve_form.cleaned_data["country"],
                                                          note=approve_form.cleaned_data["note"])
                        messages.success(request, f"{port_request.pk}: LoA approved, sent to the carrier.")
                        return redirect("admin:porting_portrequest_review_queue")
                elif action == "reject":
                    reject_form = RejectForm(request.POST, prefix="reject")
                    if reject_form.is_valid():
                        services.port_request_loa_reject(port_request_id=port_request.pk, acting_user=request.user,
                                                         code=reject_form.cleaned_data["code"],
                                                         note=reject_form.cleaned_data["note"])
                        messages.success(request, f"{port_request.pk}: LoA rejected.")
                        return redirect("admin:porting_portrequest_review_queue")
                else:
                    messages.error(request, "Choose approve or reject.")
            except OrbitError as exc:
                messages.error(request, exc.message)
        loa = port_request.loa_file
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": port_request,
            "title": f"Review LoA of {port_request.pk}", "port_request": port_request, "loa": loa,
            "loa_url": reverse("admin:porting_portrequest_loa", args=[port_request.pk]) if loa else None,
            "approve_form": approve_form, "reject_form": reject_form,
            "can_review": port_request.status == PortStatus.VALIDATING_LOA,
        }
        return TemplateResponse(request, "admin/porting/portrequest/review.html", context)

    # The review screen (same origin) frames it; Chrome shows a PDF through an embed in that frame.
    @xframe_options_sameorigin
    @csp_replace({"frame-ancestors": [SELF], "object-src": [SELF]})
    def loa_file_view(self, request, object_id: str):
        """Staff-only: the LoA bytes, inline so the review screen can embed them."""
        self._require(request, "porting.view_portrequest")
        port_request = get_object_or_404(PortRequest.objects.select_related("loa_file"), pk=object_id)
        if port_request.loa_file is None:
            raise Http404("No LoA attached.")
        stored = port_request.loa_file
        response = FileResponse(file_open(stored), content_type=stored.content_type)
        response["Content-Disposition"] = f'inline; filename="{stored.id}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def carrier_update_view(self, request, object_id: str):
        self._require(request, "porting.change_portrequest")
        port_request = get_object_or_404(PortRequest, pk=object_id)
        form = CarrierUpdateForm(initial={"status": port_request.status, "foc_date": port_request.foc_date,
                                          "provider_order_id": port_request.provider_order_id})
        if request.method == "POST":
            form = CarrierUpdateForm(request.POST)
            if form.is_valid():
                try:
                    services.port_request_record_carrier_update(port_request_id=port_request.pk,
                                                                acting_user=request.user, **form.cleaned_data)
                    messages.success(request, f"{port_request.pk}: carrier update recorded.")
                    # The admin's own views unquote their object id ("_12" would become "\x12"): quote it.
                    return redirect("admin:porting_portrequest_change", quote(port_request.pk))
                except OrbitError as exc:
                    messages.error(request, exc.message)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": port_request,
                   "title": f"Record carrier update for {port_request.pk}", "form": form,
                   "port_request": port_request}
        return TemplateResponse(request, "admin/porting/portrequest/carrier_update.html", context)

    def render_change_form(self, request, context, *args, **kwargs):
        obj = context.get("original")
        if obj is not None:
            context["reject_explanation"] = explain(obj.reject_code) if obj.reject_code else None
            context["can_review"] = (obj.status == PortStatus.VALIDATING_LOA and
                                     request.user.has_perm(REVIEW_PERMISSION))
            context["can_record_carrier"] = (obj.status in (PortStatus.CARRIER_REVIEW, PortStatus.FOC_ASSIGNED,
                                                            PortStatus.FOC_SCHEDULED) and
                                             request.user.has_perm("porting.change_portrequest"))
        return super().render_change_form(request, context, *args, **kwargs)


class PortOutNumberInline(admin.TabularInline):
    model = PortOutNumber
    fields = ("e164", "owned_number", "previous_status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PortOutRequest)
class PortOutRequestAdmin(OrbitModelAdmin):
    list_display = ("id", "organization", "status", "provider", "destination_carrier", "foc_date", "created_at")
    list_filter = ("status", "provider")
    search_fields = ("id", "organization__name", "provider_order_id", "lines__e164")
    list_select_related = ("organization",)
    inlines = [PortOutNumberInline]
    readonly_fields = ("id", "organization", "status", "provider", "provider_order_id", "provider_status",
                       "destination_carrier", "target_carrier_ocn", "losing_carrier_account_number",
                       "authorized_person", "new_owner_info", "foc_date", "reject_code", "reject_reason",
                       "dispatch_action", "dispatch_claimed_at", "last_polled_at", "completed_at", "cancelled_at",
                       "created_at", "updated_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PortOutProtection)
class PortOutProtectionAdmin(OrbitModelAdmin):
    """Status only: the PIN hash is never shown."""

    list_display = ("number_link", "enabled_flag", "set_at", "failed_attempts", "locked_until")
    search_fields = ("number__e164", "number__organization__name")
    fields = ("number", "enabled_flag", "set_at", "failed_attempts", "window_started_at", "locked_until")
    readonly_fields = fields
    list_select_related = ("number",)
    change_form_template = "admin/porting/portoutprotection/change_form.html"

    def get_urls(self):
        return [
            path("<str:object_id>/reset/", self.admin_site.admin_view(self.reset_view),
                 name="porting_portoutprotection_reset"),
        ] + super().get_urls()

    def reset_view(self, request, object_id: str):
        """Staff reset of a lost PIN: clears the PIN and any lock, with an audited reason."""
        if not request.user.has_perm(RESET_PIN_PERMISSION):
            raise PermissionDenied
        protection = get_object_or_404(PortOutProtection.objects.select_related("number__organization"),
                                       pk=object_id)
        form = PinResetForm()
        if request.method == "POST":
            form = PinResetForm(request.POST)
            if form.is_valid():
                try:
                    services.port_out_protection_reset(protection_id=protection.pk, acting_user=request.user,
                                                       reason=form.cleaned_data["reason"])
                    messages.success(request, f"{protection.number.e164}: port-out PIN reset.")
                    return redirect("admin:porting_portoutprotection_change", quote(protection.pk))
                except OrbitError as exc:
                    messages.error(request, exc.message)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": protection,
                   "title": f"Reset the port-out PIN of {protection.number.e164}", "form": form,
                   "protection": protection}
        return TemplateResponse(request, "admin/porting/portoutprotection/reset.html", context)

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_reset_pin"] = context.get("original") is not None and request.user.has_perm(RESET_PIN_PERMISSION)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="number")
    def number_link(self, obj):
        return format_html("{} ({})", obj.number.e164, obj.number.organization_id)

    @admin.display(description="enabled", boolean=True)
    def enabled_flag(self, obj):
        return obj.enabled

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
