"""Billing API: the wallet balance and its ledger, read-only (billing:read)."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from orbit_numbers.api.openapi import CURSOR, RESPONSE_HEADERS, envelope, errors, limit_parameter
from orbit_numbers.api.pagination import keyset_page, parse_limit
from orbit_numbers.api.responses import iso, ok
from orbit_numbers.api.views import OrbitAPIView

from ..models import LedgerEntry, Wallet
from ..selectors import ledger_entries_for, wallet_for

TRANSACTIONS_DEFAULT_LIMIT = 25
TRANSACTIONS_MAX_LIMIT = 200


def dollars(cents: int) -> float:
    # Integer cents → a JSON number of dollars; cents/100 is exact to two places for any real balance.
    return round(cents / 100, 2)


def balance_data(wallet: Wallet) -> dict:
    return {
        "balance": dollars(wallet.balance_cents),
        "balance_cents": wallet.balance_cents,
        "currency": wallet.currency,
        "updated_at": iso(wallet.updated_at),
    }


def transaction_data(entry: LedgerEntry) -> dict:
    return {
        # Ledger entries are numbered 1, 2, 3 … per wallet: the public id is that number, so it
        # reveals nothing about other tenants' volume.
        "id": f"txn_{entry.sequence}",
        "type": entry.kind,
        "amount": dollars(entry.amount_cents),
        "amount_cents": entry.amount_cents,
        "balance_after": dollars(entry.balance_after_cents),
        "balance_after_cents": entry.balance_after_cents,
        "description": entry.description,
        "reference": entry.reference,
        "created_at": iso(entry.created_at),
    }


class BalanceSerializer(serializers.Serializer):
    balance = serializers.FloatField(help_text="Dollars.")
    balance_cents = serializers.IntegerField(min_value=0)
    currency = serializers.CharField(help_text="ISO 4217, e.g. USD.")
    updated_at = serializers.DateTimeField()


class TransactionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="txn_<n>: the entry's number in your ledger (1, 2, 3 …).")
    type = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    amount = serializers.FloatField(help_text="Dollars; negative for charges.")
    amount_cents = serializers.IntegerField()
    balance_after = serializers.FloatField(help_text="Dollars.")
    balance_after_cents = serializers.IntegerField(min_value=0)
    description = serializers.CharField(allow_blank=True)
    reference = serializers.CharField(allow_blank=True, help_text="What the entry pays for, e.g. a number id.")
    created_at = serializers.DateTimeField()


class TransactionsQuery(serializers.Serializer):
    type = serializers.ChoiceField(choices=LedgerEntry.Kind.choices, required=False)
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.CharField(required=False, allow_blank=True)


class BalanceView(OrbitAPIView):
    required_scopes = {"GET": "billing:read"}

    @extend_schema(
        operation_id="billing_balance_retrieve", summary="Wallet balance", tags=["billing"],
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(BalanceSerializer), **errors(401, 403, 429)},
    )
    def get(self, request):
        return ok(request, balance_data(wallet_for(organization=self.organization)))


class TransactionsView(OrbitAPIView):
    required_scopes = {"GET": "billing:read"}

    @extend_schema(
        operation_id="billing_transactions_list", summary="Wallet transactions (newest first)", tags=["billing"],
        parameters=[
            OpenApiParameter("type", str, enum=LedgerEntry.Kind.values, description="Only entries of this kind."),
            CURSOR,
            limit_parameter(default=TRANSACTIONS_DEFAULT_LIMIT, maximum=TRANSACTIONS_MAX_LIMIT),
            *RESPONSE_HEADERS,
        ],
        responses={200: envelope(TransactionSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        params = self.query_params(TransactionsQuery)
        limit = parse_limit(params.get("limit"), default=TRANSACTIONS_DEFAULT_LIMIT, maximum=TRANSACTIONS_MAX_LIMIT)
        kind = params.get("type") or ""
        page = keyset_page(
            ledger_entries_for(organization=self.organization, kind=kind),
            cursor=params.get("cursor") or None, limit=limit,
            # Sequence is unique per wallet and strictly increasing, so it orders exactly by time of posting.
            ordering=("-sequence", "-pk"),
            # A cursor is valid only for the listing (tenant + filter) that issued it.
            scope=f"billing.transactions:{self.organization.pk}:{kind}",
        )
        return ok(request, [transaction_data(entry) for entry in page.items], pagination=page.pagination)


urlpatterns = [
    path("billing/balance", BalanceView.as_view(), name="billing-balance"),
    path("billing/transactions", TransactionsView.as_view(), name="billing-transactions"),
]
