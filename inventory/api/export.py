"""GET /api/v1/numbers/export?format=csv|json — every live number of the tenant, streamed.

The list's FilterSet (``OwnedNumberFilterSet``: same filters, validation and names as
GET /api/v1/numbers) plus ``format``, without pagination: the whole filtered list in one download.
The rows and their columns are ``inventory.exporting.TENANT``, which the console and the command use too.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from orbit_numbers.api.filters import OrbitFilterBackend
from orbit_numbers.api.openapi import RESPONSE_HEADERS, EnvelopeMetaSerializer, csv_parameter, errors
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import meta
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.validators import FullMatchValidator

from ..exporting import TENANT, export_response
from ..filters import OwnedNumberExportFilterSet
from ..models import LineType, OwnedNumber, Provider
from .fields import OWNED_CAPABILITIES, TAG_PATTERN


class FilterSetOnViewBackend(OrbitFilterBackend):
    """Keeps the validated FilterSet on the view (``view.filterset``) for the values that are not filters."""

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset


# The schema of one exported number, column by column in TENANT's order (a column without a type here
# fails at import, so the schema cannot drift from what the export writes).
_COLUMN_FIELDS = {
    "id": serializers.CharField(help_text="num_ followed by 20 characters."),
    "number": serializers.CharField(help_text="E.164."),
    "country": serializers.CharField(help_text="ISO 3166-1 alpha-2."),
    "type": serializers.ChoiceField(choices=LineType.choices),
    "region": serializers.CharField(allow_blank=True),
    "label": serializers.CharField(allow_blank=True),
    "capabilities": serializers.ListField(child=serializers.ChoiceField(choices=OWNED_CAPABILITIES)),
    "status": serializers.ChoiceField(choices=OwnedNumber.Status.choices),
    "tags": serializers.ListField(child=serializers.CharField(validators=[FullMatchValidator(TAG_PATTERN)])),
    "monthly_cost": serializers.FloatField(help_text="US dollars per month (CSV: 1.50)."),
    "setup_cost": serializers.FloatField(help_text="US dollars, charged once at purchase (CSV: 1.00)."),
    "provider": serializers.ChoiceField(choices=Provider.choices),
    "compliance_profile_id": serializers.CharField(allow_null=True),
    "created_at": serializers.DateTimeField(),
    "updated_at": serializers.DateTimeField(),
}
ExportedNumberSerializer = inline_serializer(
    name="ExportedNumber", fields={column: _COLUMN_FIELDS[column] for column in TENANT.header})


class ExportMetaSerializer(EnvelopeMetaSerializer):
    count = serializers.IntegerField(min_value=0, help_text="How many numbers the export holds.")


NumberExportEnvelope = inline_serializer(name="NumberExportEnvelope", fields={
    "data": serializers.ListField(child=ExportedNumberSerializer), "meta": ExportMetaSerializer()})
set_override(NumberExportEnvelope, "many", False)  # one object, though the action is a list

CONTENT_DISPOSITION = OpenApiParameter(
    "Content-Disposition", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description='attachment; filename="numbers-<YYYYMMDD-HHMMSS>.<format>"')


class NumberExportViewSet(OrbitViewSet):
    queryset = OwnedNumber.objects.live()
    required_scopes = {"list": "numbers:read"}
    rate_limits = {"list": RateLimit("numbers_export", settings.ORBIT["EXPORT_RATE_LIMIT_PER_MINUTE"])}
    filterset_class = OwnedNumberExportFilterSet
    filter_backends = [FilterSetOnViewBackend]

    def perform_content_negotiation(self, request, force=False):
        # Here ?format= names the export's file format; DRF would read it as a renderer and 404.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="numbers_export", tags=["numbers"], summary="Export your numbers (CSV or JSON)",
        description=("Every live number matching the filters of GET /api/v1/numbers, newest first, in one "
                     "streamed download: `format=csv` (default; one number per line, money as 1.50, lists "
                     "joined with ;) or `format=json` (the envelope, with meta.count)."),
        parameters=[csv_parameter("capabilities", OWNED_CAPABILITIES, (
            "Comma-separated; only numbers with every listed capability enabled.")),
                    CONTENT_DISPOSITION, *RESPONSE_HEADERS],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=(
                       "format=csv: a header line, then one number per line; format=json: the envelope.")),
                   (200, "application/json"): OpenApiResponse(NumberExportEnvelope),
                   **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        numbers = self.filter_queryset(self.get_queryset()).order_by("-created_at", "-pk")
        return export_response(TENANT, numbers, self.filterset.file_format, meta=meta(request))


router = OrbitRouter()
router.register("numbers/export", NumberExportViewSet, basename="numbers-export")
urlpatterns = router.urls
