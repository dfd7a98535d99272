"""Bulk reservations: POST/GET /numbers/bulk-reserve, GET /numbers/bulk-reserve/{reservation_id},
POST …/{reservation_id}/finalize, POST …/{reservation_id}/cancel."""
from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, error_response, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.serializers import CountryField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import CAPABILITY_FIELDS, BulkReservation, BulkReservationItem, LineType, Provider
from ..filters import ReservationFilterSet
from ..selectors import customer_reservations, reservation_with_items
from ..services import FinalizeResult, RowFailure
from ..services.reservations import RESERVE_MAX_QUANTITY
from .compliance import compliance_422
from .bulk import RowFailureSerializer

# --- request --------------------------------------------------------------------------------------

_NAME = "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in name) for name in CAPABILITY_FIELDS)  # [sS][mM][sS]|…
# What the field accepts, for the schema and the check alike: names in any case, spaces around them, empty
# entries skipped. ASCII only, so Python and ECMA regular expressions read it the same way.
CAPABILITY_LIST = rf"^ *(({_NAME}) *)?(, *(({_NAME}) *)?)*$"


@extend_schema_field({
    "type": "string", "pattern": CAPABILITY_LIST, "example": "sms,voice",
    "description": f"Comma-separated subset of {', '.join(CAPABILITY_FIELDS)} (any case); every one must match.",
})
class CapabilityListField(serializers.CharField):
    """A comma-separated subset of the search capabilities (sms, mms, voice, fax) → distinct lower-case names."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def run_validation(self, data=serializers.empty):
        # Blank is no filter: the pattern says so itself (no separate "empty string" schema).
        return [] if data == "" else super().run_validation(data)

    def to_internal_value(self, data):
        raw = super().to_internal_value(data)
        names = [name.strip(" ").lower() for name in raw.split(",") if name.strip(" ")]
        if not re.fullmatch(CAPABILITY_LIST, raw):
            unknown = sorted(set(names) - set(CAPABILITY_FIELDS))
            raise serializers.ValidationError(
                f"unknown capability {', '.join(unknown)}; allowed: {', '.join(CAPABILITY_FIELDS)}" if unknown
                else f"must be a comma-separated list of {', '.join(CAPABILITY_FIELDS)}")
        return list(dict.fromkeys(names))


def digits(low: int, high: int, **kwargs) -> serializers.RegexField:
    """Only ASCII digits, ``low``-``high`` of them, nothing around them (no trimming, no trailing newline)."""
    return serializers.RegexField(rf"\A[0-9]{{{low},{high}}}\Z", trim_whitespace=False,
                                  error_messages={"invalid": f"must be {low}-{high} digits"}, **kwargs)


class ReserveSerializer(StrictSerializer):
    country = CountryField()
    quantity = serializers.IntegerField(min_value=1, max_value=RESERVE_MAX_QUANTITY,
                                        help_text=f"How many numbers to hold, 1-{RESERVE_MAX_QUANTITY}.")
    number_type = serializers.ChoiceField(choices=LineType.choices, required=False, default=LineType.LOCAL)
    area_code = digits(2, 5, required=False, help_text="Area or region code, e.g. 415.")
    name_pattern = digits(1, 20, required=False, help_text="Digits the national number must contain (see "
                                                           "pattern_type), e.g. 555.")
    pattern_type = serializers.ChoiceField(choices=BulkReservation.PatternType.choices, required=False,
                                           default=BulkReservation.PatternType.CONTAINS)
    capabilities = CapabilityListField(required=False)
    provider = serializers.ChoiceField(choices=Provider.choices, required=False, help_text=(
        "Pin one carrier; otherwise the cheapest numbers across DIDWW and Telnyx are held."))
    compliance_profile_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32,
        help_text="A compliance profile of your organisation, applied to every number at finalize.")


class EmptyBody(StrictSerializer):
    """finalize and cancel take no body (an empty object is accepted)."""


# --- responses ------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "nullable": True})
class BlankAsNullField(serializers.Field):
    """A text column stored blank ("") when unset, shown as null."""

    def to_representation(self, value):
        return value or None


class ItemErrorSerializer(OutputSerializer):
    """Why the carrier did not sell this item; null unless the item failed."""

    code = serializers.CharField(source="error_code", help_text="e.g. CARRIER_REJECTED, CARRIER_ERROR.")
    message = serializers.CharField(source="error_message")

    def to_representation(self, item):
        return super().to_representation(item) if item.error_code else None


class ReservationItemSerializer(OutputSerializer):
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    provider = serializers.ChoiceField(choices=Provider.choices)
    country = serializers.CharField(source="phone_number.country", help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(source="phone_number.line_type", choices=LineType.choices)
    region = serializers.CharField(source="phone_number.region", allow_blank=True)
    capabilities = serializers.ListField(source="phone_number.capabilities",
                                         child=serializers.ChoiceField(choices=list(CAPABILITY_FIELDS)))
    monthly_cost_cents = serializers.IntegerField(source="monthly_cents", min_value=0,
                                                  help_text="The price quoted when the number was held.")
    setup_cost_cents = serializers.IntegerField(source="setup_cents", min_value=0)
    status = serializers.ChoiceField(choices=BulkReservationItem.Status.choices)
    number_id = serializers.CharField(source="owned_number_id", allow_null=True,
                                      help_text="The bought number's id (num_…) once purchased, else null.")
    error = ItemErrorSerializer(source="*", allow_null=True)


class ReservationSerializer(OutputSerializer):
    id = serializers.CharField(help_text="bres_ followed by 20 characters.")
    status = serializers.ChoiceField(choices=BulkReservation.Status.choices, help_text=(
        "ready (all found) or partial (fewer found) while held; finalizing; then finalized, cancelled or expired."))
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    number_type = serializers.ChoiceField(choices=LineType.choices)
    area_code = BlankAsNullField()
    name_pattern = BlankAsNullField()
    pattern_type = BlankAsNullField(help_text="contains, starts_with or ends_with; null without a name_pattern.")
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=list(CAPABILITY_FIELDS)))
    provider = BlankAsNullField(help_text="The pinned carrier, or null.")
    compliance_profile_id = serializers.CharField(allow_null=True)
    quantity_requested = serializers.IntegerField(min_value=1)
    quantity_reserved = serializers.IntegerField(min_value=0)
    expires_at = serializers.DateTimeField(help_text="The hold ends 15 minutes after created_at.")
    created_at = serializers.DateTimeField()
    finalized_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


class ReservationDetailSerializer(ReservationSerializer):
    items = ReservationItemSerializer(many=True, help_text="In id order (prefetched: selectors.reservation_with_items).")


class FinalizeCountsSerializer(OutputSerializer):
    requested = serializers.IntegerField(min_value=0)
    reserved = serializers.IntegerField(min_value=0)
    purchased = serializers.IntegerField(min_value=0)
    failed = serializers.IntegerField(min_value=0)
    active = serializers.IntegerField(min_value=0)
    regulatory_hold = serializers.IntegerField(min_value=0)


class FinalizedReservationSerializer(ReservationDetailSerializer):
    counts = FinalizeCountsSerializer()
    total_cost_cents = serializers.IntegerField(min_value=0, help_text="The quoted price of every held item.")
    debited_cents = serializers.IntegerField(min_value=0, help_text="What was charged: the purchased items.")
    failed = RowFailureSerializer(many=True, help_text="Items the carrier did not sell; not charged.")


class ReserveShortageSerializer(OutputSerializer):
    """The ``data`` of a 409 INSUFFICIENT_INVENTORY: nothing matched the filter."""

    available_count = serializers.IntegerField(min_value=0)
    requested = serializers.IntegerField(min_value=1)


class FinalizedReservation:
    """What finalize answers: the reservation as GET shows it (items included), and what was bought."""

    def __init__(self, result: FinalizeResult):
        self.reservation = reservation_with_items(result.reservation)
        self.counts = result.counts
        self.total_cost_cents = result.total_cost_cents
        self.debited_cents = result.checkout.debited_cents

    def __getattr__(self, name):  # the reservation's own fields
        return getattr(self.reservation, name)

    @property
    def failed(self) -> list[RowFailure]:
        return [RowFailure(item.e164, item.error_code, item.error_message) for item in self.reservation.items.all()
                if item.status == BulkReservationItem.Status.FAILED]


# --- the endpoints --------------------------------------------------------------------------------


class ReservationPagination(KeysetPagination):
    default_limit, max_limit = 20, 100


_HELD_CONFLICT = "The reservation is already finalized, cancelled or expired (an overdue hold expires now), " \
                 "or is being finalized; or the Idempotency-Key was used with a different body."


class ReservationViewSet(OrbitViewSet):
    queryset = customer_reservations()
    lookup_url_kwarg = "reservation_id"
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write",
                       "finalize": "numbers:write", "cancel": "numbers:write"}
    rate_limits = {"create": RateLimit("bulk_reserve", 1)}
    serializer_class = ReservationSerializer
    filterset_class = ReservationFilterSet
    pagination_class = ReservationPagination

    @extend_schema(
        operation_id="numbers_bulk_reserve_list", tags=["numbers"], summary="List bulk reservations (newest first)",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(ReservationSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        # Holds past their time show as expired (and their rows go back) before they are listed.
        services.reservations_expire(organization=self.organization)
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_bulk_reserve_create", tags=["numbers"],
        summary="Hold up to 1000 of the cheapest matching numbers for 15 minutes",
        description="Rate limited to 1 call a minute per organisation.",
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=ReserveSerializer,
        responses={201: envelope(ReservationDetailSerializer),
                   409: error_response(
                       409, "No available number matches the filter (data says so); or the Idempotency-Key was "
                            "used with a different body, or its first request still runs.",
                       codes=["INSUFFICIENT_INVENTORY", "IDEMPOTENCY_CONFLICT", "CONFLICT"],
                       data=ReserveShortageSerializer(required=False)),
                   422: compliance_422("Invalid body (details per field), or an unknown compliance_profile_id."),
                   **errors(400, 401, 403, 429, notes={
                       429: "Rate limited: 1 call a minute per organisation, besides the per-key budget."})},
    )
    @idempotent
    def create(self, request):
        body = self.validated(ReserveSerializer)
        reservation = services.reservation_create(
            organization=self.organization, country=body["country"], quantity=body["quantity"],
            number_type=body["number_type"], area_code=body.get("area_code", ""),
            name_pattern=body.get("name_pattern", ""), pattern_type=body["pattern_type"],
            capabilities=body.get("capabilities") or [], provider=body.get("provider", ""),
            compliance_profile_id=body.get("compliance_profile_id"), **self.actor())
        return self.respond(reservation_with_items(reservation), status=201,
                            serializer_class=ReservationDetailSerializer)

    @extend_schema(
        operation_id="numbers_bulk_reserve_retrieve", tags=["numbers"],
        summary="A reservation and its items (an overdue hold expires on read)",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(ReservationDetailSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, reservation_id: str):
        reservation = services.reservation_get(organization=self.organization, reservation_id=reservation_id)
        return self.respond(reservation_with_items(reservation), serializer_class=ReservationDetailSerializer)

    @extend_schema(
        operation_id="numbers_bulk_reserve_finalize", tags=["numbers"],
        summary="Purchase, bill and route every held item",
        description=("Wallet preflight against the whole reservation; carrier failures are reported per item "
                     "and never charged."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=None,
        responses={200: envelope(FinalizedReservationSerializer),
                   422: compliance_422("A body other than {} was sent. The profile the reservation was made "
                                       "with must still cover it (the hold is kept)."),
                   **errors(400, 401, 402, 403, 404, 409, 429, notes={
                       402: "The wallet does not cover the held items; the hold is kept, nothing was charged.",
                       409: _HELD_CONFLICT})},
    )
    @action(detail=True, methods=["post"])
    @idempotent(render="finalized")
    def finalize(self, request, reservation_id: str):
        self.validated(EmptyBody, data=request.data or {})
        result = services.reservation_finalize(organization=self.organization, reservation_id=reservation_id,
                                               **self.actor())
        return self.finalized(result)

    def finalized(self, result: FinalizeResult) -> Response:
        """The 200; also rendered inside the checkout's effect transaction for Idempotency-Key replays."""
        return self.respond(FinalizedReservation(result), serializer_class=FinalizedReservationSerializer)

    @extend_schema(
        operation_id="numbers_bulk_reserve_cancel", tags=["numbers"],
        summary="Release every held item (no carrier call)",
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=None,
        responses={200: envelope(ReservationDetailSerializer),
                   **errors(400, 401, 403, 404, 409, 422, 429, notes={
                       409: _HELD_CONFLICT, 422: "A body other than {} was sent."})},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, reservation_id: str):
        self.validated(EmptyBody, data=request.data or {})
        reservation = services.reservation_cancel(organization=self.organization, reservation_id=reservation_id,
                                                  **self.actor())
        return self.respond(reservation_with_items(reservation), serializer_class=ReservationDetailSerializer)


router = OrbitRouter()
router.register("numbers/bulk-reserve", ReservationViewSet, basename="numbers-bulk-reserve")
urlpatterns = router.urls
