"""The OpenAPI helpers other views build their schema from (orbit_numbers/api/openapi.py), on a test view."""
from __future__ import annotations

import pytest
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework import serializers
from rest_framework.response import Response

from orbit_numbers.api.openapi import (CURSOR, IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, AnyOfSerializer, csv_parameter,
                                       envelope, error_response, errors, limit_parameter, schema_field)
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import StrictSerializer
from orbit_numbers.api.viewsets import OrbitViewSet

from .test_schema import generate, resolve
from .testing_urls import EchoBody


class HelperCatSerializer(serializers.Serializer):
    meow = serializers.BooleanField()


class HelperDogSerializer(serializers.Serializer):
    woof = serializers.IntegerField()


class HelperEchoSerializer(serializers.Serializer):
    phone_number = serializers.CharField()
    pet = schema_field(AnyOfSerializer("HelperPet", [HelperCatSerializer, HelperDogSerializer]))()


class HelperShortageSerializer(serializers.Serializer):
    missing = serializers.IntegerField()


class HelperNestedBody(StrictSerializer):
    aliases = {"catInfo": "cat_info"}
    cat_info = HelperCatSerializer()


class HelperViewSet(OrbitViewSet):
    required_scopes = {"list": "numbers:read", "create": "numbers:write", "replace": "numbers:write"}

    @extend_schema(
        operation_id="helper_list", summary="List", tags=["test"],
        parameters=[CURSOR, limit_parameter(default=10, maximum=50),
                    csv_parameter("channels", ("sms", "voice"), "Comma-separated."), *RESPONSE_HEADERS],
        responses={200: envelope({"type": "object", "properties": {"ok": {"type": "boolean"}}},
                                 name="HelperOkPageEnvelope", paginated=True),
                   **errors(401, 403, 429)},
    )
    def list(self, request):
        return ok(request, [])

    @extend_schema(
        operation_id="helper_create", summary="Create", tags=["test"],
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=EchoBody,
        responses={201: envelope(HelperEchoSerializer),
                   409: error_response(409, "Not enough stock.", codes=["INSUFFICIENT_INVENTORY"],
                                       data=HelperShortageSerializer()),
                   **errors(401, 422, notes={422: "The body is wrong."})},
    )
    def create(self, request):
        return ok(request, {}, status=201)

    @extend_schema(operation_id="helper_update", summary="Update", tags=["test"], request=HelperNestedBody,
                   responses={204: OpenApiResponse(description="Done."), **errors(422)})
    def replace(self, request):
        return Response(status=204)


@pytest.fixture(scope="module")
def helper_schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        schema, problems = generate([path("api/v1/_helper", HelperViewSet.as_view(
            {"get": "list", "post": "create", "put": "replace"}))])
    assert problems == ""
    validate_schema(schema)
    return schema


def test_envelope_wraps_data_and_meta_and_pages_add_pagination(helper_schema):
    operation = helper_schema["paths"]["/api/v1/_helper"]["get"]
    body = resolve(helper_schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert body == helper_schema["components"]["schemas"]["HelperOkPageEnvelope"]
    assert body["properties"]["data"] == {"type": "array", "items": {
        "type": "object", "properties": {"ok": {"type": "boolean"}}}}
    meta = resolve(helper_schema, body["properties"]["meta"])
    assert set(meta["required"]) == {"request_id", "timestamp", "pagination"}

    created = helper_schema["paths"]["/api/v1/_helper"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HelperEchoEnvelope"}
    single = resolve(helper_schema, helper_schema["components"]["schemas"]["HelperEchoEnvelope"])
    assert single["properties"]["data"] == {"$ref": "#/components/schemas/HelperEcho"}
    assert "pagination" not in resolve(helper_schema, single["properties"]["meta"])["properties"]


def test_common_parameters_and_headers(helper_schema):
    operation = helper_schema["paths"]["/api/v1/_helper"]["get"]
    query = {p["name"]: p for p in operation["parameters"]}
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
    assert query["channels"]["schema"]["items"]["enum"] == ["sms", "voice"] and query["channels"]["explode"] is False
    assert "cursor" in query
    assert {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
        operation["responses"]["200"]["headers"])
    assert set(operation["responses"]["401"]["headers"]) == {"X-Request-Id"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]

    post = helper_schema["paths"]["/api/v1/_helper"]["post"]
    assert [p["name"] for p in post["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" not in post["responses"]["401"]["headers"]  # 401s are never stored


def test_error_responses_name_their_codes_and_can_type_their_data(helper_schema):
    responses = helper_schema["paths"]["/api/v1/_helper"]["post"]["responses"]
    assert responses["401"]["description"] == "UNAUTHORIZED: Missing, invalid or revoked API key."
    assert responses["422"]["description"] == "VALIDATION_ERROR: The body is wrong."
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"}
    assert responses["409"]["description"] == "INSUFFICIENT_INVENTORY: Not enough stock."
    shortage = resolve(helper_schema, responses["409"]["content"]["application/json"]["schema"])
    assert shortage["properties"]["error"] == {"$ref": "#/components/schemas/Error"}
    assert shortage["properties"]["data"] == {"$ref": "#/components/schemas/HelperShortage"}


def test_strict_bodies_refuse_unknown_keys_and_document_their_aliases(helper_schema):
    body = helper_schema["components"]["schemas"]["EchoBody"]
    assert body["additionalProperties"] is False
    assert "description" not in body  # StrictSerializer's docstring is for developers
    assert body["properties"]["phoneNumber"]["description"] == "Alias of `phone_number`."
    assert body["properties"]["phoneNumber"]["pattern"] == body["properties"]["phone_number"]["pattern"]
    assert "required" not in body  # phone_number or phoneNumber: either satisfies it
    assert body["not"] == {"anyOf": [{"required": ["phone_number", "phoneNumber"]}]}  # but never both
    assert body["allOf"] == [{"anyOf": [{"required": ["phone_number"]}, {"required": ["phoneNumber"]}]}]  # one of them
    assert helper_schema["paths"]["/api/v1/_helper"]["post"]["requestBody"]["required"] is True  # so the body too
    assert "description" not in helper_schema["paths"]["/api/v1/_helper"]["get"]  # nor OrbitViewSet's

    nested = helper_schema["components"]["schemas"]["HelperNestedBody"]
    assert nested["properties"]["catInfo"] == {"allOf": [{"$ref": "#/components/schemas/HelperCat"}],
                                               "description": "Alias of `cat_info`."}
    assert nested["properties"]["cat_info"]["allOf"] == [{"$ref": "#/components/schemas/HelperCat"}]


def test_any_of_documents_alternative_shapes(helper_schema):
    pet = resolve(helper_schema, helper_schema["components"]["schemas"]["HelperEcho"]["properties"]["pet"])
    assert pet == {"anyOf": [{"$ref": "#/components/schemas/HelperCat"}, {"$ref": "#/components/schemas/HelperDog"}]}


def test_envelope_gives_one_component_per_name():
    assert envelope(HelperEchoSerializer).response is envelope(HelperEchoSerializer).response
    assert envelope(HelperEchoSerializer, many=True).response is not envelope(HelperEchoSerializer).response
    with pytest.raises(ValueError, match="named 'HelperEchoEnvelope'"):
        envelope(HelperShortageSerializer, name="HelperEchoEnvelope")
    with pytest.raises(ValueError, match="needs name="):
        envelope({"type": "object"})
    with pytest.raises(ValueError, match="not listed"):
        errors(401, notes={409: "why"})
