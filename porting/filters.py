"""FilterSets of the port-in and port-out lists (strict: unknown or empty parameters and bad values are 422)."""
from __future__ import annotations

from django import forms
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from rest_framework import serializers

from orbit_numbers.api.filters import CountryFilter, EnumFilter, OrbitFilterSet
from orbit_numbers.api.serializers import parse_e164

from .models import PortOutRequest, PortOutStatus, PortRequest, PortStatus


class PhoneNumberFormField(forms.CharField):
    """One E.164 number. In a query string a bare ``+`` decodes to a space, so `` 1415…`` and ``1415…``
    are read as ``+1415…``."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = "+" + value.strip().lstrip("+")
        try:
            parse_e164(value)
        except serializers.ValidationError:
            raise forms.ValidationError("must be an E.164 number such as +14155550100") from None
        return value


class PhoneNumberFilter(django_filters.CharFilter):
    """Requests that include this number (through their per-number lines, so it works on every database)."""

    field_class = PhoneNumberFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="lines__e164", **kwargs)
        set_override(self, "field", {"type": "string", "pattern": r"^\+?[1-9][0-9]{5,14}$", "example": "+14155550100",
                                     "description": str(self.extra.get("help_text", ""))})


class CreatedRangeFilterSet(OrbitFilterSet):
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte",
        help_text="Only requests created at or after this time (ISO 8601, e.g. 2026-03-01T00:00:00Z).")
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt",
        help_text="Only requests created before this time (ISO 8601, e.g. 2026-04-01T00:00:00Z).")


class PortRequestFilterSet(CreatedRangeFilterSet):
    status = EnumFilter(choices=PortStatus, help_text="Only requests in this status.")
    country = CountryFilter(help_text="Only requests for numbers of this country (ISO 3166-1 alpha-2).")
    phone_number = PhoneNumberFilter(help_text="Only requests that include this E.164 number.")

    class Meta:
        model = PortRequest
        fields = ["status", "country", "phone_number", "created_after", "created_before"]


class PortOutFilterSet(CreatedRangeFilterSet):
    status = EnumFilter(choices=PortOutStatus, help_text="Only port-outs in this status.")
    phone_number = PhoneNumberFilter(help_text="Only port-outs that include this E.164 number.")

    class Meta:
        model = PortOutRequest
        fields = ["status", "phone_number", "created_after", "created_before"]
