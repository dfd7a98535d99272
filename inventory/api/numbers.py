"""A tenant's own numbers: purchase one, list them, read, configure and release one."""
from __future__ import annotations

import json

from django.core.validators import URLValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import (IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, csv_parameter, envelope, errors,
                                      schema_field)
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import CountryField, E164Field, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..filters import OwnedNumberFilterSet
from ..models import OwnedNumber
from .compliance import compliance_422
from .fields import (OWNED_CAPABILITIES, PURCHASE_CAPABILITIES, SEARCH_CAPABILITIES, SEARCH_ONLY_REASON, TAG_PATTERN,
                     TAG_RULE, EnumField, EnumListField)
from .representations import OwnedNumberSerializer

CHANNEL_CONFIG_MAX_BYTES = 16_384


class PurchaseBody(StrictSerializer):
    phone_number = E164Field()
    country_code = CountryField(default="US")
    capabilities = EnumListField(choices=PURCHASE_CAPABILITIES, required=False, refusals={
        "mms": SEARCH_ONLY_REASON, "fax": SEARCH_ONLY_REASON})
    id = serializers.CharField(max_length=64, required=False)
    compliance_profile_id = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    campaign_id = serializers.CharField(required=False, allow_null=True, min_length=1, max_length=32,
                                        trim_whitespace=False, help_text=(
        "A US 10DLC campaign of your organisation the number sends under: ACTIVE, with a VERIFIED or "
        "VETTED_VERIFIED brand. US local numbers only."))


