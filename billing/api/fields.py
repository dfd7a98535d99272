"""Body fields of the billing API."""
from __future__ import annotations

from rest_framework import serializers


class CentsField(serializers.IntegerField):
    """A JSON integer of cents, as sent: "10", 10.0 and true are refused rather than coerced (money)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("must be a JSON integer (cents)")
        return super().to_internal_value(data)
