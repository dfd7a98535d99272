"""Serializer bases: strict bodies (unknown keys are 422) and shared field types."""
from __future__ import annotations

import phonenumbers
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not declare, and bodies that are not JSON objects."""

    aliases: dict[str, str] = {}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        data = dict(data)
        for alias, canonical in self.aliases.items():
            if alias in data and canonical not in data:
                data[canonical] = data.pop(alias)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "unknown field" for name in unknown})
        return super().to_internal_value(data)


def parse_e164(value: str, *, field: str = "phone_number") -> phonenumbers.PhoneNumber:
    """Parse and validate an E.164 string against the real numbering plan."""
    if not isinstance(value, str) or not value.startswith("+"):
        raise serializers.ValidationError("must be an E.164 number such as +14155550100")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError("must be an E.164 number such as +14155550100") from None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164) != value:
        raise serializers.ValidationError("is not a valid E.164 phone number")
    return parsed


class E164Field(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        parse_e164(value)
        return value


class CountryField(serializers.CharField):
    """ISO 3166-1 alpha-2, upper-cased, known to the numbering plan library."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise serializers.ValidationError("must be an ISO 3166-1 alpha-2 country code")
        return value
