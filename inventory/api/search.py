"""Search the sellable inventory, and the per-country summaries that say where to search."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.openapi import RESPONSE_HEADERS, csv_parameter, envelope, errors
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import CountryField, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import selectors
from ..models import LineType, Provider
from .fields import (PURCHASE_ONLY_REASON, SEARCH_CAPABILITIES, SHORT_CODE_REASON, CommaListField, DigitsField,
                     EnumField)
from .representations import AvailableNumberSerializer, offer_representation


class SearchQuery(StrictSerializer):
    country = CountryField()
    type = EnumField(choices=tuple(LineType.values), refusals={"short_code": SHORT_CODE_REASON}, required=False)
    capabilities = CommaListField(choices=SEARCH_CAPABILITIES, required=False, refusals={
        "whatsapp": PURCHASE_ONLY_REASON, "rcs": PURCHASE_ONLY_REASON})
    area_code = DigitsField(max_digits=8, required=False)
    contains = DigitsField(required=False)
    starts_with = DigitsField(required=False)
    ends_with = DigitsField(required=False)
    provider = EnumField(choices=tuple(Provider.values), required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class CountryCapabilitiesQuery(StrictSerializer):
    country = CountryField(required=False)


class NoQuery(StrictSerializer):
    pass


class AvailableNumbersResultSerializer(serializers.Serializer):
    numbers = AvailableNumberSerializer(many=True, help_text="Cheapest first; empty when nothing matches.")


class LineTypeCountsSerializer(serializers.Serializer):
    local = serializers.IntegerField(min_value=0)
    mobile = serializers.IntegerField(min_value=0)
    toll_free = serializers.IntegerField(min_value=0)


class AvailableCountrySerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    count = serializers.IntegerField(min_value=0, help_text="Searchable numbers, all line types.")
    line_types = LineTypeCountsSerializer()


class AvailableCountriesSerializer(serializers.Serializer):
    countries = AvailableCountrySerializer(many=True)


class CapabilityCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0)
    sms = serializers.IntegerField(min_value=0)
    mms = serializers.IntegerField(min_value=0)
    voice = serializers.IntegerField(min_value=0)
    fax = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Authoritative count of two-way SMS numbers.")


class TollFreeCapabilityCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0)
    sms_send_only = serializers.IntegerField(min_value=0, help_text="Toll-free SMS is send-only, never two-way.")
    mms = serializers.IntegerField(min_value=0)
    voice = serializers.IntegerField(min_value=0)
    fax = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Always 0 for toll-free.")


class LineTypeCapabilitiesSerializer(serializers.Serializer):
    """Only the line types the country has stock of are present."""

    local = CapabilityCountsSerializer(required=False)
    mobile = CapabilityCountsSerializer(required=False)
    toll_free = TollFreeCapabilityCountsSerializer(required=False)


class CountryCapabilitySerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    total = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Authoritative count of two-way SMS numbers.")
    toll_free_sms_send_only = serializers.IntegerField(min_value=0, help_text=(
        "Toll-free numbers with (send-only) SMS; never part of two_way_sms."))
    line_types = LineTypeCapabilitiesSerializer()


class CountryCapabilitiesSerializer(serializers.Serializer):
    countries = CountryCapabilitySerializer(many=True)


class AvailableNumbersView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(
        operation_id="numbers_available_search", tags=["numbers"],
        summary="Search available numbers",
        description=("Numbers you can buy now, cheapest first, in `data.numbers`. Money is in dollars. "
                     "`capabilities` filters on sms, mms, voice, fax (whatsapp/rcs are purchase-time "
                     "channels and are refused here with 422); `type=short_code` is refused with 422."),
        parameters=[SearchQuery, csv_parameter("capabilities", SEARCH_CAPABILITIES, (
            "Comma-separated; every listed capability must be supported, e.g. sms,voice.")), *RESPONSE_HEADERS],
        responses={200: envelope(AvailableNumbersResultSerializer), **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        query = self.query_params(SearchQuery)
        rows = selectors.available_numbers_search(
            country=query["country"], line_type=query.get("type"), capabilities=query.get("capabilities"),
            area_code=query.get("area_code"), contains=query.get("contains"), starts_with=query.get("starts_with"),
            ends_with=query.get("ends_with"), provider=query.get("provider"), limit=query["limit"])
        return ok(request, {"numbers": [offer_representation(row) for row in rows]})


class AvailableCountriesView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(
        operation_id="numbers_available_countries", tags=["numbers"],
        summary="Countries that have searchable inventory now",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(AvailableCountriesSerializer), **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        self.query_params(NoQuery)
        return ok(request, {"countries": selectors.available_countries()})


class CountryCapabilitiesView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(
        operation_id="numbers_country_capabilities", tags=["numbers"],
        summary="Per-country line type × capability counts, with the authoritative two_way_sms",
        parameters=[CountryCapabilitiesQuery, *RESPONSE_HEADERS],
        responses={200: envelope(CountryCapabilitiesSerializer), **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        query = self.query_params(CountryCapabilitiesQuery)
        return ok(request, {"countries": selectors.country_capabilities(country=query.get("country"))})


urlpatterns = [
    path("numbers/available", AvailableNumbersView.as_view(), name="numbers-available"),
    path("numbers/available/countries", AvailableCountriesView.as_view(), name="numbers-available-countries"),
    path("numbers/country-capabilities", CountryCapabilitiesView.as_view(), name="numbers-country-capabilities"),
]
