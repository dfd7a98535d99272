"""POST /api/v1/numbers/orders: assign specific numbers, all or nothing (assign-numbers.txt)."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.responses import iso, ok
from orbit_numbers.api.serializers import E164Field, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import services
from ..models import OwnedNumber
from ..selectors import owned_numbers_in_order
from ..services.orders import ORDER_MAX_NUMBERS


class HttpsUrlField(serializers.URLField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if urlsplit(value).scheme.lower() != "https":
            raise serializers.ValidationError("must use https://")
        return value


class OrderSerializer(StrictSerializer):
    numbers = serializers.ListField(child=E164Field(), allow_empty=False, min_length=1, max_length=ORDER_MAX_NUMBERS)
    inbound_url = HttpsUrlField(required=False, allow_null=True)
    status_url = HttpsUrlField(required=False, allow_null=True)
    label = serializers.CharField(required=False, allow_blank=True, max_length=100)
    campaign_id = serializers.CharField(required=False, allow_null=True, max_length=32)

    def validate_numbers(self, numbers):
        duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
        if duplicates:
            raise serializers.ValidationError(f"duplicate number(s): {', '.join(duplicates)}")
        return numbers


def order_number_data(number: OwnedNumber) -> dict:
    return {
        "id": number.id, "number": number.e164, "number_type": number.phone_number.line_type,
        "status": number.status, "inbound_url": number.webhook_url, "status_url": number.status_url,
        "label": number.label, "campaign_id": number.campaign_id,
        "sms_enabled": "sms" in number.capabilities, "mms_enabled": "mms" in number.capabilities,
        "created_at": iso(number.created_at), "updated_at": iso(number.updated_at),
    }


class OrdersView(OrbitAPIView):
    required_scopes = {"POST": "numbers:write"}

    @extend_schema(operation_id="numbers_orders_create", tags=["numbers"], request=OrderSerializer,
                   responses={201: OpenApiTypes.OBJECT},
                   summary="Assign specific numbers, all or nothing (409 INSUFFICIENT_INVENTORY lists the unavailable)")
    @idempotent
    def post(self, request):
        body = self.validated(OrderSerializer)
        numbers = services.number_order_create(
            organization=self.organization, numbers=body["numbers"], inbound_url=body.get("inbound_url"),
            status_url=body.get("status_url"), label=body.get("label", ""), campaign_id=body.get("campaign_id"),
            **self.actor())
        numbers = owned_numbers_in_order(organization=self.organization, ids=[number.id for number in numbers])
        return ok(request, [order_number_data(number) for number in numbers], status=201)


urlpatterns = [path("numbers/orders", OrdersView.as_view(), name="numbers-orders")]
