"""Regulation on the API: GET /numbers/regulatory-requirements (what a country asks before a number can be
bought or ported in) and /numbers/compliance-profiles (list, create, retrieve, update, submit)."""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.filters import CountryFilter, EnumFilter, OrbitFilterSet
from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, error_response, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import CountryField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import (DOCUMENT_FORMATS, ComplianceAction, ComplianceProfile, DocumentSource, LineType,
                      RegulatoryRequirement)
from ..selectors.compliance import customer_compliance_profiles, regulatory_requirements
from .fields import SHORT_CODE_REASON

# --- the requirements table -------------------------------------------------------------------------------


class RegulatoryRequirementFilterSet(OrbitFilterSet):
    country = CountryFilter(required=True, help_text="ISO 3166-1 alpha-2 country code, e.g. DE.")
    type = EnumFilter(field_name="line_type", choices=LineType, refusals={"short_code": SHORT_CODE_REASON},
                      help_text="local, mobile or toll_free; all three when absent.")
    action = EnumFilter(choices=ComplianceAction, help_text="purchase or port_in; both when absent.")

    class Meta:
        model = RegulatoryRequirement
        fields: list[str] = []


class RequiredDocumentSerializer(OutputSerializer):
    type = serializers.CharField(help_text="The document type code, e.g. proof_of_address; name it in a "
                                           "compliance profile's documents[].type.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    accepted_formats = serializers.ListField(child=serializers.ChoiceField(choices=list(DOCUMENT_FORMATS)))
    source = serializers.ChoiceField(choices=DocumentSource.choices, help_text=(
        "profile: held in a compliance profile; port_request: given with each port request (LoA, bill copy)."))


class RequiredFieldSerializer(OutputSerializer):
    name = serializers.CharField(help_text="The key in a compliance profile's fields.")
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    pattern = serializers.CharField(allow_blank=True, help_text="A regular expression the whole value must match.")
    example = serializers.CharField(allow_blank=True)


class RegulatoryRequirementSerializer(OutputSerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(source="line_type", choices=LineType.choices)
    action = serializers.ChoiceField(choices=ComplianceAction.choices)
    regulated = serializers.BooleanField(help_text="Something is required (documents or fields).")
    profile_required = serializers.BooleanField(help_text=(
        "An approved compliance profile must cover this country, type and action: purchases are refused "
        "(422 COMPLIANCE_REQUIRED) and ported-in numbers wait in regulatory_hold without one."))
    # Method names other than get_fields: that one builds a serializer's fields.
    documents = serializers.SerializerMethodField(method_name="documents_required")
    fields = serializers.SerializerMethodField(method_name="fields_required")
    note = serializers.CharField(allow_blank=True, help_text="The rule and its authority.")
    updated_at = serializers.DateTimeField()

    @extend_schema_field(RequiredDocumentSerializer(many=True))
    def documents_required(self, requirement) -> list[dict]:
        return [{"description": "", "source": DocumentSource.PROFILE, **document} for document in requirement.documents]

    @extend_schema_field(RequiredFieldSerializer(many=True))
    def fields_required(self, requirement) -> list[dict]:
        return [{"description": "", "pattern": "", "example": "", **spec} for spec in requirement.fields]


class RequirementPagination(KeysetPagination):
    default_limit, max_limit = 25, 100
    ordering = ("line_type", "pk")


class RegulatoryRequirementViewSet(OrbitViewSet):
    """The table is the same for every organisation (no tenant filter)."""

    queryset = regulatory_requirements()
    tenant_field = None
    required_scopes = {"list": "numbers:read"}
    serializer_class = RegulatoryRequirementSerializer
    filterset_class = RegulatoryRequirementFilterSet
    pagination_class = RequirementPagination

    @extend_schema(
        operation_id="numbers_regulatory_requirements_list", tags=["numbers"],
        summary="Documents and fields a country requires to buy or port in a number",
        description=("One entry per line type and action of the country (filter with type and action). A "
                     "country, type and action without an entry requires nothing."),
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(RegulatoryRequirementSerializer, paginated=True), **errors(401, 403, 422, 429, notes={
            422: "country missing or not an ISO 3166-1 alpha-2 code, an unknown type or action, or an unknown "
                 "query parameter."})},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())


# --- compliance profiles ----------------------------------------------------------------------------------


def _status_filter(queryset, name, value):
    """The status the API shows: an approved profile past valid_until is expired even before the sweep."""
    now = timezone.now()
    current = Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    if value == ComplianceProfile.Status.APPROVED:
        return queryset.filter(current, status=value)
    if value == ComplianceProfile.Status.EXPIRED:
        return queryset.filter(Q(status=value) | (Q(status=ComplianceProfile.Status.APPROVED) & ~current))
    return queryset.filter(status=value)


class ComplianceProfileFilterSet(OrbitFilterSet):
    status = EnumFilter(choices=ComplianceProfile.Status, method=_status_filter,
                        help_text="draft, submitted, approved, rejected or expired.")
    country = CountryFilter(help_text="ISO 3166-1 alpha-2 country code.")

    class Meta:
        model = ComplianceProfile
        fields: list[str] = []


class ProfileDocumentBody(StrictSerializer):
    type = serializers.CharField(max_length=40, help_text=(
        "A document type the requirements of the profile's coverage name (source profile), e.g. proof_of_address."))
    file_id = serializers.CharField(max_length=32, help_text=(
        "file_… from POST /api/v1/files/upload (purpose compliance, numbers:write), your own."))


class ProfileBody(StrictSerializer):
    name = serializers.CharField(max_length=200)
    country = CountryField()
    line_types = serializers.ListField(child=serializers.ChoiceField(choices=LineType.choices), min_length=1,
                                       max_length=3, help_text="Line types the profile covers: local, mobile, toll_free.")
    actions = serializers.ListField(child=serializers.ChoiceField(choices=ComplianceAction.choices), min_length=1,
                                    max_length=2, help_text="What it covers: purchase, port_in.")
    fields = serializers.DictField(child=serializers.CharField(max_length=500), required=False, help_text=(
        "Values of the required fields by name (GET /numbers/regulatory-requirements); each must match its "
        "pattern. Replaces the whole set on update."))
    documents = serializers.ListField(child=ProfileDocumentBody(), required=False, max_length=20, help_text=(
        "One file per document type. Replaces the whole list on update."))
    valid_until = serializers.DateTimeField(required=False, allow_null=True, help_text=(
        "When the documents stop being valid (future); staff may set it at approval, else it defaults to a "
        "year after approval."))


    def validate_line_types(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_actions(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ProfileUpdateBody(ProfileBody):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # only keys sent change
            field.required = False


@extend_schema_field({"type": "string", "nullable": True})
class BlankAsNullField(serializers.Field):
    """A text column stored blank ("") when unset, shown as null."""

    def to_representation(self, value):
        return value or None


class ProfileDocumentSerializer(OutputSerializer):
    type = serializers.CharField(source="document_type")
    file_id = serializers.CharField()
    content_type = serializers.CharField(source="file.content_type")
    created_at = serializers.DateTimeField()


class ComplianceProfileSerializer(OutputSerializer):
    id = serializers.CharField(help_text="cp_ followed by 20 characters; pass it as compliance_profile_id.")
    name = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    line_types = serializers.ListField(child=serializers.ChoiceField(choices=LineType.choices))
    actions = serializers.ListField(child=serializers.ChoiceField(choices=ComplianceAction.choices))
    fields = serializers.DictField(child=serializers.CharField())
    documents = ProfileDocumentSerializer(many=True)
    status = serializers.SerializerMethodField(help_text=(
        "draft → submitted (pending review) → approved | rejected; approved past valid_until is expired."))
    rejection_reason = BlankAsNullField(help_text="Why staff rejected it; null otherwise.")
    valid_until = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "enum": list(ComplianceProfile.Status.values)})
    def get_status(self, profile: ComplianceProfile) -> str:
        return profile.effective_status()



class EmptyBody(StrictSerializer):
    """submit takes no body (an empty object is accepted)."""


class ProfilePagination(KeysetPagination):
    default_limit, max_limit = 25, 100


class ComplianceProfileViewSet(OrbitViewSet):
    queryset = customer_compliance_profiles()
    lookup_url_kwarg = "profile_id"
    not_found_message = "No such compliance profile."
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write",
                       "update": "numbers:write", "submit": "numbers:write"}
    serializer_class = ComplianceProfileSerializer
    filterset_class = ComplianceProfileFilterSet
    pagination_class = ProfilePagination

    def _fresh(self, profile: ComplianceProfile) -> ComplianceProfile:
        return self.get_queryset().get(pk=profile.pk)

    @extend_schema(
        operation_id="numbers_compliance_profiles_list", tags=["numbers"], summary="List your compliance profiles",
        description="Newest first.", parameters=RESPONSE_HEADERS,
        responses={200: envelope(ComplianceProfileSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_compliance_profiles_create", tags=["numbers"],
        summary="Create a compliance profile (a draft)",
        description=("Fields and documents are checked against the requirements of the coverage (country × "
                     "line_types × actions) as you send them; submit the profile once it is complete."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=ProfileBody,
        responses={201: envelope(ComplianceProfileSerializer), **errors(400, 401, 403, 409, 422, 429, notes={
            409: "The Idempotency-Key was used with a different body, or its first request still runs.",
            422: ("Invalid body; a field or document type the requirements do not ask for; a value that does not "
                  "match its pattern; a file that is not yours or not in an accepted format; valid_until in the "
                  "past.")})},
    )
    @idempotent
    def create(self, request):
        body = self.validated(ProfileBody)
        profile = services.compliance_profile_create(
            organization=self.organization, name=body["name"], country=body["country"],
            line_types=body["line_types"], actions=body["actions"], fields=body.get("fields") or {},
            documents=body.get("documents") or [], valid_until=body.get("valid_until"), **self.actor())
        return self.respond(self._fresh(profile), status=201)

    @extend_schema(
        operation_id="numbers_compliance_profiles_retrieve", tags=["numbers"], summary="Get a compliance profile",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(ComplianceProfileSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, profile_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="numbers_compliance_profiles_update", tags=["numbers"],
        summary="Change a draft or rejected compliance profile",
        description="Every key is optional; only the keys sent change (fields and documents are replaced whole).",
        parameters=RESPONSE_HEADERS, request=ProfileUpdateBody,
        responses={200: envelope(ComplianceProfileSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "The profile is submitted, approved or expired: only a draft or a rejected profile can be edited.",
            422: "As for create."})},
    )
    def update(self, request, profile_id: str):
        changes = dict(self.validated(ProfileUpdateBody))
        profile = services.compliance_profile_update(organization=self.organization, profile_id=profile_id,
                                                     changes=changes, **self.actor())
        return self.respond(self._fresh(profile))

    @extend_schema(
        operation_id="numbers_compliance_profiles_submit", tags=["numbers"],
        summary="Submit a compliance profile for review",
        description=("Every field and document the requirements of the coverage ask for must be present. Staff "
                     "then approve it (your numbers on regulatory hold that it covers become active, webhook "
                     "compliance.approved) or reject it with a reason (webhook compliance.rejected)."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=None,
        responses={200: envelope(ComplianceProfileSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: ("The profile is already submitted, approved or expired; or the Idempotency-Key was used with a "
                  "different body."),
            422: ("Incomplete: error.details names each missing item (fields.<name>, documents.<type>); or "
                  "valid_until has passed; or a body other than {} was sent.")})},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, profile_id: str):
        self.validated(EmptyBody, data=request.data or {})
        profile = services.compliance_profile_submit(organization=self.organization, profile_id=profile_id,
                                                     **self.actor())
        return self.respond(self._fresh(profile))


COMPLIANCE_REQUIRED_NOTE = (
    "COMPLIANCE_REQUIRED: a number in a country regulated for its line type (GET "
    "/numbers/regulatory-requirements) has no covering approved, unexpired compliance profile — neither the "
    "compliance_profile_id given nor, when none is given, exactly one of yours. Nothing was held or charged. "
    "error.details.missing lists per country and line type the documents and fields required and your profiles "
    "that do not cover it (pending, rejected, expired).")


def compliance_422(description: str):
    """The 422 of a purchase path: validation, or the compliance gate."""
    return error_response(422, f"{description} Or {COMPLIANCE_REQUIRED_NOTE}",
                          codes=["VALIDATION_ERROR", "COMPLIANCE_REQUIRED"])


router = OrbitRouter()
router.register("numbers/regulatory-requirements", RegulatoryRequirementViewSet,
                basename="numbers-regulatory-requirements")
router.register("numbers/compliance-profiles", ComplianceProfileViewSet, basename="numbers-compliance-profiles")
urlpatterns = router.urls
