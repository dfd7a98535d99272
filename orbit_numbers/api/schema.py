"""OpenAPI extensions: the API key authentication (X-API-Key or Bearer) and the kernel's field types."""
import phonenumbers
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import get_override
from drf_spectacular.extensions import (OpenApiAuthenticationExtension, OpenApiSerializerExtension,
                                       OpenApiSerializerFieldExtension)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "orbit_numbers.api.auth.ApiKeyAuthentication"
    name = ["ApiKeyAuth", "BearerAuth"]

    def get_security_requirement(self, auto_schema):
        # Alternatives (either header is enough), not one requirement naming both (which means "and").
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>"},
        ]


class E164FieldSchema(OpenApiSerializerFieldExtension):
    target_class = "orbit_numbers.api.serializers.E164Field"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        number = r"\+[1-9][0-9]{5,14}"
        pattern = f"^({number})?$" if self.target.allow_blank else f"^{number}$"
        return {"type": "string", "pattern": pattern, "example": "+14155550100",
                "description": "E.164, validated against the numbering plan."}


class CountryFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "orbit_numbers.api.serializers.CountryField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return country_schema()


COUNTRY_CODES = sorted(phonenumbers.SUPPORTED_REGIONS)
"""ISO 3166-1 alpha-2 codes the numbering plan knows: what CountryField and CountryFilter accept
(one named enum in the schema: SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CountryEnum"])."""


def country_schema() -> dict:
    return {"type": "string", "enum": list(COUNTRY_CODES), "example": "US",
            "description": "ISO 3166-1 alpha-2 country code (lower case is accepted too)."}


def _described(schema: dict, text: str) -> dict:
    if "$ref" in schema:  # a $ref's siblings are ignored in OpenAPI 3.0: wrap it
        return {"allOf": [{"$ref": schema["$ref"]}], "description": text}
    return {**schema, "description": text}


class StrictSerializerSchema(OpenApiSerializerExtension):
    """A strict body refuses keys it does not declare (422), and accepts its aliases."""

    target_class = "orbit_numbers.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        properties = schema.setdefault("properties", {})
        spellings: dict[str, list[str]] = {}
        for alias, canonical in self.target.aliases.items():
            if canonical not in properties:
                continue
            properties[alias] = _described(properties[canonical], f"Alias of `{canonical}`.")
            spellings.setdefault(canonical, [canonical]).append(alias)
        required_either = []
        for canonical, names in spellings.items():
            if canonical in schema.get("required", []):
                # Either spelling satisfies it: "required" cannot say that, so each such field becomes
                # one anyOf of its spellings (all of them combined with allOf).
                schema["required"].remove(canonical)
                required_either.append({"anyOf": [{"required": [name]} for name in names]})
                text = f"{properties[canonical].get('description', '')} Required (or an alias of it).".strip()
                properties[canonical] = _described(properties[canonical], text)
        if not schema.get("required"):
            schema.pop("required", None)
        if required_either:
            schema["allOf"] = required_either
        pairs = [[first, second] for names in spellings.values()
                 for index, first in enumerate(names) for second in names[index + 1:]]
        if pairs:  # two spellings of one field together are refused (422): say so, so clients never send both
            schema["not"] = {"anyOf": [{"required": pair} for pair in pairs]}
        if self.target.min_fields:
            schema["minProperties"] = self.target.min_fields
        schema["additionalProperties"] = False
        return schema


class DollarsFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "orbit_numbers.api.serializers.DollarsField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "number", "format": "double", "example": 1.5}
        if self.target.allow_null:
            schema["nullable"] = True
        return schema


class OrbitFilterSetSchema(DjangoFilterExtension):
    """The kernel's filter types (EnumFilter …) declare their enum in a meaningful order (lifecycle,
    documents' order); drf-spectacular would sort it alphabetically. Keep the declared order."""

    target_class = "orbit_numbers.api.filters.OrbitFilterBackend"
    match_subclasses = True
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        override = get_override(filter_field, "field")
        declared = override.get("enum") if isinstance(override, dict) else None
        if declared:
            for parameter in parameters:
                schema = parameter["schema"].get("items", parameter["schema"])
                if "enum" in schema:
                    schema["enum"] = list(declared)
        return parameters


def _requires_something(schema: dict, components: dict) -> bool:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("required") or schema.get("minProperties") or schema.get("type") == "array":
        return True
    alternatives = schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", [])
    return any(_requires_something(part, components) for part in alternatives)


def postprocess_required_bodies(result, generator, request, public):
    """A request body that must hold something (required fields, one of several shapes, at least one
    key) is itself required: an absent body is 422 for those operations, and the schema says so."""
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            if any(_requires_something(media.get("schema", {}), components) for media in body["content"].values()):
                body["required"] = True
    return result


def postprocess_payload_too_large(result, generator, request, public):
    """Any operation that takes a body may answer 413 PAYLOAD_TOO_LARGE (DATA_UPLOAD_MAX_MEMORY_SIZE is
    checked by the request itself, whatever the view): document it wherever a view did not say more."""
    from .openapi import ERROR_RESPONSES

    too_large = ERROR_RESPONSES[413].description
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            if "413" in responses:
                continue
            response = {"description": too_large, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
            request_id = next((r["headers"]["X-Request-Id"] for r in responses.values()
                               if "X-Request-Id" in r.get("headers", {})), None)
            if request_id is not None:
                response["headers"] = {"X-Request-Id": request_id}
            responses["413"] = response
            operation["responses"] = dict(sorted(responses.items()))
    return result
