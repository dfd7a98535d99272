"""A tenant's own numbers: purchase one, list them, read, configure and release one."""
from __future__ import annotations

import json
import re

from django.core.validators import URLValidator
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import (IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, csv_parameter, envelope, errors,
                                      schema_field)
from orbit_numbers.api.pagination import keyset_page
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import CountryField, E164Field, StrictSerializer
from orbit_numbers.api.views import OrbitAPIView

from .. import selectors, services
from ..models import LineType, OwnedNumber
from .fields import (OWNED_CAPABILITIES, PURCHASE_CAPABILITIES, SEARCH_CAPABILITIES, SEARCH_ONLY_REASON, CommaListField,
                     EnumField, EnumListField)
from .representations import OwnedNumberSerializer, number_representation

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TAG_RULE = "lowercase slug matching ^[a-z0-9][a-z0-9_-]{0,63}$"
LISTED_STATUSES = tuple(s for s in OwnedNumber.Status.values if s != OwnedNumber.Status.RELEASED)
CHANNEL_CONFIG_MAX_BYTES = 16_384


class PurchaseBody(StrictSerializer):
    phone_number = E164Field()
    country_code = CountryField(default="US")
    capabilities = EnumListField(choices=PURCHASE_CAPABILITIES, required=False, refusals={
        "mms": SEARCH_ONLY_REASON, "fax": SEARCH_ONLY_REASON})
    id = serializers.CharField(max_length=64, required=False)
    compliance_profile_id = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True)


class ListQuery(StrictSerializer):
    cursor = serializers.CharField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=200, default=25)
    country = CountryField(required=False)
    capabilities = CommaListField(choices=OWNED_CAPABILITIES, required=False)
    status = EnumField(choices=LISTED_STATUSES, required=False, refusals={
        "released": "released numbers are not listed: a release takes the number off your list at once"})
    type = EnumField(choices=tuple(LineType.values), required=False)
    tag = serializers.RegexField(TAG_PATTERN, required=False, error_messages={"invalid": f"must be a {TAG_RULE}"})


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
    # JSONField items so that validate_tags names every bad tag; the schema shows the rule.
    tags = serializers.ListField(child=schema_field({"type": "string", "pattern": TAG_PATTERN.pattern})(),
                                 max_length=10)
    channel_config = serializers.DictField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # all optional: only keys sent are updated
            field.required = False

    def validate_tags(self, value: list[str]) -> list[str]:
        bad = [tag for tag in value if not isinstance(tag, str) or not TAG_PATTERN.match(tag)]
        if bad:
            raise serializers.ValidationError(
                f"each tag must be a {TAG_RULE}; refused: {', '.join(map(repr, bad))}")
        return list(dict.fromkeys(value))

    def validate_channel_config(self, value: dict) -> dict:
        if len(json.dumps(value)) > CHANNEL_CONFIG_MAX_BYTES:
            raise serializers.ValidationError(f"must be at most {CHANNEL_CONFIG_MAX_BYTES} bytes of JSON")
        return value


class PurchaseView(OrbitAPIView):
    required_scopes = {"POST": "numbers:write"}

    @extend_schema(
        operation_id="numbers_purchase", tags=["numbers"], summary="Purchase a number",
        description=("Buys one available number and charges its setup fee and first month to the wallet in the "
                     "same transaction. `capabilities` takes sms, voice, whatsapp, rcs (mms/fax come with the "
                     "line and are refused here with 422)."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=PurchaseBody,
        responses={201: envelope(OwnedNumberSerializer, description="The number, now yours."),
                   **errors(400, 401, 402, 403, 404, 409, 422, 429, notes={
                       404: "The number is not in the inventory.",
                       409: ("The number is no longer available, another request is buying it, or the carrier "
                             "could not provision it; or the Idempotency-Key was used with a different body.")})},
    )
    @idempotent
    def post(self, request):
        body = self.validated(PurchaseBody)
        number = services.number_purchase(
            organization=self.organization, phone_number=body["phone_number"], country_code=body["country_code"],
            inventory_id=body.get("id"), capabilities=body.get("capabilities"),
            compliance_profile_id=body.get("compliance_profile_id") or None, **self.actor())
        return ok(request, number_representation(number), status=201)


class NumberListView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read"}

    @extend_schema(
        operation_id="numbers_list", tags=["numbers"], summary="List your numbers",
        description="Newest first, cursor-paginated. Released numbers are not listed.",
        parameters=[ListQuery, csv_parameter("capabilities", OWNED_CAPABILITIES, (
            "Comma-separated; only numbers with every listed capability enabled.")), *RESPONSE_HEADERS],
        responses={200: envelope(OwnedNumberSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        query = self.query_params(ListQuery)
        qs = selectors.owned_numbers_list(
            organization=self.organization, country=query.get("country"), capabilities=query.get("capabilities"),
            status=query.get("status"), line_type=query.get("type"), tag=query.get("tag"))
        page = keyset_page(qs, cursor=query.get("cursor"), limit=query["limit"], scope="numbers")
        return ok(request, [number_representation(n) for n in page.items], pagination=page.pagination)


class NumberDetailView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read", "PUT": "numbers:write", "DELETE": "numbers:write"}

    @extend_schema(
        operation_id="numbers_retrieve", tags=["numbers"], summary="Get a number",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(OwnedNumberSerializer), **errors(401, 403, 404, 429)},
    )
    def get(self, request, number_id: str):
        number = selectors.owned_number_get(organization=self.organization, number_id=number_id)
        return ok(request, number_representation(number))

    @extend_schema(
        operation_id="numbers_update", tags=["numbers"], summary="Configure a number",
        description="Every field is optional; only the keys sent change. Unknown keys are 422.",
        parameters=RESPONSE_HEADERS, request=ConfigureBody,
        responses={200: envelope(OwnedNumberSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: ("The change is not allowed in the number's current state (e.g. its status while on regulatory "
                  "hold or porting out, or detaching the compliance profile of a number in a regulated "
                  "country).")})},
    )
    def put(self, request, number_id: str):
        changes = dict(self.validated(ConfigureBody))
        number = services.number_update(organization=self.organization, number_id=number_id, changes=changes,
                                        **self.actor())
        return ok(request, number_representation(number))

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
    def delete(self, request, number_id: str):
        services.number_release(organization=self.organization, number_id=number_id, **self.actor())
        return Response(status=204)


urlpatterns = [
    path("numbers/purchase", PurchaseView.as_view(), name="numbers-purchase"),
    path("numbers", NumberListView.as_view(), name="numbers-list"),
    path("numbers/<number_id:number_id>", NumberDetailView.as_view(), name="numbers-detail"),
]
