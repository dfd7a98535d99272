"""Search the sellable inventory, and the per-country summaries that say where to search."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.openapi import RESPONSE_HEADERS, csv_parameter, envelope, errors
from orbit_numbers.api.serializers import CountryField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import selectors
from ..filters import AvailableNumberFilterSet
from ..models import PhoneNumber
from .fields import SEARCH_CAPABILITIES
from .representations import AvailableNumberSerializer


class CountryCapabilitiesQuery(StrictSerializer):
    country = CountryField(required=False)


class NoQuery(StrictSerializer):
    pass


class AvailableNumbersResultSerializer(OutputSerializer):
    numbers = AvailableNumberSerializer(many=True, help_text="Cheapest first; empty when nothing matches.")


class LineTypeCountsSerializer(OutputSerializer):
    local = serializers.IntegerField(min_value=0)
    mobile = serializers.IntegerField(min_value=0)
    toll_free = serializers.IntegerField(min_value=0)


class AvailableCountrySerializer(OutputSerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    count = serializers.IntegerField(min_value=0, help_text="Searchable numbers, all line types.")
    line_types = LineTypeCountsSerializer()


class AvailableCountriesSerializer(OutputSerializer):
    countries = AvailableCountrySerializer(many=True)


class CapabilityCountsSerializer(OutputSerializer):
    total = serializers.IntegerField(min_value=0)
    sms = serializers.IntegerField(min_value=0)
    mms = serializers.IntegerField(min_value=0)
    voice = serializers.IntegerField(min_value=0)
    fax = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Authoritative count of two-way SMS numbers.")


class TollFreeCapabilityCountsSerializer(OutputSerializer):
    total = serializers.IntegerField(min_value=0)
    sms_send_only = serializers.IntegerField(min_value=0, help_text="Toll-free SMS is send-only, never two-way.")
    mms = serializers.IntegerField(min_value=0)
    voice = serializers.IntegerField(min_value=0)
    fax = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Always 0 for toll-free.")


class LineTypeCapabilitiesSerializer(OutputSerializer):
    """Only the line types the country has stock of are present."""

    local = CapabilityCountsSerializer(required=False)
    mobile = CapabilityCountsSerializer(required=False)
    toll_free = TollFreeCapabilityCountsSerializer(required=False)


class CountryCapabilitySerializer(OutputSerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    total = serializers.IntegerField(min_value=0)
    two_way_sms = serializers.IntegerField(min_value=0, help_text="Authoritative count of two-way SMS numbers.")
    toll_free_sms_send_only = serializers.IntegerField(min_value=0, help_text=(
        "Toll-free numbers with (send-only) SMS; never part of two_way_sms."))
    line_types = LineTypeCapabilitiesSerializer()


class CountryCapabilitiesSerializer(OutputSerializer):
    countries = CountryCapabilitySerializer(many=True)


SEARCH_DESCRIPTION = (
    "Numbers you can buy now, cheapest first, in `data.numbers`. Money is in dollars. `capabilities` filters on "
    "sms, mms, voice, fax (whatsapp/rcs are purchase-time channels and are refused here with 422); "
    "`type=short_code` is refused with 422.")


class AvailableNumberViewSet(OrbitViewSet):
    """The sellable stock: shared by every organisation, so not tenant-scoped."""

    queryset = PhoneNumber.objects.all()
    tenant_field = None
    required_scopes = {"list": "numbers:read"}
    serializer_class = AvailableNumbersResultSerializer
    filterset_class = AvailableNumberFilterSet

    def get_queryset(self):
        return selectors.searchable_inventory()  # "sellable" is evaluated now, per request

    @extend_schema(
        operation_id="numbers_available_search", tags=["numbers"], summary="Search available numbers",
        description=SEARCH_DESCRIPTION,
        parameters=[csv_parameter("capabilities", SEARCH_CAPABILITIES, (
            "Comma-separated; every listed capability must be supported, e.g. sms,voice.")), *RESPONSE_HEADERS],
        responses={200: envelope(AvailableNumbersResultSerializer), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        # The FilterSet filters, orders (cheapest first) and cuts at ?limit.
        return self.respond({"numbers": selectors.search_hits(self.filter_queryset(self.get_queryset()))})


class InventorySummaryViewSet(OrbitViewSet):
    """Where to search: per-country counts of the sellable stock (aggregates, not rows)."""

    queryset = PhoneNumber.objects.all()
    tenant_field = None
    required_scopes = {"available_countries": "numbers:read", "country_capabilities": "numbers:read"}

    @extend_schema(
        operation_id="numbers_available_countries", tags=["numbers"],
        summary="Countries that have searchable inventory now",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(AvailableCountriesSerializer), **errors(401, 403, 422, 429)},
    )
    @action(detail=False, methods=["get"], url_path="available/countries")
    def available_countries(self, request):
        self.query_params(NoQuery)
        return self.respond({"countries": selectors.available_countries()},
                            serializer_class=AvailableCountriesSerializer)

    @extend_schema(
        operation_id="numbers_country_capabilities", tags=["numbers"],
        summary="Per-country line type × capability counts, with the authoritative two_way_sms",
        parameters=[CountryCapabilitiesQuery, *RESPONSE_HEADERS],
        responses={200: envelope(CountryCapabilitiesSerializer), **errors(401, 403, 422, 429)},
    )
    @action(detail=False, methods=["get"], url_path="country-capabilities")
    def country_capabilities(self, request):
        query = self.query_params(CountryCapabilitiesQuery)
        return self.respond({"countries": selectors.country_capabilities(country=query.get("country"))},
                            serializer_class=CountryCapabilitiesSerializer)


router = OrbitRouter()
router.register("numbers/available", AvailableNumberViewSet, basename="numbers-available")
router.register("numbers", InventorySummaryViewSet, basename="numbers")
urlpatterns = router.urls
