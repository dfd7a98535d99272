"""Bulk reservations: POST/GET /numbers/bulk-reserve, GET /numbers/bulk-reserve/{id},
POST …/{id}/finalize, POST …/{id}/cancel."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.pagination import keyset_page, parse_limit
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import iso, ok
from orbit_numbers.api.serializers import CountryField, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import services
from ..models import CAPABILITY_FIELDS, BulkReservation, BulkReservationItem, LineType, Provider
from ..selectors import customer_reservations, reservation_with_items
from ..services.reservations import RESERVE_MAX_QUANTITY


class CapabilityListField(serializers.CharField):
    """A comma-separated subset of the search capabilities (sms, mms, voice, fax)."""

    def to_internal_value(self, data):
        raw = super().to_internal_value(data)
        names = [name.strip().lower() for name in raw.split(",") if name.strip()]
        unknown = sorted(set(names) - set(CAPABILITY_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                f"unknown capability {', '.join(unknown)}; allowed: {', '.join(CAPABILITY_FIELDS)}")
        return list(dict.fromkeys(names))


class ReserveSerializer(StrictSerializer):
    country = CountryField()
    quantity = serializers.IntegerField(min_value=1, max_value=RESERVE_MAX_QUANTITY)
    number_type = serializers.ChoiceField(choices=LineType.choices, required=False, default=LineType.LOCAL)
    area_code = serializers.RegexField(r"^[0-9]{2,5}$", required=False, allow_blank=False,
                                       error_messages={"invalid": "must be 2-5 digits"})
    name_pattern = serializers.RegexField(r"^[0-9]{1,20}$", required=False, allow_blank=False,
                                          error_messages={"invalid": "must be 1-20 digits"})
    pattern_type = serializers.ChoiceField(choices=BulkReservation.PatternType.choices, required=False,
                                           default=BulkReservation.PatternType.CONTAINS)
    capabilities = CapabilityListField(required=False, allow_blank=True)
    provider = serializers.ChoiceField(choices=Provider.choices, required=False)
    compliance_profile_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=32)


class ReservationListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=BulkReservation.Status.choices, required=False)
    cursor = serializers.CharField(required=False)
    limit = serializers.CharField(required=False)


def item_data(item: BulkReservationItem) -> dict:
    row = item.phone_number
    return {
        "phone_number": item.e164, "provider": item.provider, "country": row.country, "type": row.line_type,
        "region": row.region, "capabilities": row.capabilities,
        "monthly_cost_cents": item.monthly_cents, "setup_cost_cents": item.setup_cents,
        "status": item.status, "number_id": item.owned_number_id,
        "error": {"code": item.error_code, "message": item.error_message} if item.error_code else None,
    }


def reservation_data(reservation: BulkReservation, items=None) -> dict:
    data = {
        "id": reservation.id, "status": reservation.status, "country": reservation.country,
        "number_type": reservation.number_type, "area_code": reservation.area_code or None,
        "name_pattern": reservation.name_pattern or None, "pattern_type": reservation.pattern_type or None,
        "capabilities": reservation.capabilities, "provider": reservation.provider or None,
        "compliance_profile_id": reservation.compliance_profile_id,
        "quantity_requested": reservation.quantity_requested, "quantity_reserved": reservation.quantity_reserved,
        "expires_at": iso(reservation.expires_at), "created_at": iso(reservation.created_at),
        "finalized_at": iso(reservation.finalized_at), "cancelled_at": iso(reservation.cancelled_at),
    }
    if items is not None:
        data["items"] = [item_data(item) for item in items]
    return data


class ReservationsView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read", "POST": "numbers:write"}
    rate_limits = {"POST": RateLimit("bulk_reserve", 1)}

    @extend_schema(operation_id="numbers_bulk_reserve_list", tags=["numbers"], parameters=[ReservationListQuery],
                   responses={200: OpenApiTypes.OBJECT}, summary="List bulk reservations (cursor)")
    def get(self, request):
        query = self.query_params(ReservationListQuery)
        # Holds past their time show as expired (and their rows go back) before they are listed.
        services.reservations_expire(organization=self.organization)
        reservations = customer_reservations().filter(organization=self.organization)
        if query.get("status"):
            reservations = reservations.filter(status=query["status"])
        page = keyset_page(reservations,
                           cursor=query.get("cursor"), limit=parse_limit(query.get("limit"), default=20, maximum=100),
                           scope="bulk_reservations")
        return ok(request, [reservation_data(reservation) for reservation in page.items], pagination=page.pagination)

    @extend_schema(operation_id="numbers_bulk_reserve_create", tags=["numbers"], request=ReserveSerializer,
                   responses={201: OpenApiTypes.OBJECT},
                   summary="Hold up to 1000 of the cheapest matching numbers for 15 minutes")
    @idempotent
    def post(self, request):
        body = self.validated(ReserveSerializer)
        reservation = services.reservation_create(
            organization=self.organization, country=body["country"], quantity=body["quantity"],
            number_type=body["number_type"], area_code=body.get("area_code", ""),
            name_pattern=body.get("name_pattern", ""), pattern_type=body["pattern_type"],
            capabilities=body.get("capabilities") or [], provider=body.get("provider", ""),
            compliance_profile_id=body.get("compliance_profile_id"), **self.actor())
        return ok(request, reservation_data(reservation, reservation_with_items(reservation).items.all()), status=201)


class ReservationDetailView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(operation_id="numbers_bulk_reserve_retrieve", tags=["numbers"],
                   responses={200: OpenApiTypes.OBJECT}, summary="A reservation and its items (expired inline)")
    def get(self, request, reservation_id: str):
        reservation = services.reservation_get(organization=self.organization, reservation_id=reservation_id)
        return ok(request, reservation_data(reservation, reservation_with_items(reservation).items.all()))


class EmptyBody(StrictSerializer):
    pass


class ReservationFinalizeView(OrbitAPIView):
    required_scopes = {"POST": "numbers:write"}

    @extend_schema(operation_id="numbers_bulk_reserve_finalize", tags=["numbers"], request=None,
                   responses={200: OpenApiTypes.OBJECT}, summary="Purchase, bill and route every held item")
    @idempotent
    def post(self, request, reservation_id: str):
        self.validated(EmptyBody, data=request.data or {})
        result = services.reservation_finalize(organization=self.organization, reservation_id=reservation_id,
                                               **self.actor())
        items = list(reservation_with_items(result.reservation).items.all())
        return ok(request, {
            **reservation_data(result.reservation, items),
            "counts": result.counts,
            "total_cost_cents": result.total_cost_cents,
            "debited_cents": result.checkout.debited_cents,
            "failed": [{"phone_number": item.e164, "code": item.error_code, "message": item.error_message}
                       for item in items if item.status == BulkReservationItem.Status.FAILED],
        })


class ReservationCancelView(OrbitAPIView):
    required_scopes = {"POST": "numbers:write"}

    @extend_schema(operation_id="numbers_bulk_reserve_cancel", tags=["numbers"], request=None,
                   responses={200: OpenApiTypes.OBJECT}, summary="Release every held item (no carrier call)")
    @idempotent
    def post(self, request, reservation_id: str):
        self.validated(EmptyBody, data=request.data or {})
        reservation = services.reservation_cancel(organization=self.organization, reservation_id=reservation_id,
                                                  **self.actor())
        return ok(request, reservation_data(reservation, reservation_with_items(reservation).items.all()))


urlpatterns = [
    path("numbers/bulk-reserve", ReservationsView.as_view(), name="numbers-bulk-reserve"),
    path("numbers/bulk-reserve/<str:reservation_id>", ReservationDetailView.as_view(),
         name="numbers-bulk-reserve-detail"),
    path("numbers/bulk-reserve/<str:reservation_id>/finalize", ReservationFinalizeView.as_view(),
         name="numbers-bulk-reserve-finalize"),
    path("numbers/bulk-reserve/<str:reservation_id>/cancel", ReservationCancelView.as_view(),
         name="numbers-bulk-reserve-cancel"),
]
