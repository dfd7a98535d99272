"""Wallets in the console: balance and ledger are read-only; money moves only through an audited
adjustment (billing.services.wallet_adjust) with a mandatory reason, by staff allowed to. Above
ORBIT["WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS"] an adjustment becomes a request that a second
staff member approves or rejects (WalletAdjustmentRequestAdmin)."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from orbit_numbers.admin_base import OrbitModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin, cents, recent_filter
from orbit_numbers.errors import OrbitError

from .admin_statements import WalletStatementsMixin
from .models import LedgerEntry, Wallet, WalletAdjustmentRequest
from .selectors import wallets_below
from .services import wallet_adjustment_approve, wallet_adjustment_reject, wallet_adjustment_submit

INLINE_ENTRIES = 50


class RecentEntriesFormSet(BaseInlineFormSet):
    """Only the latest entries inline: a busy wallet has more than a page can hold."""

    def get_queryset(self):
        return super().get_queryset().order_by("-sequence")[:INLINE_ENTRIES]


class LedgerEntryInline(ReadOnlyInline, admin.TabularInline):
    model = LedgerEntry
    formset = RecentEntriesFormSet
    fields = ("sequence", "created_at", "kind", "amount", "balance_after", "description", "reference")
    readonly_fields = fields
    verbose_name_plural = f"ledger (latest {INLINE_ENTRIES} entries)"

    @admin.display(description="amount")
    def amount(self, obj: LedgerEntry) -> str:
        return cents(obj.amount_cents)

    @admin.display(description="balance after")
    def balance_after(self, obj: LedgerEntry) -> str:
        return cents(obj.balance_after_cents)


class BalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("low", f"Below their threshold (default {cents(settings.ORBIT['LOW_WALLET_THRESHOLD_CENTS'])}; "
                        f"active orgs)"),
                ("zero", "Empty")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            low = wallets_below(threshold_cents=settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"])
            return queryset.filter(pk__in=low.values("pk"))
        if self.value() == "zero":
            return queryset.filter(balance_cents=0)
        return queryset


def approval_threshold() -> int:
    return settings.ORBIT["WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS"]


class WalletAdjustForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, label="Amount (USD)",
                                help_text="Positive credits the wallet, negative debits it.")
    reason = forms.CharField(max_length=255, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Required. Written to the ledger entry and the audit log.")

    def clean_amount(self) -> int:
        amount: Decimal = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Must not be zero.")
        return int(amount * 100)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


@admin.register(Wallet)
class WalletAdmin(WalletStatementsMixin, OrbitModelAdmin):
    list_display = ("organization", "balance", "currency", "last_sequence", "updated_at")
    list_filter = (BalanceFilter,)
    search_fields = ("organization__name", "=organization__id")
    list_select_related = ("organization",)
    fields = ("organization", "balance", "currency", "last_sequence", "updated_at", "all_entries", "low_balance",
              "statements")
    readonly_fields = fields
    inlines = (LedgerEntryInline,)
    actions = ("adjust_balance",)
    ordering = ("organization__name",)
    change_form_template = "admin/billing/wallet/change_form.html"

    @admin.display(description="balance", ordering="balance_cents")
    def balance(self, obj: Wallet) -> str:
        return cents(obj.balance_cents)

    @admin.display(description="ledger")
    def all_entries(self, obj: Wallet) -> str:
        url = reverse("admin:billing_ledgerentry_changelist") + f"?wallet__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} entries</a>', url, obj.last_sequence)

    # The balance is never edited by hand: no add, no change form, no delete.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_adjust_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.adjust_wallet")

    def get_urls(self):
        return [path("<path:object_id>/adjust/", self.admin_site.admin_view(self.adjust_view),
                     name="billing_wallet_adjust")] + self.statement_urls() + super().get_urls()

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_adjust"] = self.has_adjust_permission(request)
        context["can_set_threshold"] = self.can_set_threshold(request)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description="Adjust balance (credit or debit)…", permissions=["adjust"])
    def adjust_balance(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            self.message_user(request, "Select exactly one wallet to adjust.", messages.WARNING)
            return None
        return redirect("admin:billing_wallet_adjust", ids[0])

    def adjust_view(self, request, object_id):
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet.objects.select_related("organization"), pk=object_id)
        form = WalletAdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = wallet_adjustment_submit(organization=wallet.organization,
                                                  amount_cents=form.cleaned_data["amount"],
                                                  reason=form.cleaned_data["reason"], acting_user=request.user)
            except OrbitError as exc:
                form.add_error("amount" if exc.details and "amount" in exc.details else None, exc.message)
            else:
                if isinstance(result, WalletAdjustmentRequest):
                    self.message_user(request, f"{cents(result.amount_cents)} is above "
                                               f"{cents(approval_threshold())}: the adjustment waits for a "
                                               f"second staff member's approval.", messages.WARNING)
                    return redirect("admin:billing_walletadjustmentrequest_change", result.pk)
                self.message_user(request, f"Adjusted {wallet.organization} by {cents(result.amount_cents)}; "
                                           f"balance now {cents(result.balance_after_cents)}.", messages.SUCCESS)
                return redirect("admin:billing_wallet_change", wallet.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "wallet": wallet,
                   "form": form, "title": f"Adjust the wallet of {wallet.organization}",
                   "balance": cents(wallet.balance_cents), "approval_threshold": cents(approval_threshold())}
        return TemplateResponse(request, "admin/billing/wallet/adjust.html", context)


class RejectAdjustmentForm(forms.Form):
    reason = forms.CharField(max_length=255, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Required. Recorded on the request and in the audit log.")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


@admin.register(WalletAdjustmentRequest)
class WalletAdjustmentRequestAdmin(ReadOnlyModelAdmin):
    """Adjustments above the threshold: read-only, decided on through the approve/reject screens
    by a staff member holding approve_wallet_adjustment who did not request them."""

    list_display = ("requested_at", "organization", "amount", "status", "requested_by", "decided_by", "decided_at")
    list_filter = ("status", recent_filter("requested_at"))
    search_fields = ("organization__name", "=organization__id", "reason")
    list_select_related = ("organization", "requested_by", "decided_by")
    fields = ("organization", "amount", "reason", "status", "requested_by", "requested_at", "decided_by",
              "decided_at", "decision_reason", "ledger_entry")
    readonly_fields = fields
    change_form_template = "admin/billing/walletadjustmentrequest/change_form.html"

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, obj: WalletAdjustmentRequest) -> str:
        return cents(obj.amount_cents)

    def has_decide_permission(self, request, obj: WalletAdjustmentRequest | None = None) -> bool:
        if not request.user.has_perm("billing.approve_wallet_adjustment"):
            return False
        return obj is None or (obj.status == WalletAdjustmentRequest.Status.PENDING
                               and obj.requested_by_id != request.user.pk)

    def get_urls(self):
        return [
            path("<path:object_id>/approve/", self.admin_site.admin_view(self.approve_view),
                 name="billing_walletadjustmentrequest_approve"),
            path("<path:object_id>/reject/", self.admin_site.admin_view(self.reject_view),
                 name="billing_walletadjustmentrequest_reject"),
        ] + super().get_urls()

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_decide"] = obj is not None and self.has_decide_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _decidable(self, request, object_id) -> WalletAdjustmentRequest:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        adjustment = get_object_or_404(
            WalletAdjustmentRequest.objects.select_related("organization__wallet", "requested_by"), pk=object_id)
        if adjustment.requested_by_id == request.user.pk:
            raise PermissionDenied  # four eyes: the requester never decides
        return adjustment

    def _decide_screen(self, request, adjustment, *, verb: str, form=None):
        wallet = getattr(adjustment.organization, "wallet", None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "adjustment": adjustment,
                   "amount": cents(adjustment.amount_cents), "verb": verb, "form": form,
                   "balance": cents(wallet.balance_cents if wallet else 0),
                   "title": f"{verb.capitalize()} the adjustment of {adjustment.organization}"}
        return TemplateResponse(request, "admin/billing/walletadjustmentrequest/decide.html", context)

    def approve_view(self, request, object_id):
        adjustment = self._decidable(request, object_id)
        if request.method != "POST":
            return self._decide_screen(request, adjustment, verb="approve")
        try:
            entry = wallet_adjustment_approve(adjustment_request=adjustment, acting_user=request.user)
        except OrbitError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Approved: {adjustment.organization} adjusted by "
                                       f"{cents(entry.amount_cents)}; balance now "
                                       f"{cents(entry.balance_after_cents)}.", messages.SUCCESS)
        return redirect("admin:billing_walletadjustmentrequest_change", adjustment.pk)

    def reject_view(self, request, object_id):
        adjustment = self._decidable(request, object_id)
        form = RejectAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                wallet_adjustment_reject(adjustment_request=adjustment, reason=form.cleaned_data["reason"],
                                         acting_user=request.user)
            except OrbitError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "Rejected: the wallet was not changed.", messages.SUCCESS)
            return redirect("admin:billing_walletadjustmentrequest_change", adjustment.pk)
        return self._decide_screen(request, adjustment, verb="reject", form=form)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "organization", "sequence", "kind", "amount", "balance_after", "description",
                    "reference")
    list_filter = ("kind", recent_filter())
    search_fields = ("=reference", "description", "wallet__organization__name")
    list_select_related = ("wallet__organization",)
    readonly_fields = ("wallet", "sequence", "kind", "amount_cents", "balance_after_cents", "description",
                       "reference", "created_at")
    fields = readonly_fields
    # The primary key is chronological and indexed: a sort the database never has to perform.
    ordering = ("-id",)
    sortable_by = ()

    @admin.display(description="organisation")
    def organization(self, obj: LedgerEntry):
        return obj.wallet.organization

    @admin.display(description="amount")
    def amount(self, obj: LedgerEntry) -> str:
        return cents(obj.amount_cents)

    @admin.display(description="balance after")
    def balance_after(self, obj: LedgerEntry) -> str:
        return cents(obj.balance_after_cents)
