"""E911 dispatchable addresses: /numbers/emergency-addresses (list, create, retrieve, delete) and
each number's address: GET/PUT/DELETE /numbers/{number_id}/emergency-address.

Block and disclaim (ADR 010): a number's emergency calling stays blocked until an address is
provisioned on it at the carrier; every owned-number representation carries ``emergency``.
"""
from __future__ import annotations

from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orbit_numbers.api.filters import CountryFilter, EnumFilter, OrbitFilterSet
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, error_response, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import EMERGENCY_COUNTRIES, EmergencyAddress, OwnedNumber
from ..selectors.emergency import emergency_addresses, number_emergency_calling
from .representations import NumberEmergencySerializer

# --- request ----------------------------------------------------------------------------------------


def _text(max_length: int, *, required: bool = True, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=required, allow_blank=not required,
                                 help_text=help_text)


class EmergencyAddressBody(StrictSerializer):
    caller_name = _text(100, help_text="Who emergency services will ask for: the person or the business.")
    business_name = _text(100, required=False, help_text="The business at the address, if any.")
    street_number = _text(20, help_text="House number, e.g. 600.")
    street_name = _text(100, help_text="e.g. Congress Avenue (the carrier may abbreviate it: Congress Ave).")
    unit = _text(50, required=False, help_text="Apartment, suite or floor, e.g. Suite 300.")
    city = _text(100)
    state = _text(50, help_text="State or province, name or code (Texas or TX).")
    postal_code = _text(10, help_text="ZIP (78701, 78701-1234) or Canadian postal code (K1A 0B1).")
    country = serializers.ChoiceField(choices=list(EMERGENCY_COUNTRIES), help_text="US or CA.")

    def validate(self, attrs):
        for name, value in attrs.items():
            if isinstance(value, str) and any(ord(ch) < 32 for ch in value):
                raise serializers.ValidationError({name: "must not contain control characters"})
        return attrs


class AttachBody(StrictSerializer):
    address_id = serializers.CharField(max_length=32, help_text="One of your emergency addresses (ea_…).")


# --- responses --------------------------------------------------------------------------------------


class SuggestionSerializer(OutputSerializer):
    field = serializers.CharField()
    submitted = serializers.CharField(allow_blank=True, help_text="What you sent.")
    corrected = serializers.CharField(allow_blank=True, help_text="What the carrier stored instead.")


class EmergencyAddressSerializer(OutputSerializer):
    id = serializers.CharField(help_text="ea_ followed by 20 characters.")
    caller_name = serializers.CharField()
    business_name = serializers.CharField(allow_blank=True)
    street_number = serializers.CharField()
    street_name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    city = serializers.CharField()
    state = serializers.CharField(help_text="USPS / Canada Post code.")
    postal_code = serializers.CharField()
    country = serializers.ChoiceField(choices=list(EMERGENCY_COUNTRIES))
    validation = serializers.ChoiceField(choices=EmergencyAddress.Validation.choices, help_text=(
        "valid: stored as sent; corrected: stored as the carrier normalised it (see suggestions)."))
    corrected_fields = serializers.ListField(child=serializers.CharField())
    suggestions = serializers.SerializerMethodField(help_text=(
        "The carrier's corrections: each field it changed, what you sent and what it stored."))
    carrier_reference = serializers.CharField(allow_blank=True, help_text="The carrier's validation reference.")
    numbers_count = serializers.SerializerMethodField(help_text=(
        "Live numbers this address is attached to (it cannot be deleted while above 0)."))
    created_at = serializers.DateTimeField()

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, address: EmergencyAddress) -> list[dict]:
        submitted = address.submitted or {}
        return [{"field": name, "submitted": str(submitted.get(name, "")), "corrected": str(getattr(address, name))}
                for name in address.corrected_fields]

    @extend_schema_field({"type": "integer", "minimum": 0})
    def get_numbers_count(self, address: EmergencyAddress) -> int:
        return getattr(address, "numbers_count", 0)


class NumberEmergencyDetailSerializer(NumberEmergencySerializer):
    number_id = serializers.CharField()
    phone_number = serializers.CharField(help_text="E.164.")


# --- the endpoints ----------------------------------------------------------------------------------


class EmergencyAddressFilterSet(OrbitFilterSet):
    """GET /numbers/emergency-addresses."""

    country = CountryFilter(help_text="US or CA.")
    validation = EnumFilter(choices=EmergencyAddress.Validation, help_text="valid or corrected.")
    postal_code = django_filters.CharFilter(max_length=10, help_text="Exact postal code as stored.")

    set_override(postal_code, "field", {"type": "string", "minLength": 1, "maxLength": 10, "example": "78701",
                                        "description": "Exact postal code as stored, e.g. 78701 or K1A 0B1."})

    class Meta:
        model = EmergencyAddress
        fields: list[str] = []


class EmergencyAddressPagination(KeysetPagination):
    default_limit, max_limit = 25, 100
    ordering = ("-created_at", "-pk")


