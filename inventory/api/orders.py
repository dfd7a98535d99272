"""POST /api/v1/numbers/orders: assign specific numbers, all or nothing (assign-numbers.txt)."""
from __future__ import annotations

from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, error_response, errors
from orbit_numbers.api.serializers import E164Field, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import LineType, OwnedNumber
from ..selectors import owned_numbers_in_order
from ..services.orders import ORDER_MAX_NUMBERS
from .compliance import compliance_422

# --- request --------------------------------------------------------------------------------------


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
    numbers = serializers.ListField(child=E164Field(), allow_empty=False, min_length=1, max_length=ORDER_MAX_NUMBERS,
                                    help_text=f"1-{ORDER_MAX_NUMBERS} distinct numbers, all available.")
    inbound_url = HttpsUrlField(required=False, allow_null=True,
                                help_text="https:// webhook for inbound messages and calls, e.g. "
                                          "https://customer.example/inbound.")
    status_url = HttpsUrlField(required=False, allow_null=True, help_text="https:// webhook for delivery status.")
    label = serializers.CharField(required=False, allow_blank=True, max_length=100)
    campaign_id = serializers.CharField(required=False, allow_null=True, min_length=1, max_length=32,
                                        trim_whitespace=False, help_text=(
        "A US 10DLC campaign of your organisation: ACTIVE, with a VERIFIED or VETTED_VERIFIED brand. "
        "US local numbers only."))
    compliance_profile_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32, help_text=(
            "A compliance profile of your organisation covering the regulated numbers of the order; without "
            "one, your one approved profile per country and line type is used."))

    def validate_numbers(self, numbers):
        duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
        if duplicates:
            raise serializers.ValidationError(f"duplicate number(s): {', '.join(duplicates)}")
        return numbers


# --- responses ------------------------------------------------------------------------------------


class OrderedNumberSerializer(OutputSerializer):
    """A number the order assigned to your organisation."""

    id = serializers.CharField(help_text="num_ followed by 20 characters, as in GET /numbers/{number_id}.")
    number = serializers.CharField(source="e164", help_text="E.164.")
    number_type = serializers.ChoiceField(source="phone_number.line_type", choices=LineType.choices)
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices, help_text=(
        "active, or regulatory_hold in a regulated country until a compliance profile covers it."))
    inbound_url = serializers.CharField(source="webhook_url", allow_null=True)
    status_url = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_blank=True)
    campaign_id = serializers.CharField(allow_null=True)
    sms_enabled = serializers.SerializerMethodField()
    mms_enabled = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_sms_enabled(self, number: OwnedNumber) -> bool:
        return "sms" in number.capabilities

    def get_mms_enabled(self, number: OwnedNumber) -> bool:
        return "mms" in number.capabilities


class UnavailableNumbersSerializer(OutputSerializer):
    """The ``data`` of a 409 INSUFFICIENT_INVENTORY: drop the unavailable numbers and retry."""

    available_count = serializers.IntegerField(min_value=0, help_text="How many of the requested numbers are "
                                                                      "available.")
    unavailable = serializers.ListField(child=serializers.CharField(), help_text="E.164, in request order.")


# --- the endpoint ---------------------------------------------------------------------------------


class OrderViewSet(OrbitViewSet):
    required_scopes = {"create": "numbers:write"}
    serializer_class = OrderedNumberSerializer

    @extend_schema(
        operation_id="numbers_orders_create", tags=["numbers"],
        summary="Assign specific numbers, all or nothing (409 INSUFFICIENT_INVENTORY lists the unavailable)",
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=OrderSerializer,
        responses={201: envelope(OrderedNumberSerializer, many=True),
                   409: error_response(
                       409, "A requested number is not available (data lists them) and nothing was assigned; "
                            "or the Idempotency-Key was used with a different body, or its first request still runs.",
                       codes=["INSUFFICIENT_INVENTORY", "IDEMPOTENCY_CONFLICT", "CONFLICT"],
                       data=UnavailableNumbersSerializer(required=False)),
                   422: compliance_422("Invalid body (details per field), a campaign_id that is not usable, or "
                                       "an unknown compliance_profile_id."),
                   **errors(400, 401, 402, 403, 429, notes={
                       402: "The wallet does not cover setup and the first month of every number; nothing was "
                            "assigned."})},
    )
    @idempotent(render="ordered")
    def create(self, request):
        body = self.validated(OrderSerializer)
        numbers = services.number_order_create(
            organization=self.organization, numbers=body["numbers"], inbound_url=body.get("inbound_url"),
            status_url=body.get("status_url"), label=body.get("label", ""), campaign_id=body.get("campaign_id"),
            compliance_profile_id=body.get("compliance_profile_id") or None, **self.actor())
        return self.ordered(numbers)

    def ordered(self, numbers: list[OwnedNumber]) -> Response:
        """The 201; also rendered inside the checkout's effect transaction for Idempotency-Key replays."""
        numbers = owned_numbers_in_order(organization=self.organization, ids=[number.id for number in numbers])
        return self.respond(numbers, status=201, many=True)


router = OrbitRouter()
router.register("numbers/orders", OrderViewSet, basename="numbers-orders")
urlpatterns = router.urls
