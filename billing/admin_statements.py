"""Console screens added to the wallet page by issue #10: monthly statement downloads (CSV/PDF, for
staff who may read ledgers), the low-balance threshold (finance), and read-only top-ups."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join

from orbit_numbers.admin_base import ReadOnlyModelAdmin, cents, recent_filter
from orbit_numbers.errors import OrbitError
from orbit_numbers.models import Organization

from .low_balance import low_balance_default_cents, low_balance_threshold, wallet_low_balance_threshold_set
from .models import Wallet
from .models_top_ups import TopUp
from .statements import statement_build, statement_csv, statement_filename, statement_months, statement_pdf

STATEMENT_LINKS = 24


class LowBalanceThresholdForm(forms.Form):
    threshold = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                   label="Threshold (USD)",
                                   help_text="Empty: the platform default. 0: never notify.")

    def clean_threshold(self) -> int | None:
        value = self.cleaned_data["threshold"]
        return None if value is None else int(value * 100)


class WalletStatementsMixin:
    """Mixed into WalletAdmin: statement links and downloads, the threshold screen."""

    def can_download_statements(self, request) -> bool:
        return request.user.has_perm("billing.view_ledgerentry")

    def can_set_threshold(self, request) -> bool:
        return request.user.has_perm("billing.set_low_balance_threshold")

    def statement_urls(self):
        return [
            path("<path:object_id>/statements/<str:period>.<str:fmt>", self.admin_site.admin_view(self.statement_view),
                 name="billing_wallet_statement"),
            path("<path:object_id>/low-balance-threshold/", self.admin_site.admin_view(self.threshold_view),
                 name="billing_wallet_threshold"),
            path("organization/<str:organization_id>/", self.admin_site.admin_view(self.organization_wallet_view),
                 name="billing_wallet_of_organization"),
        ]

    @admin.display(description="low-balance threshold")
    def low_balance(self, obj: Wallet) -> str:
        own = "platform default" if obj.low_balance_threshold_cents is None else "own"
        state = " · notice sent" if obj.low_balance_alerted else ""
        return f"{cents(low_balance_threshold(obj))} ({own}){state}"

    @admin.display(description="monthly statements")
    def statements(self, obj: Wallet) -> str:
        months = statement_months(organization=obj.organization)[:STATEMENT_LINKS]
        if not months:
            return "No activity yet."
        return format_html_join(" · ", '{} <a href="{}">CSV</a> <a href="{}">PDF</a>', (
            (period, reverse("admin:billing_wallet_statement", args=[obj.pk, period, "csv"]),
             reverse("admin:billing_wallet_statement", args=[obj.pk, period, "pdf"])) for period in months))

    def statement_view(self, request, object_id, period: str, fmt: str):
        if not self.can_download_statements(request) or fmt not in ("csv", "pdf"):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet.objects.select_related("organization"), pk=object_id)
        try:
            statement = statement_build(organization=wallet.organization, period=period)
        except OrbitError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:billing_wallet_change", wallet.pk)
        if fmt == "csv":
            response = HttpResponse(statement_csv(statement).encode(), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement, fmt)}"'
        return response

    def organization_wallet_view(self, request, organization_id: str):
        """From an organisation's page to its wallet (statements, threshold) without the kernel knowing billing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=organization_id)
        wallet = Wallet.objects.filter(organization=organization).first()
        if wallet is None:
            self.message_user(request, f"{organization} has no wallet yet.", messages.INFO)
            return redirect("admin:billing_wallet_changelist")
        return redirect("admin:billing_wallet_change", wallet.pk)

    def threshold_view(self, request, object_id):
        if not self.can_set_threshold(request):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet.objects.select_related("organization"), pk=object_id)
        initial = {"threshold": None if wallet.low_balance_threshold_cents is None
                   else wallet.low_balance_threshold_cents / 100}
        form = LowBalanceThresholdForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                wallet_low_balance_threshold_set(organization=wallet.organization,
                                                 threshold_cents=form.cleaned_data["threshold"],
                                                 acting_user=request.user)
            except OrbitError as exc:
                form.add_error("threshold", exc.message)
            else:
                self.message_user(request, f"Low-balance threshold of {wallet.organization} saved.", messages.SUCCESS)
                return redirect("admin:billing_wallet_change", wallet.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "wallet": wallet, "form": form,
                   "title": f"Low-balance threshold of {wallet.organization}", "balance": cents(wallet.balance_cents),
                   "default": cents(low_balance_default_cents())}
        return TemplateResponse(request, "admin/billing/wallet/low_balance.html", context)


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "created_at", "organization", "amount", "status", "provider", "provider_intent_id")
    list_filter = ("status", "provider", recent_filter())
    search_fields = ("=id", "=provider_intent_id", "organization__name", "=organization__id")
    list_select_related = ("organization",)
    fields = ("id", "organization", "amount", "currency", "status", "provider", "provider_intent_id", "attempts",
              "failure_code", "failure_message", "next_action", "ledger_entry", "created_at", "updated_at",
              "succeeded_at")
    readonly_fields = fields
    raw_id_fields = ("organization", "ledger_entry")
    ordering = ("-created_at", "-id")

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, obj: TopUp) -> str:
        return cents(obj.amount_cents)
