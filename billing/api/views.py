"""Billing API: the wallet balance and its ledger (by type, time window or month), read-only (billing:read)."""
from __future__ import annotations

from django import forms
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.filters import (CommaListFilter, CommaListFormField, OrbitFilterSet, UtcDateTimeFilter,
                                       check_choice)
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import DollarsField, OutputSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.errors import ValidationFailed

from ..models import LedgerEntry, Wallet
from ..selectors import wallet_for
from ..statements import period_bounds


class BalanceSerializer(OutputSerializer):
    balance = DollarsField(source="balance_cents", help_text="Dollars.")
    balance_cents = serializers.IntegerField(min_value=0)
    currency = serializers.CharField(help_text="ISO 4217, e.g. USD.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="null until the wallet's first entry.")


class TransactionSerializer(OutputSerializer):
    # Ledger entries are numbered 1, 2, 3 … per wallet: the public id is that number, so it
    # reveals nothing about other tenants' volume.
    id = serializers.SerializerMethodField(help_text="txn_<n>: the entry's number in your ledger (1, 2, 3 …).")
    type = serializers.ChoiceField(source="kind", choices=LedgerEntry.Kind.choices)
    amount = DollarsField(source="amount_cents", help_text="Dollars; negative for charges.")
    amount_cents = serializers.IntegerField()
    balance_after = DollarsField(source="balance_after_cents", help_text="Dollars.")
    balance_after_cents = serializers.IntegerField(min_value=0)
    description = serializers.CharField(allow_blank=True)
    reference = serializers.CharField(allow_blank=True, help_text="What the entry pays for, e.g. a number id.")
    created_at = serializers.DateTimeField()

    def get_id(self, entry: LedgerEntry) -> str:
        return f"txn_{entry.sequence}"


class PeriodFormField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return period_bounds(value)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.details["period"]) from None


class PeriodFilter(django_filters.Filter):
    """``YYYY-MM``: entries posted in that calendar month (UTC)."""

    field_class = PeriodFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03",
                                     "description": str(self.extra.get("help_text", ""))})

    def filter(self, qs, value):
        if not value:
            return qs
        starts, ends = value
        return qs.filter(created_at__gte=starts, created_at__lt=ends)


class ExactCommaListFormField(CommaListFormField):
    """Like the house comma list, but values are matched as sent: TOP_UP is not top_up."""

    def clean(self, value):
        value = forms.CharField.clean(self, value)
        if not value:
            return value
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise forms.ValidationError(f"must be a comma-separated list of {', '.join(self.choices)}")
        for item in items:
            check_choice(item, self.choices, self.refusals)
        return list(dict.fromkeys(items))


class KindListFilter(CommaListFilter):
    field_class = ExactCommaListFormField


def _kinds(queryset, name, value):
    return queryset.filter(kind__in=value) if value else queryset


class TransactionFilterSet(OrbitFilterSet):
    type = KindListFilter(field_name="kind", choices=LedgerEntry.Kind, method=_kinds, help_text=(
        "Only entries of these kinds (comma-separated, any of them), e.g. top_up,refund."))
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Posted at or after this instant (ISO 8601).")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                       help_text="Posted before this instant (ISO 8601).")
    period = PeriodFilter(help_text="A month, YYYY-MM (UTC): entries posted in it.")

    class Meta:
        model = LedgerEntry
        fields = ["type", "created_after", "created_before", "period"]


class TransactionPagination(KeysetPagination):
    default_limit, max_limit = 25, 200
    # Sequence is unique per wallet and strictly increasing, so it orders exactly by time of posting.
    ordering = ("-sequence", "-pk")


class WalletViewSet(OrbitViewSet):
    queryset = Wallet.objects.all()
    required_scopes = {"balance": "billing:read"}
    serializer_class = BalanceSerializer

    @extend_schema(
        operation_id="billing_balance_retrieve", summary="Wallet balance", tags=["billing"],
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(BalanceSerializer), **errors(401, 403, 429)},
    )
    @action(detail=False, methods=["get"])
    def balance(self, request):
        return self.respond(wallet_for(organization=self.organization))


class TransactionViewSet(OrbitViewSet):
    queryset = LedgerEntry.objects.all()
    tenant_field = "wallet__organization"
    required_scopes = {"list": "billing:read"}
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilterSet
    pagination_class = TransactionPagination

    @extend_schema(
        operation_id="billing_transactions_list", summary="Wallet transactions (newest first)", tags=["billing"],
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(TransactionSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())


router = OrbitRouter()
router.register("billing", WalletViewSet, basename="billing")
router.register("billing/transactions", TransactionViewSet, basename="billing-transactions")
urlpatterns = router.urls
