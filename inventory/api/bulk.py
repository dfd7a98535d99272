"""POST /api/v1/numbers/buy-bulk: buy up to 50 known numbers, per-row results, always 200 once it runs."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.serializers import CountryField, E164Field, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import OwnedNumber, Provider
from ..services.bulk import BUY_BULK_MAX_ITEMS
from .compliance import compliance_422

# --- request --------------------------------------------------------------------------------------


class BuyBulkItemSerializer(StrictSerializer):
    phone_number = E164Field(help_text="The number to buy, e.g. one phoneNumber of GET /numbers/available.")
    country_code = CountryField(required=False, default="US", help_text="The number's country; defaults to US.")
    provider = serializers.ChoiceField(choices=Provider.choices, required=False,
                                       help_text="Provider hint: the row must be supplied by this carrier.")
    id = serializers.CharField(required=False, min_length=1, max_length=64, trim_whitespace=False,
                               help_text="The id of GET /numbers/available: the row must have this inventory id.")


class BuyBulkSerializer(StrictSerializer):
    items = serializers.ListField(child=BuyBulkItemSerializer(), min_length=1, max_length=BUY_BULK_MAX_ITEMS,
                                  help_text=f"1-{BUY_BULK_MAX_ITEMS} distinct numbers.")
    compliance_profile_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32,
        help_text="A compliance profile of your organisation, applied to every number of the batch.")
    campaign_id = serializers.CharField(required=False, allow_null=True, min_length=1, max_length=32,
                                        trim_whitespace=False, help_text=(
        "A US 10DLC campaign of your organisation for every number of the batch: ACTIVE, with a VERIFIED or "
        "VETTED_VERIFIED brand. US local numbers only (any other number refuses the whole request)."))

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


# --- responses ------------------------------------------------------------------------------------


class RowFailureSerializer(OutputSerializer):
    """A number that was not bought, and why; it was not charged."""

    phone_number = serializers.CharField(help_text="E.164, as requested.")
    code = serializers.CharField(help_text=(
        "NOT_FOUND (not in the inventory), NOT_AVAILABLE (sold, held or being bought), COUNTRY_MISMATCH, "
        "PROVIDER_MISMATCH, ID_MISMATCH, CARRIER_REJECTED, CARRIER_ERROR."))
    message = serializers.CharField()


class BoughtNumberSerializer(OutputSerializer):
    """A number bought by the batch: it is now one of your numbers."""

    id = serializers.CharField(help_text="The new number's id (num_…), as in GET /numbers/{number_id}.")
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices, help_text=(
        "active, or regulatory_hold in a regulated country without a covering approved compliance profile."))
    compliance_profile_id = serializers.CharField(allow_null=True)
    monthly_cost_cents = serializers.IntegerField(source="monthly_cents", min_value=0)
    setup_cost_cents = serializers.IntegerField(source="setup_cents", min_value=0)
    charged_cents = serializers.SerializerMethodField(help_text="Setup plus the first month, debited now.")

    def get_charged_cents(self, number: OwnedNumber) -> int:
        return number.monthly_cents + number.setup_cents


class BuyBulkResultSerializer(OutputSerializer):
    succeeded = BoughtNumberSerializer(many=True)
    failed = RowFailureSerializer(many=True)
    total_cost_cents = serializers.IntegerField(min_value=0, help_text=(
        "The price (setup + first month) of every requested number the inventory knows, bought or not."))
    debited_cents = serializers.IntegerField(min_value=0, help_text="What was charged: the numbers in succeeded.")


# --- the endpoint ---------------------------------------------------------------------------------


class BuyBulkViewSet(OrbitViewSet):
    required_scopes = {"buy_bulk": "numbers:write"}
    # Each call can fan out to 50 carrier calls.
    rate_limits = {"buy_bulk": RateLimit("buy_bulk", 2)}
    serializer_class = BuyBulkResultSerializer

    @extend_schema(
        operation_id="numbers_buy_bulk", tags=["numbers"],
        summary="Buy up to 50 known numbers; per-row succeeded[]/failed[], 200 even if all fail",
        description=("The wallet must cover every number found available, else 402 and nothing is bought. A "
                     "regulated number without a covering approved compliance profile refuses the whole request "
                     "(422 COMPLIANCE_REQUIRED): nothing is bought or debited. "
                     "Rate limited to 2 calls a minute per organisation."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=BuyBulkSerializer,
        responses={200: envelope(BuyBulkResultSerializer),
                   422: compliance_422("Invalid body (details per field, e.g. items.0.phone_number), or an "
                                       "unknown compliance_profile_id, or a campaign_id that is not usable (not "
                                       "yours, not ACTIVE, brand not verified, or a number that is not US local)."),
                   **errors(400, 401, 402, 403, 409, 429, notes={
                       402: "The wallet does not cover the numbers found available; nothing was bought.",
                       409: "The Idempotency-Key was used with a different body, or its first request still runs.",
                       429: "Rate limited: 2 calls a minute per organisation, besides the per-key budget."})},
    )
    @action(detail=False, methods=["post"], url_path="buy-bulk")
    @idempotent(render="bought")
    def buy_bulk(self, request):
        body = self.validated(BuyBulkSerializer)
        result = services.number_buy_bulk(organization=self.organization, items=body["items"],
                                          compliance_profile_id=body.get("compliance_profile_id"),
                                          campaign_id=body.get("campaign_id"), **self.actor())
        return self.bought(result)

    def bought(self, result: services.BuyBulkResult) -> Response:
        """The 200; also rendered inside the checkout's effect transaction for Idempotency-Key replays."""
        return self.respond(result)


router = OrbitRouter()
router.register("numbers", BuyBulkViewSet, basename="numbers-buy-bulk")
urlpatterns = router.urls
