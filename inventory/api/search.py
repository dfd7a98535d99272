"""Search the sellable inventory, and the per-country summaries that say where to search."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import CountryField, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import selectors
from ..models import LineType, Provider
from .fields import (PURCHASE_ONLY_REASON, SEARCH_CAPABILITIES, SHORT_CODE_REASON, CommaListField, DigitsField,
                     EnumField)
from .representations import offer_representation


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


class AvailableNumbersView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(parameters=[SearchQuery], responses=OpenApiTypes.OBJECT,
                   summary="Search available numbers (data.numbers[])")
    def get(self, request):
        query = self.query_params(SearchQuery)
        rows = selectors.available_numbers_search(
            country=query["country"], line_type=query.get("type"), capabilities=query.get("capabilities"),
            area_code=query.get("area_code"), contains=query.get("contains"), starts_with=query.get("starts_with"),
            ends_with=query.get("ends_with"), provider=query.get("provider"), limit=query["limit"])
        return ok(request, {"numbers": [offer_representation(row) for row in rows]})


class AvailableCountriesView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Countries that have searchable inventory now")
    def get(self, request):
        self.query_params(NoQuery)
        return ok(request, {"countries": selectors.available_countries()})


class CountryCapabilitiesView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(parameters=[CountryCapabilitiesQuery], responses=OpenApiTypes.OBJECT,
                   summary="Per-country line type × capability counts, with the authoritative two_way_sms")
    def get(self, request):
        query = self.query_params(CountryCapabilitiesQuery)
        return ok(request, {"countries": selectors.country_capabilities(country=query.get("country"))})


urlpatterns = [
    path("numbers/available", AvailableNumbersView.as_view(), name="numbers-available"),
    path("numbers/available/countries", AvailableCountriesView.as_view(), name="numbers-available-countries"),
    path("numbers/country-capabilities", CountryCapabilitiesView.as_view(), name="numbers-country-capabilities"),
]
