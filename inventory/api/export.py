"""GET /api/v1/numbers/export?format=csv|json — the tenant's own live numbers, streamed."""
from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import meta
from orbit_numbers.api.serializers import CountryField, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from ..exporting import FORMATS, TENANT, export_response, owned_queryset
from ..models import LineType, OwnedNumber

LIVE_STATUSES = [status for status in OwnedNumber.Status.values if status != OwnedNumber.Status.RELEASED]
LIST_CAPABILITIES = ("sms", "mms", "voice", "fax", "whatsapp", "rcs")


class ExportQuery(StrictSerializer):
    format = serializers.ChoiceField(choices=FORMATS, required=False, default="csv",
                                     error_messages={"invalid_choice": "must be csv or json"})
    country = CountryField(required=False)
    status = serializers.ChoiceField(choices=LIVE_STATUSES, required=False)
    type = serializers.ChoiceField(choices=LineType.values, required=False)
    tag = serializers.CharField(required=False, max_length=50)
    capabilities = serializers.CharField(required=False, help_text="Comma-separated: sms, mms, voice, fax, whatsapp, rcs.")

    def validate_capabilities(self, value: str) -> list[str]:
        capabilities = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in capabilities if item not in LIST_CAPABILITIES]
        if unknown:
            raise serializers.ValidationError(f"unknown capability {', '.join(unknown)}; "
                                              f"allowed: {', '.join(LIST_CAPABILITIES)}")
        return capabilities


class NumbersExportView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}
    rate_limits = {"GET": RateLimit("numbers_export", settings.ORBIT["EXPORT_RATE_LIMIT_PER_MINUTE"])}

    def perform_content_negotiation(self, request, force=False):
        # Here ?format= names the export's file format; DRF would read it as a renderer and 404.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="numbers_export", summary="Export your numbers (CSV or JSON)",
        parameters=[ExportQuery],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, one number per line"),
                   (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT,
                                                              description='{"data": [...], "meta": {...}}'),
                   422: OpenApiResponse(description="VALIDATION_ERROR (e.g. format not csv/json)")},
    )
    def get(self, request):
        query = self.query_params(ExportQuery)
        numbers = owned_queryset(organization=self.organization, country=query.get("country"),
                                 status=query.get("status"), line_type=query.get("type"), tag=query.get("tag"),
                                 capabilities=query.get("capabilities", ()))
        return export_response(TENANT, numbers, query["format"], meta=meta(request))


urlpatterns = [path("numbers/export", NumbersExportView.as_view(), name="numbers-export")]
