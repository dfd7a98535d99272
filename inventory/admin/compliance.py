"""Regulation in the console: the requirements table (staff edit it), and the compliance review queue
and screen (documents downloadable, Approve / Reject with a reason). Reviews are permission-checked
(``inventory.review_complianceprofile``) and go through services, which audit them."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from orbit_numbers.admin_base import OrbitModelAdmin, distinct_values_filter
from orbit_numbers.errors import OrbitError
from orbit_numbers.files.services import EXTENSIONS, file_open

from ..models import ComplianceDocument, ComplianceProfile, RegulatoryRequirement
from ..selectors.compliance import compliance_review_queue
from ..services.compliance import compliance_profile_approve, compliance_profile_reject, profile_missing

REVIEW_PERMISSION = "inventory.review_complianceprofile"


# --- the requirements table -------------------------------------------------------------------------------


@admin.register(RegulatoryRequirement)
class RegulatoryRequirementAdmin(OrbitModelAdmin):
    list_display = ("country", "line_type", "action", "document_list", "field_list", "profile_required", "note",
                    "updated_at")
    list_filter = (distinct_values_filter("country", "country"), "line_type", "action")
    search_fields = ("=country", "note")
    ordering = ("country", "line_type", "action")
    fields = ("country", "line_type", "action", "documents", "fields", "note", "updated_at")
    readonly_fields = ("updated_at",)

    @admin.display(description="documents")
    def document_list(self, obj: RegulatoryRequirement) -> str:
        return ", ".join(d["type"] + (" (per port request)" if d.get("source") == "port_request" else "")
                         for d in obj.documents) or "—"

    @admin.display(description="fields")
    def field_list(self, obj: RegulatoryRequirement) -> str:
        return ", ".join(f["name"] for f in obj.fields) or "—"

    @admin.display(description="profile required", boolean=True)
    def profile_required(self, obj: RegulatoryRequirement) -> bool:
        return obj.profile_required


# --- profiles and their review ----------------------------------------------------------------------------


class ApproveForm(forms.Form):
    valid_until = forms.DateTimeField(required=False, help_text=(
        "Blank: the date the customer asked for, else the default validity (ORBIT COMPLIANCE_PROFILE_VALIDITY_DAYS)."))


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Shown to the customer: say what to fix.")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason.")
        return reason


class ComplianceDocumentInline(admin.TabularInline):
    model = ComplianceDocument
    fields = ("document_type", "download", "content_type", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="file")
    def download(self, obj: ComplianceDocument) -> str:
        url = reverse("admin:inventory_complianceprofile_document", args=[quote(obj.profile_id), obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file_id)

    @admin.display(description="type")
    def content_type(self, obj: ComplianceDocument) -> str:
        return obj.file.content_type


@admin.register(ComplianceProfile)
class ComplianceProfileAdmin(OrbitModelAdmin):
    list_display = ("id", "name", "organization", "country", "line_type_list", "action_list", "current_status",
                    "submitted_at", "valid_until")
    list_filter = ("status", distinct_values_filter("country", "country"))
    search_fields = ("=id", "name", "organization__name")
    list_select_related = ("organization",)
    ordering = ("-created_at", "-id")
    inlines = [ComplianceDocumentInline]
    actions = ["approve_selected"]
    readonly_fields = ("id", "organization", "name", "country", "line_types", "actions", "field_values", "status",
                       "rejection_reason", "valid_until", "submitted_at", "reviewed_at", "reviewed_by", "created_at",
                       "updated_at", "review_link")
    fields = readonly_fields
    change_list_template = "admin/inventory/complianceprofile/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # customers create profiles through the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # numbers and audit rows point at them

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description="line types")
    def line_type_list(self, obj: ComplianceProfile) -> str:
        return ", ".join(obj.line_types)

    @admin.display(description="actions")
    def action_list(self, obj: ComplianceProfile) -> str:
        return ", ".join(obj.actions)

    @admin.display(description="status", ordering="status")
    def current_status(self, obj: ComplianceProfile) -> str:
        return obj.effective_status()

    @admin.display(description="fields")
    def field_values(self, obj: ComplianceProfile) -> str:
        return format_html_join("", "<div><b>{}</b>: {}</div>", sorted(obj.fields.items())) or "—"

    @admin.display(description="review")
    def review_link(self, obj: ComplianceProfile) -> str:
        if obj.status != ComplianceProfile.Status.SUBMITTED:
            return "—"
        return format_html('<a href="{}">Review this profile</a>',
                           reverse("admin:inventory_complianceprofile_review", args=[quote(obj.pk)]))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review/", wrap(self.review_queue_view), name="inventory_complianceprofile_review_queue"),
            path("<str:object_id>/review/", wrap(self.review_view), name="inventory_complianceprofile_review"),
            path("<str:object_id>/documents/<int:document_id>/", wrap(self.document_view),
                 name="inventory_complianceprofile_document"),
        ] + super().get_urls()

    def _require_review(self, request) -> None:
        if not self.has_review_permission(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_review": self.has_review_permission(request),
                         "review_queue_size": compliance_review_queue().count()}
        return super().changelist_view(request, extra_context)

    def review_queue_view(self, request):
        self._require_review(request)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Compliance review queue", "queue": compliance_review_queue()[:200]}
        return TemplateResponse(request, "admin/inventory/complianceprofile/review_queue.html", context)

    def review_view(self, request, object_id: str):
        self._require_review(request)
        profile = get_object_or_404(ComplianceProfile.objects.select_related("organization"), pk=object_id)
        approve_form, reject_form = ApproveForm(prefix="approve"), RejectForm(prefix="reject")
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "approve":
                    approve_form = ApproveForm(request.POST, prefix="approve")
                    if approve_form.is_valid():
                        result = compliance_profile_approve(profile_id=profile.pk, acting_user=request.user,
                                                            valid_until=approve_form.cleaned_data["valid_until"])
                        messages.success(request, f"{profile.pk} approved; {len(result.activated)} number(s) "
                                                  "released from regulatory hold.")
                        return redirect("admin:inventory_complianceprofile_review_queue")
                elif action == "reject":
                    reject_form = RejectForm(request.POST, prefix="reject")
                    if reject_form.is_valid():
                        compliance_profile_reject(profile_id=profile.pk, acting_user=request.user,
                                                  reason=reject_form.cleaned_data["reason"])
                        messages.success(request, f"{profile.pk} rejected.")
                        return redirect("admin:inventory_complianceprofile_review_queue")
                else:
                    messages.error(request, "Choose approve or reject.")
            except OrbitError as exc:
                messages.error(request, exc.message)
        documents = [(document, reverse("admin:inventory_complianceprofile_document",
                                        args=[quote(profile.pk), document.pk]))
                     for document in profile.documents.select_related("file")]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": profile,
            "title": f"Review compliance profile {profile.pk}", "profile": profile, "documents": documents,
            "fields": sorted(profile.fields.items()), "missing": profile_missing(profile),
            "approve_form": approve_form, "reject_form": reject_form,
            "can_review": profile.status == ComplianceProfile.Status.SUBMITTED,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/inventory/complianceprofile/review.html", context)

    def document_view(self, request, object_id: str, document_id: int):
        """Staff-only download of one document of a profile (never a tenant's signed URL)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(ComplianceDocument.objects.select_related("file"), pk=document_id,
                                     profile_id=object_id)
        stored = document.file
        response = FileResponse(file_open(stored), content_type=stored.content_type, as_attachment=True,
                                filename=f"{document.document_type}-{stored.id}.{EXTENSIONS[stored.content_type]}")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description="Approve selected submitted profiles (releases their held numbers)",
                  permissions=["review"])
    def approve_selected(self, request, queryset):
        approved = released = 0
        for profile_id in queryset.values_list("pk", flat=True):
            try:
                result = compliance_profile_approve(profile_id=profile_id, acting_user=request.user)
            except OrbitError as exc:
                self.message_user(request, f"{profile_id}: {exc.message}", messages.WARNING)
                continue
            approved += 1
            released += len(result.activated)
        self.message_user(request, f"Approved {approved} profile(s); {released} number(s) released from hold.")