ADDRESS_PATH = OpenApiParameter("address_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                                description="An emergency address id (ea_…).")
INVALID_ADDRESS = error_response(422, (
    "The body is invalid (VALIDATION_ERROR, details per field; a country other than US or CA included), or the "
    "carrier could not validate the address for emergency services (EMERGENCY_ADDRESS_INVALID: error.details maps "
    "each field to the carrier's reason, e.g. a ZIP code of another state or a street it does not know)."),
    codes=["VALIDATION_ERROR", "EMERGENCY_ADDRESS_INVALID"])


class EmergencyAddressViewSet(OrbitViewSet):
    queryset = EmergencyAddress.objects.all()
    lookup_url_kwarg = "address_id"
    not_found_message = "No such emergency address."
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write",
                       "destroy": "numbers:write"}
    serializer_class = EmergencyAddressSerializer
    filterset_class = EmergencyAddressFilterSet
    pagination_class = EmergencyAddressPagination

    def get_queryset(self):
        return emergency_addresses(organization=self.organization)

    @extend_schema(
        operation_id="numbers_emergency_addresses_list", tags=["emergency"],
        summary="List your emergency (E911) addresses", description="Newest first, cursor-paginated.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(EmergencyAddressSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_emergency_addresses_create", tags=["emergency"],
        summary="Register a dispatchable emergency address",
        description=("The carrier validates the address for emergency services and it is stored as the carrier "
                     "normalised it (word case, street suffixes such as Street → St, state names → codes, postal "
                     "code format): `corrected_fields` and `suggestions` show what changed. Attach it to voice "
                     "numbers with PUT /api/v1/numbers/{number_id}/emergency-address."),
        parameters=RESPONSE_HEADERS, request=EmergencyAddressBody,
        responses={201: envelope(EmergencyAddressSerializer), 422: INVALID_ADDRESS,
                   **errors(400, 401, 403, 409, 429, notes={
                       409: "The carrier could not be reached to validate the address; retry after Retry-After."})},
    )
    def create(self, request):
        body = self.validated(EmergencyAddressBody)
        address = services.emergency_address_create(organization=self.organization, fields=dict(body),
                                                    **self.actor())
        address.numbers_count = 0
        return self.respond(address, status=201)

    @extend_schema(
        operation_id="numbers_emergency_addresses_retrieve", tags=["emergency"], summary="Get an emergency address",
        parameters=[ADDRESS_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(EmergencyAddressSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, address_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="numbers_emergency_addresses_delete", tags=["emergency"], summary="Delete an emergency address",
        parameters=[ADDRESS_PATH, *RESPONSE_HEADERS],
        responses={204: OpenApiResponse(description="Deleted; no body."), **errors(401, 403, 404, 409, 429, notes={
            409: "The address is attached to live numbers (error.details.numbers); detach it or attach another "
                 "address to them first."})},
    )
    def destroy(self, request, address_id: str):
        services.emergency_address_delete(organization=self.organization, address_id=address_id, **self.actor())
        return Response(status=204)


class NumberEmergencyViewSet(OrbitViewSet):
    """/numbers/{number_id}/emergency-address: the emergency address of one of the caller's live numbers."""

    queryset = OwnedNumber.objects.live().select_related("phone_number")
    lookup_url_kwarg = lookup_value_converter = "number_id"
    not_found_message = "No such number."
    required_scopes = {"emergency_address": "numbers:read", "attach_emergency_address": "numbers:write",
                       "detach_emergency_address": "numbers:write"}
    serializer_class = NumberEmergencyDetailSerializer

    def _answer(self, number: OwnedNumber, *, status: int = 200):
        state = {**number_emergency_calling(number), "number_id": number.pk, "phone_number": number.e164}
        return self.respond(state, status=status)

    @extend_schema(
        operation_id="numbers_emergency_address_retrieve", tags=["emergency"],
        summary="A number's emergency calling state and address",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(NumberEmergencyDetailSerializer), **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"], url_path="emergency-address")
    def emergency_address(self, request, number_id: str):
        return self._answer(self.get_object())

    @extend_schema(
        operation_id="numbers_emergency_address_attach", tags=["emergency"],
        summary="Attach an emergency address to a voice number",
        description=("Records the address as `pending` and provisions it at the number's carrier in the background "
                     "(`provisioned` or `failed`, with the carrier's reason). Emergency calling stays blocked until "
                     "it is provisioned. Attaching the address already attached changes nothing."),
        parameters=RESPONSE_HEADERS, request=AttachBody,
        responses={200: envelope(NumberEmergencyDetailSerializer), **errors(400, 401, 403, 404, 422, 429, notes={
            422: ("Invalid body; an address_id that is not one of your addresses; or a number without voice, or "
                  "outside US/CA (details.number_id).")})},
    )
    @emergency_address.mapping.put
    def attach_emergency_address(self, request, number_id: str):
        body = self.validated(AttachBody)
        number = services.number_emergency_address_set(organization=self.organization, number_id=number_id,
                                                       address_id=body["address_id"], **self.actor())
        return self._answer(number)

    @extend_schema(
        operation_id="numbers_emergency_address_detach", tags=["emergency"],
        summary="Detach a number's emergency address",
        description="Emergency calling is blocked at once; the address is removed at the carrier in the background.",
        parameters=RESPONSE_HEADERS, request=None,
        responses={200: envelope(NumberEmergencyDetailSerializer), **errors(401, 403, 404, 429, notes={
            404: "No such number, or it has no emergency address attached."})},
    )
    @emergency_address.mapping.delete
    def detach_emergency_address(self, request, number_id: str):
        number = services.number_emergency_address_remove(organization=self.organization, number_id=number_id,
                                                          **self.actor())
        return self._answer(number)


router = OrbitRouter()
router.register("numbers/emergency-addresses", EmergencyAddressViewSet, basename="numbers-emergency-addresses")
router.register("numbers", NumberEmergencyViewSet, basename="numbers-emergency")
urlpatterns = router.urls
