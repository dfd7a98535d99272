"""OpenAPI extensions: the API key authentication (X-API-Key or Bearer) and the kernel's field types."""
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
        return {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "US",
                "description": "ISO 3166-1 alpha-2 country code (case-insensitive)."}


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
        for alias, canonical in self.target.aliases.items():
            if canonical not in properties:
                continue
            properties[alias] = _described(properties[canonical], f"Alias of `{canonical}`.")
            if canonical in schema.get("required", []):
                # Either spelling satisfies it, which plain OpenAPI "required" cannot say.
                schema["required"].remove(canonical)
                text = f"{properties[canonical].get('description', '')} Required (or an alias of it).".strip()
                properties[canonical] = _described(properties[canonical], text)
        if not schema.get("required"):
            schema.pop("required", None)
        pairs = [[alias, canonical] for alias, canonical in self.target.aliases.items() if canonical in properties]
        if pairs:  # a name and its alias together are refused (422): say so, so clients never send both
            schema["not"] = {"anyOf": [{"required": pair} for pair in pairs]}
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
