"""Caller ID in the console: CNAM listings (pending and rejected first; retry a rejected or failed
submission) and spam-label disputes (open first; assign, annotate, move to a resolution).

Listings and disputes change only through the services (which lock, audit and send webhooks);
every action checks its own permission.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When

from orbit_numbers.admin_base import ActionFormMixin, ReadOnlyInline, ReadOnlyModelAdmin, choices_filter

from ..models import CnamListing, NumberSpamLabel, Provider, SpamDispute, SpamDisputeNote
from ..services.caller_id import (cnam_listing_retry, spam_dispute_assign, spam_dispute_note_add, spam_dispute_reject,
                                  spam_dispute_resolve, spam_dispute_submit)

def _rank(field: str, order: list[str]) -> Case:
    """Rows in ``order`` of their ``field`` value first (the ones that need staff), the rest after."""
    return Case(*[When(**{field: value}, then=Value(rank)) for rank, value in enumerate(order)],
                default=Value(len(order)), output_field=IntegerField())


def _ranked(model_admin, request, order: list[str]):
    """The changelist's rows with their ``attention`` rank (ModelAdmin.get_queryset orders before an
    annotation could be added, so the ordering is applied here)."""
    queryset = model_admin.model._default_manager.get_queryset().annotate(attention=_rank("status", order))
    return queryset.order_by(*model_admin.get_ordering(request))


# --- CNAM listings ------------------------------------------------------------------------------------


@admin.register(CnamListing)
class CnamListingAdmin(ActionFormMixin, ReadOnlyModelAdmin):
    list_display = ("e164", "organization", "display_name", "status", "reject_reason", "submission_attempts",
                    "last_error", "submitted_at", "listed_at", "updated_at")
    # One listing per number: the carriers come from their enum, not a DISTINCT over the table.
    list_filter = ("status", choices_filter("provider", "provider", Provider.choices))
    search_fields = ("display_name", "organization__name", "=id")
    digit_search_fields = ("e164",)
    list_select_related = ("organization",)
    readonly_fields = ("id", "organization", "number", "e164", "provider", "display_name", "status",
                       "carrier_reference", "reject_code", "reject_reason", "last_error", "submission_attempts",
                       "revision", "submitted_at", "listed_at", "last_polled_at", "created_at", "updated_at")
    fields = readonly_fields
    actions = ("retry_submission",)

    def get_queryset(self, request):
        # Pending, rejected and failed listings need an eye; listed ones come last.
        return _ranked(self, request, ["pending", "rejected", "failed"])

    def get_ordering(self, request):
        return ("attention", "-updated_at", "-id")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("inventory.retry_cnam_listing")

    @admin.action(description="Resubmit selected rejected or failed listings to the carrier",
                  permissions=["retry"])
    def retry_submission(self, request, queryset):
        self.each_row(request, queryset, lambda pk: cnam_listing_retry(listing_id=pk, acting_user=request.user),
                      "Resubmitted")


# --- spam-label disputes ------------------------------------------------------------------------------


class SpamDisputeNoteInline(ReadOnlyInline, admin.TabularInline):
    model = SpamDisputeNote
    fields = ("created_at", "author", "text")
    readonly_fields = fields
    show_change_link = False


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_staff=True, is_active=True),
                                      required=False, help_text="Empty: unassign.")


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class OutcomeForm(forms.Form):
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Sent to the customer with the spam_dispute.updated webhook.")


class RejectForm(forms.Form):
    note = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Required: why the dispute is rejected (the customer is told).")


@admin.register(SpamDispute)
class SpamDisputeAdmin(ActionFormMixin, ReadOnlyModelAdmin):
    list_display = ("id", "e164", "organization", "analytics_provider", "label", "status", "resolution",
                    "assigned_to", "created_at", "updated_at")
    list_filter = ("status", "analytics_provider", "resolution")
    search_fields = ("=id", "organization__name", "label", "contact_email")
    digit_search_fields = ("e164",)
    list_select_related = ("organization", "assigned_to")
    readonly_fields = ("id", "organization", "number", "e164", "analytics_provider", "label", "score_at_filing",
                       "reason", "contact_email", "traffic_description", "status", "resolution", "resolution_note",
                       "assigned_to", "created_at", "updated_at", "submitted_at", "closed_at")
    fields = readonly_fields
    inlines = (SpamDisputeNoteInline,)
    actions = ("assign_to_me", "assign", "add_note", "mark_submitted", "resolve_removed", "resolve_upheld", "reject")

    def get_queryset(self, request):
        return _ranked(self, request, ["open", "submitted"])

    def get_ordering(self, request):
        return ("attention", "created_at", "id")  # open first, oldest first: the queue order

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("inventory.manage_spam_dispute")

    @admin.action(description="Assign selected disputes to me", permissions=["manage"])
    def assign_to_me(self, request, queryset):
        self.each_row(request, queryset, lambda pk: spam_dispute_assign(
            dispute_id=pk, assignee=request.user, acting_user=request.user), "Assigned to you")

    @admin.action(description="Assign selected disputes to…", permissions=["manage"])
    def assign(self, request, queryset):
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="assign", title="Assign disputes", form=form,
                                    button="Assign")
        assignee = form.cleaned_data["assignee"]
        self.each_row(request, queryset, lambda pk: spam_dispute_assign(
            dispute_id=pk, assignee=assignee, acting_user=request.user), "Assigned")
        return None

    @admin.action(description="Add a note to selected disputes…", permissions=["manage"])
    def add_note(self, request, queryset):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="add_note", title="Add a note", form=form,
                                    button="Add note", note="Notes are for staff; the customer does not see them.")
        self.each_row(request, queryset, lambda pk: spam_dispute_note_add(
            dispute_id=pk, text=form.cleaned_data["text"], acting_user=request.user), "Noted")
        return None

    def _outcome(self, request, queryset, *, action: str, title: str, button: str, call, form_class=OutcomeForm):
        form = form_class(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action=action, title=title, form=form, button=button,
                                    note="The customer receives the spam_dispute.updated webhook.")
        self.each_row(request, queryset, lambda pk: call(pk, form.cleaned_data["note"]), title)
        return None

    @admin.action(description="Mark selected as submitted to the analytics provider…", permissions=["manage"])
    def mark_submitted(self, request, queryset):
        return self._outcome(request, queryset, action="mark_submitted", title="Submitted", button="Mark submitted",
                             call=lambda pk, note: spam_dispute_submit(dispute_id=pk, note=note,
                                                                       acting_user=request.user))

    @admin.action(description="Resolve selected: label removed…", permissions=["manage"])
    def resolve_removed(self, request, queryset):
        return self._outcome(request, queryset, action="resolve_removed", title="Resolved (label removed)",
                             button="Resolve", call=lambda pk, note: spam_dispute_resolve(
                                 dispute_id=pk, resolution=SpamDispute.Resolution.LABEL_REMOVED, note=note,
                                 acting_user=request.user))

    @admin.action(description="Resolve selected: label upheld…", permissions=["manage"])
    def resolve_upheld(self, request, queryset):
        return self._outcome(request, queryset, action="resolve_upheld", title="Resolved (label upheld)",
                             button="Resolve", call=lambda pk, note: spam_dispute_resolve(
                                 dispute_id=pk, resolution=SpamDispute.Resolution.LABEL_UPHELD, note=note,
                                 acting_user=request.user))

    @admin.action(description="Reject selected disputes…", permissions=["manage"])
    def reject(self, request, queryset):
        return self._outcome(request, queryset, action="reject", title="Rejected", button="Reject",
                             form_class=RejectForm, call=lambda pk, note: spam_dispute_reject(
                                 dispute_id=pk, note=note, acting_user=request.user))


@admin.register(NumberSpamLabel)
class NumberSpamLabelAdmin(ReadOnlyModelAdmin):
    """Labels as last read from the analytics providers (refreshed hourly and on every API read)."""

    list_display = ("number", "analytics_provider", "label", "score", "flagged_at", "checked_at")
    list_filter = ("analytics_provider",)
    search_fields = ("label",)
    digit_search_fields = ("number__e164",)
    list_select_related = ("number",)
    ordering = ("-score", "id")