class HttpUrlField(serializers.CharField):
    """An http(s) URL, or "" / null to detach."""

    def __init__(self, **kwargs):
        super().__init__(max_length=500, allow_blank=True, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except Exception:
                raise serializers.ValidationError("must be an http:// or https:// URL") from None
        return value


class E164OrBlankField(E164Field):
    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        if data == "":
            return ""
        return super().to_internal_value(data)


class ConfigureBody(StrictSerializer):
    label = serializers.CharField(max_length=100, allow_blank=True)
    status = EnumField(choices=(OwnedNumber.Status.ACTIVE, OwnedNumber.Status.INACTIVE))
    capabilities = EnumListField(choices=SEARCH_CAPABILITIES, refusals={
        "whatsapp": "whatsapp is registered at purchase time and cannot be toggled here",
        "rcs": "rcs is registered at purchase time and cannot be toggled here"})
    forwarding_number = E164OrBlankField()
    sms_forwarding = E164OrBlankField()
    webhook_url = HttpUrlField()
    compliance_profile_id = serializers.CharField(max_length=32, allow_blank=True, allow_null=True)
    campaign_id = serializers.CharField(max_length=32, allow_blank=True, allow_null=True, help_text=(
        "The US 10DLC campaign the number sends A2P SMS under: one of yours, ACTIVE, with a VERIFIED or "
        "VETTED_VERIFIED brand; null or \"\" detaches it."))
    # JSONField items so that validate_tags names every bad tag; the schema shows the rule.
    tags = serializers.ListField(child=schema_field({"type": "string", "pattern": TAG_PATTERN.pattern})(),
                                 max_length=10)
    channel_config = serializers.DictField()
    auto_renew = serializers.BooleanField(help_text=(
        "Off: the number is not charged again and is released at the end of its paid cycle."))
    release_at = serializers.DateTimeField(allow_null=True, help_text=(
        "Schedule the number's release at this future time (ISO 8601); null cancels a scheduled release."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # all optional: only keys sent are updated
            field.required = False

    def validate_tags(self, value: list[str]) -> list[str]:
        bad = [tag for tag in value if not isinstance(tag, str) or not TAG_PATTERN.fullmatch(tag)]
        if bad:
            raise serializers.ValidationError(
                f"each tag must be a {TAG_RULE}; refused: {', '.join(map(repr, bad))}")
        return list(dict.fromkeys(value))

    def validate_channel_config(self, value: dict) -> dict:
        if len(json.dumps(value)) > CHANNEL_CONFIG_MAX_BYTES:
            raise serializers.ValidationError(f"must be at most {CHANNEL_CONFIG_MAX_BYTES} bytes of JSON")
        return value


class NumberPagination(KeysetPagination):
    default_limit, max_limit = 25, 200
    ordering = ("-created_at", "-pk")  # newest first (index owned_org_recent)


class NumberViewSet(OrbitViewSet):
    """The caller's live numbers: released ones are gone from every action at once."""

    queryset = OwnedNumber.objects.live().select_related("phone_number")
    lookup_url_kwarg = lookup_value_converter = "number_id"
    not_found_message = "No such number."
    required_scopes = {"purchase": "numbers:write", "list": "numbers:read", "retrieve": "numbers:read",
                       "update": "numbers:write", "destroy": "numbers:write"}
    serializer_class = OwnedNumberSerializer
    filterset_class = OwnedNumberFilterSet
    pagination_class = NumberPagination

    @extend_schema(
        operation_id="numbers_purchase", tags=["numbers"], summary="Purchase a number",
        description=("Buys one available number and charges its setup fee and first month to the wallet in the "
                     "transaction that assigns it (the carrier order runs before, holding no lock). `capabilities` takes sms, voice, whatsapp, rcs (mms/fax come with the "
                     "line and are refused here with 422)."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=PurchaseBody,
        responses={201: envelope(OwnedNumberSerializer, description="The number, now yours."),
                   422: compliance_422("Validation failed (error.details maps each field to its message); or "
                                       "the Idempotency-Key header is empty or longer than 255 characters; or "
                                       "a campaign_id that is not usable (not yours, not ACTIVE, brand not "
                                       "verified, or the number is not US local)."),
                   **errors(400, 401, 402, 403, 404, 409, 429, notes={
                       404: "The number is not in the inventory.",
                       409: ("The number is no longer available, or the carrier could not provision it; or the "
                             "Idempotency-Key was used with a different body, or its first request still runs.")})},
    )
    @action(detail=False, methods=["post"])
    @idempotent(render="purchased")
    def purchase(self, request):
        body = self.validated(PurchaseBody)
        number = services.number_purchase(
            organization=self.organization, phone_number=body["phone_number"], country_code=body["country_code"],
            inventory_id=body.get("id"), capabilities=body.get("capabilities"),
            compliance_profile_id=body.get("compliance_profile_id") or None, campaign_id=body.get("campaign_id"),
            **self.actor())
        return self.purchased(number)

    def purchased(self, number: OwnedNumber) -> Response:
        """The 201; also rendered inside the purchase's effect transaction for Idempotency-Key replays."""
        return self.respond(number, status=201)

    @extend_schema(
        operation_id="numbers_list", tags=["numbers"], summary="List your numbers",
        description="Newest first, cursor-paginated. Released numbers are not listed.",
        parameters=[csv_parameter("capabilities", OWNED_CAPABILITIES, (
            "Comma-separated; only numbers with every listed capability enabled.")), *RESPONSE_HEADERS],
        responses={200: envelope(OwnedNumberSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="numbers_retrieve", tags=["numbers"], summary="Get a number",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(OwnedNumberSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, number_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="numbers_update", tags=["numbers"], summary="Configure a number",
        description="Every field is optional; only the keys sent change. Unknown keys are 422.",
        parameters=RESPONSE_HEADERS, request=ConfigureBody,
        responses={200: envelope(OwnedNumberSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: ("The change is not allowed in the number's current state (e.g. its status while on regulatory "
                  "hold, porting out or suspended for an unpaid renewal, or detaching the compliance profile of "
                  "a number in a regulated country)."),
            422: ("Validation failed (details per field), e.g. release_at in the past or set on a number that "
                  "is porting out.")})},
    )
    def update(self, request, number_id: str):
        changes = dict(self.validated(ConfigureBody))
        number = services.number_update(organization=self.organization, number_id=number_id, changes=changes,
                                        **self.actor())
        return self.respond(number)

    @extend_schema(
        operation_id="numbers_release", tags=["numbers"], summary="Release a number",
        description=("Takes the number off your list at once; billing stops at the end of the paid cycle, and "
                     "the number rests for an aging period before it returns to inventory."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        responses={204: OpenApiResponse(description="Released; no body."), **errors(401, 403, 404, 409, 422, 429,
                   notes={409: "The number is porting out; or the Idempotency-Key was used with a different "
                               "request.",
                          422: "The Idempotency-Key header is empty or longer than 255 characters."})},
    )
    @idempotent
    def destroy(self, request, number_id: str):
        services.number_release(organization=self.organization, number_id=number_id, **self.actor())
        return Response(status=204)


router = OrbitRouter()
router.register("numbers", NumberViewSet, basename="numbers")
urlpatterns = router.urls
