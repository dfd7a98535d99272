"""GET /sub-organizations: a parent organisation's sub-organisations, with their live number counts."""
from __future__ import annotations

from django.db.models import Count, Q
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.filters import OrbitFilterSet
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import OutputSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.models import Organization

from ..models import OwnedNumber


class SubOrganizationSerializer(OutputSerializer):
    id = serializers.CharField(help_text="org_ followed by 20 characters: use it in POST /numbers/transfers.")
    name = serializers.CharField()
    numbers_count = serializers.IntegerField(min_value=0, help_text="Its live (not released) numbers.")
    created_at = serializers.DateTimeField()


class SubOrganizationFilterSet(OrbitFilterSet):
    """GET /sub-organizations."""

    name = django_filters.CharFilter(lookup_expr="icontains", max_length=200,
                                     help_text="Part of the name, any case.")

    set_override(name, "field", {"type": "string", "minLength": 1, "maxLength": 200,
                                 "description": "Part of the name, any case."})

    class Meta:
        model = Organization
        fields: list[str] = []


class SubOrganizationPagination(KeysetPagination):
    default_limit, max_limit = 25, 100
    ordering = ("-created_at", "-pk")


class SubOrganizationViewSet(OrbitViewSet):
    # The caller's own sub-organisations (parent = the caller): a sibling or any other tenant sees none.
    queryset = Organization.objects.filter(is_active=True)
    tenant_field = "parent"
    required_scopes = {"list": "numbers:read"}
    serializer_class = SubOrganizationSerializer
    filterset_class = SubOrganizationFilterSet
    pagination_class = SubOrganizationPagination

    def get_queryset(self):
        return super().get_queryset().annotate(
            numbers_count=Count("numbers", filter=~Q(numbers__status=OwnedNumber.Status.RELEASED)))

    @extend_schema(
        operation_id="sub_organizations_list", tags=["organizations"], summary="List your sub-organisations",
        description=("The active sub-organisations of the calling (parent) organisation, newest first, with "
                     "their live number counts; empty for an organisation without any. Staff set the link."),
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(SubOrganizationSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())


router = OrbitRouter()
router.register("sub-organizations", SubOrganizationViewSet, basename="sub-organizations")
urlpatterns = router.urls
