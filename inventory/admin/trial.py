"""Console screens for accounts work on stock: reclaim released numbers, the trial pool, trial
allowances and loans. Every change goes through inventory/services (reclaim.py, trial.py)."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from orbit_numbers.admin_base import OrbitModelAdmin, ReadOnlyModelAdmin
from orbit_numbers.errors import OrbitError

from ..models import TrialAllowance, TrialLoan, TrialPoolNumber
from ..services.reclaim import ReclaimMode, number_reclaim
from ..services.trial import trial_allowance_problems, trial_allowance_set, trial_pool_add, trial_pool_remove


class ReclaimForm(forms.Form):
    mode = forms.ChoiceField(choices=ReclaimMode.choices, widget=forms.RadioSelect, help_text=(
        "Inventory: on sale now (only once the carrier confirmed its release). Last owner: a new tenure for the "
        "organisation that released it, its first month charged to that wallet."))


class ConfirmLendForm(forms.Form):
    """Nothing to fill in: the screen only confirms the selection."""


class StockActionsMixin:
    """Actions on inventory rows (PhoneNumberAdmin): reclaim resting numbers, set rows aside for trials."""

    stock_actions = ("reclaim_numbers", "add_to_trial_pool")

    def has_reclaim_permission(self, request) -> bool:
        return request.user.has_perm("inventory.reclaim_number")

    def has_lend_permission(self, request) -> bool:
        return request.user.has_perm("inventory.add_trialpoolnumber")

    def action_preview_row(self, obj) -> str:
        resting = f", resting until {obj.aging_until:%Y-%m-%d}" if obj.aging_until else ""
        return f"{obj.e164} ({obj.get_status_display()}{resting})"

    @admin.action(description="Reclaim selected released numbers…", permissions=["reclaim"])
    def reclaim_numbers(self, request, queryset):
        form = ReclaimForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="reclaim_numbers", title="Reclaim released numbers",
                                    form=form, button="Reclaim",
                                    note="All or none: a number that cannot be reclaimed stops the whole batch.")
        try:
            done = number_reclaim(phone_number_ids=list(queryset.values_list("pk", flat=True)),
                                  mode=form.cleaned_data["mode"], acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, f"Nothing reclaimed: {exc.message}", messages.ERROR)
            return None
        self.message_user(request, f"Reclaimed {len(done)} number(s).", messages.SUCCESS)
        return None

    @admin.action(description="Set selected numbers aside for trial loans…", permissions=["lend"])
    def add_to_trial_pool(self, request, queryset):
        form = ConfirmLendForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self.action_page(request, queryset, action="add_to_trial_pool", title="Add to the trial pool",
                                    form=form, button="Add them",
                                    note="They leave sale and are lent, free, to trial organisations.")
        try:
            added = trial_pool_add(phone_number_ids=list(queryset.values_list("pk", flat=True)),
                                   acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, f"Nothing added: {exc.message}", messages.ERROR)
            return None
        self.message_user(request, f"Added {len(added)} number(s) to the trial pool.", messages.SUCCESS)
        return None


@admin.register(TrialPoolNumber)
class TrialPoolNumberAdmin(OrbitModelAdmin):
    list_display = ("phone_number", "added_by", "created_at")
    list_select_related = ("phone_number", "added_by")
    raw_id_fields = ("phone_number",)
    search_fields = ("=phone_number__e164",)
    ordering = ("-id",)
    actions = ("remove_from_pool",)

    def has_add_permission(self, request):
        return False  # rows are added from the inventory list (an action that checks them)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_remove_permission(self, request) -> bool:
        return request.user.has_perm("inventory.delete_trialpoolnumber")

    @admin.action(description="Take selected numbers out of the trial pool (back on sale)", permissions=["remove"])
    def remove_from_pool(self, request, queryset):
        try:
            removed = trial_pool_remove(pool_number_ids=list(queryset.values_list("pk", flat=True)),
                                        acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, f"Nothing removed: {exc.message}", messages.ERROR)
            return
        self.message_user(request, f"Removed {removed} number(s) from the trial pool.", messages.SUCCESS)


class TrialAllowanceForm(forms.ModelForm):
    class Meta:
        model = TrialAllowance
        fields = ("organization", "max_numbers", "loan_days", "active_until", "note")

    def clean(self):
        data = super().clean()
        for field, message in trial_allowance_problems(max_numbers=data.get("max_numbers"),
                                                       loan_days=data.get("loan_days"),
                                                       active_until=data.get("active_until")).items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


@admin.register(TrialAllowance)
class TrialAllowanceAdmin(OrbitModelAdmin):
    form = TrialAllowanceForm
    list_display = ("organization", "max_numbers", "loan_days", "active_until", "updated_at")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    search_fields = ("organization__name", "=organization__id")
    fields = ("organization", "max_numbers", "loan_days", "active_until", "note")
    ordering = ("-updated_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("organization",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # end a trial by moving active_until

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        organization = obj.organization if change else data["organization"]
        # Checked by the form with the service's own rules; the service saves and audits.
        saved = trial_allowance_set(organization=organization, max_numbers=data["max_numbers"],
                                    loan_days=data["loan_days"], active_until=data["active_until"],
                                    note=data.get("note") or "", acting_user=request.user)
        obj.pk = saved.pk


@admin.register(TrialLoan)
class TrialLoanAdmin(ReadOnlyModelAdmin):
    list_display = ("e164", "organization", "status", "lent_at", "expires_at", "warned_at", "ended_at")
    list_filter = ("status",)
    list_select_related = ("organization",)
    search_fields = ("=id", "=e164", "organization__name")
    ordering = ("-lent_at", "-id")
