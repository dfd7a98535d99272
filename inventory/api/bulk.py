"""POST /api/v1/numbers/buy-bulk: buy up to 50 known numbers, per-row results, always 200 once it runs."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import CountryField, E164Field, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import services
from ..models import Provider
from ..services.bulk import BUY_BULK_MAX_ITEMS


class BuyBulkItemSerializer(StrictSerializer):
    phone_number = E164Field()
    country_code = CountryField(required=False, default="US")
    provider = serializers.ChoiceField(choices=Provider.choices, required=False)
    id = serializers.CharField(required=False, max_length=64)


class BuyBulkSerializer(StrictSerializer):
    items = BuyBulkItemSerializer(many=True)
    compliance_profile_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=32)

    def to_internal_value(self, data):
        # The size is checked before any row is validated, and reported on "items" itself.
        if isinstance(data, dict) and "items" in data:
            items = data["items"]
            if not isinstance(items, list) or not 1 <= len(items) <= BUY_BULK_MAX_ITEMS:
                raise serializers.ValidationError({"items": f"must be a list of 1-{BUY_BULK_MAX_ITEMS} numbers"})
        return super().to_internal_value(data)

    def validate_items(self, items):
        seen: set[str] = set()
        errors: dict[int, dict] = {}
        for index, item in enumerate(items):
            if item["phone_number"] in seen:
                errors[index] = {"phone_number": ["duplicate number in this batch"]}
            seen.add(item["phone_number"])
        if errors:
            raise serializers.ValidationError(errors)  # rendered items.<index>.phone_number, like DRF's own
        return items


class BuyBulkView(OrbitAPIView):
    required_scopes = {"POST": "numbers:write"}
    # Each call can fan out to 50 carrier calls.
    rate_limits = {"POST": RateLimit("buy_bulk", 2)}

    @extend_schema(operation_id="numbers_buy_bulk", tags=["numbers"], request=BuyBulkSerializer,
                   responses={200: OpenApiTypes.OBJECT},
                   summary="Buy up to 50 known numbers; per-row succeeded[]/failed[], 200 even if all fail")
    @idempotent
    def post(self, request):
        body = self.validated(BuyBulkSerializer)
        result = services.number_buy_bulk(organization=self.organization, items=body["items"],
                                          compliance_profile_id=body.get("compliance_profile_id"), **self.actor())
        return ok(request, {
            "succeeded": [{
                "id": number.id, "phone_number": number.e164, "status": number.status,
                "compliance_profile_id": number.compliance_profile_id,
                "monthly_cost_cents": number.monthly_cents, "setup_cost_cents": number.setup_cents,
                "charged_cents": number.monthly_cents + number.setup_cents,
            } for number in result.succeeded],
            "failed": [{"phone_number": failure.phone_number, "code": failure.code, "message": failure.message}
                       for failure in result.failed],
            "total_cost_cents": result.total_cost_cents,
            "debited_cents": result.debited_cents,
        })


urlpatterns = [path("numbers/buy-bulk", BuyBulkView.as_view(), name="numbers-buy-bulk")]
