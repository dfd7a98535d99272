"""Trial numbers: borrow one (POST /numbers/trial), list your loans (GET /numbers/trial), and convert
a loan into a paid number (POST /numbers/{number_id}/convert)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.filters import CountryFilter, EnumFilter, OrbitFilterSet
from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import CountryField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import LineType, OwnedNumber, TrialLoan
from .fields import EnumField
from .representations import OwnedNumberSerializer


class TrialBorrowBody(StrictSerializer):
    country = CountryField(required=False, help_text="Only a number of this country (ISO 3166-1 alpha-2).")
    number_type = EnumField(choices=tuple(LineType.values), required=False, help_text="local, mobile or toll_free.")


class TrialLoanSerializer(OutputSerializer):
    id = serializers.CharField(help_text="trl_ followed by 20 characters.")
    number_id = serializers.CharField(help_text="The lent number (num_…), listed with your numbers while on loan.")
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    status = serializers.ChoiceField(choices=TrialLoan.Status.choices, help_text=(
        "active; reclaimed (taken back at expiry); returned (released by you); converted (now a paid number)."))
    lent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="When an active loan is taken back unless converted.")
    ended_at = serializers.DateTimeField(allow_null=True)


class TrialLoanFilterSet(OrbitFilterSet):
    """GET /numbers/trial."""

    status = EnumFilter(choices=TrialLoan.Status, help_text="active, reclaimed, returned or converted.")
    country = CountryFilter(field_name="number__phone_number__country", help_text="ISO 3166-1 alpha-2.")

    class Meta:
        model = TrialLoan
        fields: list[str] = []


class TrialLoanPagination(KeysetPagination):
    default_limit, max_limit = 25, 100
    ordering = ("-lent_at", "-pk")


class TrialLoanViewSet(OrbitViewSet):
    queryset = TrialLoan.objects.all()
    required_scopes = {"list": "numbers:read", "create": "numbers:write"}
    serializer_class = TrialLoanSerializer
    filterset_class = TrialLoanFilterSet
    pagination_class = TrialLoanPagination

    @extend_schema(
        operation_id="numbers_trial_list", tags=["trial"], summary="List your trial loans",
        description="Newest first, cursor-paginated: open loans with their expiry, and ended ones.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(TrialLoanSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_trial_borrow", tags=["trial"], summary="Borrow a trial number, free",
        description=(
            "For organisations with a trial allowance: lends one number from the trial pool, free (no charge, "
            "monthly price 0), until `expires_at`; it is then taken back (trial.number_reclaimed), after a "
            "warning a day before (trial.number_expiring). Convert it with POST /numbers/{number_id}/convert "
            "to keep it."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=TrialBorrowBody,
        responses={201: envelope(TrialLoanSerializer), **errors(400, 401, 403, 409, 422, 429, notes={
            403: "Missing scope, or your organisation has no active trial allowance.",
            409: ("You have as many open loans as your allowance permits (CONFLICT), no trial number is free "
                  "(INSUFFICIENT_INVENTORY), or the Idempotency-Key was used with a different body or its first "
                  "request still runs.")})},
    )
    @idempotent
    def create(self, request):
        body = self.validated(TrialBorrowBody)
        loan = services.trial_number_borrow(organization=self.organization, country=body.get("country"),
                                            line_type=body.get("number_type"), **self.actor())
        return self.respond(loan, status=201)


class TrialConvertViewSet(OrbitViewSet):
    queryset = OwnedNumber.objects.live()
    lookup_url_kwarg = lookup_value_converter = "number_id"
    required_scopes = {"convert": "numbers:write"}
    serializer_class = OwnedNumberSerializer

    @extend_schema(
        operation_id="numbers_trial_convert", tags=["trial"], summary="Convert a trial number into a paid number",
        description=(
            "Keeps the same number (same id, configuration and routing) and charges its setup fee and first month "
            "at the inventory price now; it renews monthly from today like any bought number."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=None,
        responses={200: envelope(OwnedNumberSerializer), **errors(401, 402, 403, 404, 409, 422, 429, notes={
            402: "The wallet does not cover setup + first month; nothing changed.",
            409: ("The number is not on a trial loan (or was converted already); or the Idempotency-Key was used "
                  "with a different request, or its first request still runs."),
            422: "The Idempotency-Key header is empty or longer than 255 characters."})},
    )
    @action(detail=True, methods=["post"], url_path="convert")
    @idempotent
    def convert(self, request, number_id: str):
        number = services.trial_number_convert(organization=self.organization, number_id=number_id, **self.actor())
        return self.respond(OwnedNumber.objects.select_related("phone_number").get(pk=number.pk))


router = OrbitRouter()
router.register("numbers/trial", TrialLoanViewSet, basename="numbers-trial")
router.register("numbers", TrialConvertViewSet, basename="numbers-trial-convert")
urlpatterns = router.urls
