"""GET/PUT /billing/settings: the organisation's billing settings (the low-balance threshold)."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.serializers import DollarsField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from ..low_balance import low_balance_default_cents, low_balance_threshold, wallet_low_balance_threshold_set
from ..models import Wallet
from ..selectors import wallet_for
from .fields import CentsField


class BillingSettingsSerializer(OutputSerializer):
    low_balance_threshold_cents = serializers.IntegerField(allow_null=True, min_value=0, help_text=(
        "Your threshold; null: the platform default applies."))
    effective_low_balance_threshold_cents = serializers.IntegerField(min_value=0, help_text=(
        "The threshold in force: a charge that takes the balance below it sends wallet.low_balance once "
        "(re-armed when the balance is back at or above it). 0: never."))
    effective_low_balance_threshold = DollarsField(source="effective_low_balance_threshold_cents",
                                                   help_text="Dollars.")
    default_low_balance_threshold_cents = serializers.IntegerField(min_value=0)
    low_balance_alerted = serializers.BooleanField(help_text="The notice went out and has not re-armed yet.")


class BillingSettingsBody(StrictSerializer):
    low_balance_threshold_cents = CentsField(
        allow_null=True, min_value=0, max_value=settings.ORBIT["LOW_BALANCE_THRESHOLD_MAX_CENTS"],
        help_text="Cents; null goes back to the platform default.")


def _settings(wallet: Wallet) -> dict:
    return {"low_balance_threshold_cents": wallet.low_balance_threshold_cents,
            "effective_low_balance_threshold_cents": low_balance_threshold(wallet),
            "default_low_balance_threshold_cents": low_balance_default_cents(),
            "low_balance_alerted": wallet.low_balance_alerted}


class BillingSettingsViewSet(OrbitViewSet):
    queryset = Wallet.objects.all()
    required_scopes = {"billing_settings": "billing:read", "billing_settings_update": "billing:write"}
    serializer_class = BillingSettingsSerializer

    @extend_schema(
        operation_id="billing_settings_retrieve", tags=["billing"], summary="Billing settings",
        parameters=RESPONSE_HEADERS, responses={200: envelope(BillingSettingsSerializer), **errors(401, 403, 429)},
    )
    @action(detail=False, methods=["get"], url_path="settings")
    def billing_settings(self, request):
        return self.respond(_settings(wallet_for(organization=self.organization)))

    @extend_schema(
        operation_id="billing_settings_update", tags=["billing"], summary="Change billing settings",
        parameters=RESPONSE_HEADERS, request=BillingSettingsBody,
        responses={200: envelope(BillingSettingsSerializer), **errors(400, 401, 403, 422, 429, notes={
            422: "low_balance_threshold_cents missing, not null or an integer in range; or unknown fields."})},
    )
    @billing_settings.mapping.put
    def billing_settings_update(self, request):
        body = self.validated(BillingSettingsBody)
        wallet = wallet_low_balance_threshold_set(organization=self.organization,
                                                  threshold_cents=body["low_balance_threshold_cents"],
                                                  **self.actor())
        return self.respond(_settings(wallet))


router = OrbitRouter()
router.register("billing", BillingSettingsViewSet, basename="billing-settings")
urlpatterns = router.urls
