"""Caller ID: a number's CNAM listing (PUT/GET/DELETE /numbers/{number_id}/cnam), every listing
(GET /numbers/cnam-listings), a number's spam labels (GET /numbers/{number_id}/spam-labels) and
spam-label disputes (POST/GET /numbers/spam-disputes, GET /numbers/spam-disputes/{dispute_id})."""
from __future__ import annotations

from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orbit_numbers.api.filters import EnumFilter, OrbitFilterSet
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.errors import NotFound
from orbit_numbers.validators import FullMatchValidator

from ..models import AnalyticsProvider, CnamListing, OwnedNumber, SpamDispute
from ..selectors.caller_id import cnam_listings, spam_disputes
from ..services import caller_id as services
from .representations import BlankAsNullField

NUMBER_ID_PATTERN = r"^num_[0-9a-z]{20}$"

# --- request bodies -------------------------------------------------------------------------------------


class TextField(serializers.CharField):
    """A JSON string only: a number or boolean is refused, not turned into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


class CnamBody(StrictSerializer):
    display_name = TextField(
        trim_whitespace=False, max_length=services.CNAM_NAME_MAX,
        validators=[FullMatchValidator(services.CNAM_NAME_PATTERN, services.CNAM_NAME_RULE)],
        help_text=f"The caller name, which {services.CNAM_NAME_RULE}, e.g. ACME PLUMBING.")


class SpamDisputeBody(StrictSerializer):
    number_id = TextField(max_length=24, help_text="One of your numbers (num_…).", validators=[
        FullMatchValidator(NUMBER_ID_PATTERN, "must be a number id such as num_… (20 characters after num_)")])
    analytics_provider = serializers.ChoiceField(choices=AnalyticsProvider.choices, help_text=(
        "The provider whose label is disputed; it must flag the number now (GET …/spam-labels)."))
    label = TextField(max_length=60, help_text="The label as that provider shows it, e.g. Spam Risk.")
    reason = TextField(min_length=10, max_length=2000, help_text="Why the label is wrong (10-2000 "
                                                                             "characters).")
    contact_email = serializers.EmailField(max_length=254, help_text="Who the analytics provider may contact.")
    traffic_description = TextField(min_length=10, max_length=2000, help_text=(
        "What calls the number places: purpose, volumes, consent (10-2000 characters)."))


# --- responses ------------------------------------------------------------------------------------------


class CnamListingSerializer(OutputSerializer):
    id = serializers.CharField(help_text="cnam_ followed by 20 characters.")
    number_id = TextField()
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    display_name = serializers.CharField()
    status = serializers.ChoiceField(choices=CnamListing.Status.choices, help_text=(
        "pending at the carrier, then listed or rejected (with the carrier's reason); failed when the carrier "
        "could not take it (operations retry it)."))
    reject_code = BlankAsNullField(help_text="The carrier's code when rejected.")
    reject_reason = BlankAsNullField(help_text="The carrier's reason when rejected.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    listed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SpamLabelSerializer(OutputSerializer):
    analytics_provider = serializers.ChoiceField(choices=AnalyticsProvider.choices)
    label = TextField(help_text="As the provider shows it on handsets, e.g. Spam Risk.")
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="Higher is more likely spam.")
    flagged_at = serializers.DateTimeField()


class SpamLabelsSerializer(OutputSerializer):
    number_id = TextField(source="number.id")
    phone_number = serializers.CharField(source="number.e164", help_text="E.164.")
    check_status = serializers.ChoiceField(
        choices=["checked", "check-failed", "check-not-supported", "check-not-applicable"], help_text=(
            "checked: read from the providers now; check-failed: they did not answer, the labels last read are "
            "shown; check-not-supported: the number's carrier has no analytics feed; check-not-applicable: "
            "outside the US and Canada."))
    checked_at = serializers.DateTimeField(allow_null=True, help_text="When the labels shown were read.")
    labels = SpamLabelSerializer(many=True, help_text="Empty when no provider flags the number.")


class SpamDisputeSerializer(OutputSerializer):
    id = serializers.CharField(help_text="spd_ followed by 20 characters.")
    number_id = TextField()
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    analytics_provider = serializers.ChoiceField(choices=AnalyticsProvider.choices)
    label = TextField()
    reason = TextField()
    contact_email = serializers.CharField()
    traffic_description = TextField()
    status = serializers.ChoiceField(choices=SpamDispute.Status.choices, help_text=(
        "open → submitted (to the analytics provider) → resolved; or rejected. Each change is sent as the "
        "spam_dispute.updated webhook."))
    resolution = BlankAsNullField(help_text="label_removed or label_upheld once resolved, else null.")
    resolution_note = BlankAsNullField(help_text="What operations tell you about the outcome.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


# --- filters --------------------------------------------------------------------------------------------


class CnamListingFilterSet(OrbitFilterSet):
    """GET /numbers/cnam-listings."""

    status = EnumFilter(choices=CnamListing.Status, help_text="Only listings in this state.")

    class Meta:
        model = CnamListing
        fields: list[str] = []


class NumberIdFilter(django_filters.CharFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", []).append(FullMatchValidator(NUMBER_ID_PATTERN,
                                                                      "must be a number id such as num_…"))
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": NUMBER_ID_PATTERN,
                                     "description": str(self.extra.get("help_text", ""))})


class SpamDisputeFilterSet(OrbitFilterSet):
    """GET /numbers/spam-disputes."""

    status = EnumFilter(choices=SpamDispute.Status, help_text="Only disputes in this state.")
    number_id = NumberIdFilter(field_name="number_id", help_text="Only disputes of this number (num_…).")

    class Meta:
        model = SpamDispute
        fields: list[str] = []


class NewestFirst(KeysetPagination):
    default_limit, max_limit = 25, 200


# --- the endpoints --------------------------------------------------------------------------------------

_CNAM_422 = ("display_name is not 1-15 letters, digits and inner spaces; or the number is not a US/Canadian "
             "voice number.")


class NumberCallerIdViewSet(OrbitViewSet):
    """/numbers/{number_id}/cnam and /numbers/{number_id}/spam-labels: caller ID of one live number."""

    queryset = OwnedNumber.objects.live()
    lookup_url_kwarg = lookup_value_converter = "number_id"
    not_found_message = "No such number."
    required_scopes = {"cnam": "numbers:read", "set_cnam": "numbers:write", "delete_cnam": "numbers:write",
                       "spam_labels": "numbers:read"}
    serializer_class = CnamListingSerializer

    @extend_schema(
        operation_id="numbers_cnam_retrieve", tags=["numbers"], summary="Get a number's CNAM listing",
        description="The caller name listed (or being listed) for the number, and where it stands at the carrier.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(CnamListingSerializer), **errors(401, 403, 404, 429, notes={
            404: "No such number, or it has no CNAM listing."})},
    )
    @action(detail=True, methods=["get"])
    def cnam(self, request, number_id: str):
        listing = cnam_listings(organization=self.organization).filter(number_id=number_id).first()
        if listing is None:
            self.get_object()  # 404 "No such number." when the number itself is unknown
            raise NotFound("This number has no CNAM listing.")
        return self.respond(listing)

    @extend_schema(
        operation_id="numbers_cnam_set", tags=["numbers"], summary="List a caller name (CNAM) for a number",
        description=("US and Canadian voice numbers only. The name goes to the carrier as pending; it becomes "
                     "listed or rejected (webhooks cnam.listed / cnam.rejected). Sending the name already "
                     "pending or listed changes nothing; a new name replaces the old one."),
        parameters=RESPONSE_HEADERS, request=CnamBody,
        responses={200: envelope(CnamListingSerializer), **errors(400, 401, 403, 404, 422, 429, notes={
            422: _CNAM_422})},
    )
    @cnam.mapping.put
    def set_cnam(self, request, number_id: str):
        body = self.validated(CnamBody)
        listing = services.cnam_listing_set(organization=self.organization, number_id=number_id,
                                            display_name=body["display_name"], **self.actor())
        return self.respond(listing)

    @extend_schema(
        operation_id="numbers_cnam_delete", tags=["numbers"], summary="Remove a number's CNAM listing",
        description="Removed at the carrier first; outbound calls then show no branded name.",
        parameters=RESPONSE_HEADERS,
        responses={204: OpenApiResponse(description="Removed at the carrier and here; no body."),
                   **errors(401, 403, 404, 409, 429, notes={
                       404: "No such number, or it has no CNAM listing.",
                       409: "The carrier did not answer (try again), or the listing changed meanwhile."})},
    )
    @cnam.mapping.delete
    def delete_cnam(self, request, number_id: str):
        services.cnam_listing_delete(organization=self.organization, number_id=number_id, **self.actor())
        return Response(status=204)

    @extend_schema(
        operation_id="numbers_spam_labels", tags=["numbers"], summary="A number's spam labels",
        description=("Read from the call-analytics providers (Hiya, TNS, First Orion) now; file a dispute for a "
                     "wrong one with POST /numbers/spam-disputes."),
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(SpamLabelsSerializer), **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"], url_path="spam-labels", url_name="spam-labels")
    def spam_labels(self, request, number_id: str):
        reading = services.spam_labels_read(organization=self.organization, number_id=number_id)
        return self.respond(reading, serializer_class=SpamLabelsSerializer)


class CnamListingViewSet(OrbitViewSet):
    queryset = CnamListing.objects.exclude(number__status=OwnedNumber.Status.RELEASED)
    required_scopes = {"list": "numbers:read"}
    serializer_class = CnamListingSerializer
    filterset_class = CnamListingFilterSet
    pagination_class = NewestFirst

    @extend_schema(
        operation_id="numbers_cnam_list", tags=["numbers"], summary="List your CNAM listings (newest first)",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(CnamListingSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())


class SpamDisputeViewSet(OrbitViewSet):
    queryset = spam_disputes()
    lookup_url_kwarg = "dispute_id"
    not_found_message = "No such spam dispute."
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write"}
    serializer_class = SpamDisputeSerializer
    filterset_class = SpamDisputeFilterSet
    pagination_class = NewestFirst

    @extend_schema(
        operation_id="numbers_spam_disputes_list", tags=["numbers"], summary="List spam-label disputes",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(SpamDisputeSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_spam_disputes_create", tags=["numbers"], summary="Dispute a spam label",
        description=("The number must be flagged by that analytics provider now, with that label. Operations take "
                     "it to the provider; every status change is sent as the spam_dispute.updated webhook."),
        parameters=RESPONSE_HEADERS, request=SpamDisputeBody,
        responses={201: envelope(SpamDisputeSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            404: "No such number.",
            409: "An open dispute for this number and provider exists (details.dispute_id).",
            422: "Invalid body; or that provider does not flag the number, or not with that label."})},
    )
    def create(self, request):
        body = self.validated(SpamDisputeBody)
        dispute = services.spam_dispute_file(organization=self.organization, **body, **self.actor())
        return self.respond(dispute, status=201)

    @extend_schema(
        operation_id="numbers_spam_disputes_retrieve", tags=["numbers"], summary="Get a spam-label dispute",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(SpamDisputeSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, dispute_id: str):
        return self.respond(self.get_object())


router = OrbitRouter()
router.register("numbers/cnam-listings", CnamListingViewSet, basename="cnam-listings")
router.register("numbers/spam-disputes", SpamDisputeViewSet, basename="spam-disputes")
router.register("numbers", NumberCallerIdViewSet, basename="numbers-caller-id")
urlpatterns = router.urls
