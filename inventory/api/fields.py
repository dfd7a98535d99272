"""Field types shared by the inventory endpoints."""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# Each enum says why a value from the other one is refused (numbers-overview: two distinct enums).
SEARCH_CAPABILITIES = ("sms", "mms", "voice", "fax")
PURCHASE_CAPABILITIES = ("sms", "voice", "whatsapp", "rcs")
OWNED_CAPABILITIES = ("sms", "mms", "voice", "fax", "whatsapp", "rcs")  # what an owned number can have enabled
PURCHASE_ONLY_REASON = ("{value} is not a search filter: over-the-top channels are requested at purchase time "
                        "(the capabilities array of POST /api/v1/numbers/purchase)")
SEARCH_ONLY_REASON = ("{value} is not a purchase-time toggle: mms and fax come with the line where the carrier "
                      "supports them (filter on them when searching, toggle them with PUT /api/v1/numbers/{{id}})")
SHORT_CODE_REASON = "short codes are not available for search or purchase through the API"


def check_choice(value: str, choices: tuple[str, ...], refusals: dict[str, str]) -> str:
    if value in refusals:
        raise serializers.ValidationError(refusals[value].format(value=value))
    if value not in choices:
        raise serializers.ValidationError(f"{value!r} is not one of {', '.join(choices)}")
    return value


class EnumField(serializers.CharField):
    """A choice that explains, for known wrong values, why they are refused."""

    def __init__(self, *, choices: tuple[str, ...], refusals: dict[str, str] | None = None, **kwargs):
        self.choices, self.refusals = tuple(choices), refusals or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return check_choice(super().to_internal_value(data), self.choices, self.refusals)


class CommaListField(serializers.CharField):
    """A query parameter like ``sms,voice`` → ["sms", "voice"] (distinct, each a known value)."""

    def __init__(self, *, choices: tuple[str, ...], refusals: dict[str, str] | None = None, **kwargs):
        self.choices, self.refusals = tuple(choices), refusals or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        raw = super().to_internal_value(data)
        items = [item.strip().lower() for item in raw.split(",")]
        if any(not item for item in items):
            raise serializers.ValidationError(f"must be a comma-separated list of {', '.join(self.choices)}")
        for item in items:
            check_choice(item, self.choices, self.refusals)
        return list(dict.fromkeys(items))


class EnumListField(serializers.ListField):
    """A JSON array of enum values (distinct)."""

    def __init__(self, *, choices: tuple[str, ...], refusals: dict[str, str] | None = None, **kwargs):
        self.choices, self.refusals = tuple(choices), refusals or {}
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) or not isinstance(data, list):
            raise serializers.ValidationError(f"must be an array of {', '.join(self.choices)}")
        values = super().to_internal_value(data)
        for value in values:
            check_choice(value, self.choices, self.refusals)
        return list(dict.fromkeys(values))


class DigitsField(serializers.RegexField):
    def __init__(self, *, max_digits: int = 15, min_digits: int = 1, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": f"must be {min_digits}-{max_digits} digits (0-9) only"})
        super().__init__(rf"^[0-9]{{{min_digits},{max_digits}}}$", **kwargs)


# OpenAPI: these fields validate by hand, so tell drf-spectacular what they accept.
class EnumFieldSchema(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": list(self.target.choices)}


class EnumListFieldSchema(OpenApiSerializerFieldExtension):
    target_class = EnumListField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": {"type": "string", "enum": list(self.target.choices)}}


class CommaListFieldSchema(OpenApiSerializerFieldExtension):
    target_class = CommaListField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        choice = "|".join(self.target.choices)
        return {"type": "string", "pattern": f"^({choice})(,({choice}))*$",
                "description": f"Comma-separated subset of {', '.join(self.target.choices)}."}
