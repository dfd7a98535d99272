"""GET /api/v1/numbers/export?format=csv|json — every live number of the tenant, streamed.

Same filters, validation and field names as GET /api/v1/numbers (the list endpoint), without
pagination: the whole filtered list in one download.
"""
from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import meta
from orbit_numbers.api.serializers import CountryField, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import selectors
from ..exporting import FORMATS, TENANT, export_response
from ..models import LineType
from .fields import CommaListField, EnumField
from .numbers import LISTED_STATUSES, OWNED_CAPABILITIES, TAG_PATTERN, TAG_RULE


class ExportQuery(StrictSerializer):
    format = EnumField(choices=FORMATS, required=False, default="csv")
    country = CountryField(required=False)
    capabilities = CommaListField(choices=OWNED_CAPABILITIES, required=False)
    status = EnumField(choices=LISTED_STATUSES, required=False, refusals={
        "released": "released numbers are not listed: a release takes the number off your list at once"})
    type = EnumField(choices=tuple(LineType.values), required=False)
    tag = serializers.RegexField(TAG_PATTERN, required=False, error_messages={"invalid": f"must be a {TAG_RULE}"})


class NumbersExportView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}
    rate_limits = {"GET": RateLimit("numbers_export", settings.ORBIT["EXPORT_RATE_LIMIT_PER_MINUTE"])}

    def perform_content_negotiation(self, request, force=False):
        # Here ?format= names the export's file format; DRF would read it as a renderer and 404.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="numbers_export", summary="Export your numbers (CSV or JSON)", parameters=[ExportQuery],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, one number per line"),
                   (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT,
                                                              description='{"data": [...], "meta": {...}}'),
                   422: OpenApiResponse(description="VALIDATION_ERROR (e.g. format other than csv or json)")},
    )
    def get(self, request):
        query = self.query_params(ExportQuery)
        numbers = selectors.owned_numbers_list(
            organization=self.organization, country=query.get("country"), capabilities=query.get("capabilities"),
            status=query.get("status"), line_type=query.get("type"), tag=query.get("tag"),
        ).order_by("-created_at", "-pk")
        return export_response(TENANT, numbers, query["format"], meta=meta(request))


urlpatterns = [path("numbers/export", NumbersExportView.as_view(), name="numbers-export")]
