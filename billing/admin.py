"""Wallets in the console: balance and ledger are read-only; money moves only through an audited
adjustment (billing.services.wallet_adjust) with a mandatory reason, by staff allowed to."""
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

from .models import LedgerEntry, Wallet
from .selectors import wallets_below
from .services import wallet_adjust

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
        return [("low", f"Below {cents(settings.ORBIT['LOW_WALLET_THRESHOLD_CENTS'])} (active orgs)"),
                ("zero", "Empty")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            low = wallets_below(threshold_cents=settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"])
            return queryset.filter(pk__in=low.values("pk"))
        if self.value() == "zero":
            return queryset.filter(balance_cents=0)
        return queryset


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
class WalletAdmin(OrbitModelAdmin):
    list_display = ("organization", "balance", "currency", "last_sequence", "updated_at")
    list_filter = (BalanceFilter,)
    search_fields = ("organization__name", "=organization__id")
    list_select_related = ("organization",)
    fields = ("organization", "balance", "currency", "last_sequence", "updated_at", "all_entries")
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
                     name="billing_wallet_adjust")] + super().get_urls()

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_adjust"] = self.has_adjust_permission(request)
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
                entry = wallet_adjust(organization=wallet.organization, amount_cents=form.cleaned_data["amount"],
                                      reason=form.cleaned_data["reason"], acting_user=request.user)
            except OrbitError as exc:
                form.add_error("amount" if exc.details and "amount" in exc.details else None, exc.message)
            else:
                self.message_user(request, f"Adjusted {wallet.organization} by {cents(entry.amount_cents)}; "
                                           f"balance now {cents(entry.balance_after_cents)}.", messages.SUCCESS)
                return redirect("admin:billing_wallet_change", wallet.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "wallet": wallet,
                   "form": form, "title": f"Adjust the wallet of {wallet.organization}",
                   "balance": cents(wallet.balance_cents)}
        return TemplateResponse(request, "admin/billing/wallet/adjust.html", context)


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
