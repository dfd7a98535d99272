"""Field types and value sets shared by the inventory endpoints (request bodies) and FilterSets."""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from orbit_numbers.api.serializers import choice_problem

from ..models import OwnedNumber
from ..services.staff import TAG_PATTERN

# Each enum says why a value from the other one is refused (numbers-overview: two distinct enums).
SEARCH_CAPABILITIES = ("sms", "mms", "voice", "fax")
PURCHASE_CAPABILITIES = ("sms", "voice", "whatsapp", "rcs")
OWNED_CAPABILITIES = ("sms", "mms", "voice", "fax", "whatsapp", "rcs")  # what an owned number can have enabled
PURCHASE_ONLY_REASON = ("{value} is not a search filter: over-the-top channels are requested at purchase time "
                        "(the capabilities array of POST /api/v1/numbers/purchase)")
SEARCH_ONLY_REASON = ("{value} is not a purchase-time toggle: mms and fax come with the line where the carrier "
                      "supports them (filter on them when searching, toggle them with PUT /api/v1/numbers/{{id}})")
SHORT_CODE_REASON = "short codes are not available for search or purchase through the API"
# A tag: what PUT /numbers/{id} stores and ?tag= filters on (the console's tagging uses the same rule).
TAG_RULE = f"lowercase slug matching {TAG_PATTERN.pattern}"
# Owned numbers a tenant sees (GET /numbers, its export): a released number is off the list at once.
LISTED_STATUSES = tuple(s for s in OwnedNumber.Status.values if s != OwnedNumber.Status.RELEASED)
RELEASED_REASON = "released numbers are not listed: a release takes the number off your list at once"


def check_choice(value: str, choices: tuple[str, ...], refusals: dict[str, str]) -> str:
    problem = choice_problem(value, choices, refusals)
    if problem:
        raise serializers.ValidationError(problem)
    return value


class EnumField(serializers.CharField):
    """A choice that explains, for known wrong values, why they are refused."""

    def __init__(self, *, choices: tuple[str, ...], refusals: dict[str, str] | None = None, **kwargs):
        self.choices, self.refusals = tuple(choices), refusals or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return check_choice(super().to_internal_value(data), self.choices, self.refusals)


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

