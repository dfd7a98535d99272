"""The kernel's FilterSet plumbing (orbit_numbers/api/filters.py): strict query strings, failures in
the envelope's shape (422 with details), and filter types that validate what the documents require."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from orbit_numbers.api.filters import (CommaListFilter, CountryFilter, DigitsFilter, EnumFilter, LimitFilter,
                                       OrbitFilterBackend, OrbitFilterSet)
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.services import audit_record


class AuditFilterSet(OrbitFilterSet):
    action = EnumFilter(choices=("a.create", "a.delete", "b.update"), refusals={"a.purge": "{value} is never logged"})
    kinds = CommaListFilter(field_name="object_type", choices=("number", "wallet"))
    object_id = DigitsFilter(max_digits=4, lookup_expr="startswith")
    country = CountryFilter(field_name="object_type")
    limit = LimitFilter(default=10, maximum=50)

    class Meta:
        model = AuditLog
        fields = ["action", "kinds", "object_id", "country", "limit"]


def run(query: str, *, paginated: bool = False):
    request = Request(RequestFactory().get(f"/x?{query}"))
    view = SimpleNamespace(filterset_class=AuditFilterSet, paginator=KeysetPagination() if paginated else None)
    return OrbitFilterBackend().filter_queryset(request, AuditLog.objects.order_by("pk"), view)


def failure(query: str, **kwargs) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        run(query, **kwargs)
    return caught.value.details


@pytest.fixture
def logs(db):
    for action, kind, object_id in [("a.create", "number", "1234"), ("a.delete", "wallet", "1299"),
                                    ("b.update", "number", "9999")]:
        audit_record(action=action, object_type=kind, object_id=object_id)


def test_each_filter_filters(logs):
    assert [row.action for row in run("action=a.delete")] == ["a.delete"]
    assert run("object_id=12").count() == 2
    assert run("kinds=number").count() == 2
    assert run("kinds=number,wallet").count() == 0  # every listed value must match
    assert run("limit=3").count() == 3  # a size, not a filter


def test_unknown_and_empty_parameters_are_refused_together(db):
    assert failure("bogus=1&action=") == {"bogus": "unknown query parameter", "action": "must not be empty"}


def test_pagination_parameters_are_allowed_only_with_a_paginator(db):
    assert run("cursor=&limit=5", paginated=True).count() == 0
    assert failure("cursor=abc") == {"cursor": "unknown query parameter"}


@pytest.mark.parametrize("query, field, message", [
    ("action=zzz", "action", "'zzz' is not one of a.create, a.delete, b.update"),
    ("action=a.purge", "action", "a.purge is never logged"),
    ("kinds=number,,wallet", "kinds", "must be a comma-separated list of number, wallet"),
    ("kinds=fax", "kinds", "'fax' is not one of number, wallet"),
    ("object_id=12a", "object_id", "must be 1-4 digits (0-9) only"),
    ("object_id=12345", "object_id", "must be 1-4 digits (0-9) only"),
    ("country=ZZ", "country", "must be an ISO 3166-1 alpha-2 country code"),
    ("country=USA", "country", "must be an ISO 3166-1 alpha-2 country code"),
    ("limit=0", "limit", None),
    ("limit=51", "limit", None),
    ("limit=x", "limit", None),
])
def test_bad_values_are_422_with_details(db, query, field, message):
    details = failure(query)
    assert list(details) == [field]
    if message:
        assert details[field] == message


def test_country_is_case_insensitive(db):
    filterset = AuditFilterSet(data={"country": "gb"}, queryset=AuditLog.objects.all())
    assert filterset.is_valid() and filterset.form.cleaned_data["country"] == "GB"


@pytest.mark.parametrize("raw, expected", [
    ("2026-03-01T12:00:00+18:55", "2026-02-28T17:05:00+00:00"),
    ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00+00:00"),
    ("2026-03-01T12:00:00", "2026-03-01T12:00:00+00:00"),
])
def test_datetimes_reach_the_database_in_utc(raw, expected):
    from orbit_numbers.api.filters import UtcDateTimeFormField

    assert UtcDateTimeFormField().clean(raw).isoformat() == expected


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+10:00"])
def test_bad_datetimes_are_refused(raw):
    from django import forms

    from orbit_numbers.api.filters import UtcDateTimeFormField

    with pytest.raises(forms.ValidationError):
        UtcDateTimeFormField().clean(raw)


def test_filters_and_form_are_prepared_once_per_class(db):
    first = AuditFilterSet(data={"action": "a.create"}, queryset=AuditLog.objects.all())
    second = AuditFilterSet(data={"action": "a.delete"}, queryset=AuditLog.objects.all())
    assert first.filters is second.filters
    assert first.form.fields["action"] is second.form.fields["action"]
    assert first.form.is_valid() and second.form.is_valid()
    assert (first.form.cleaned_data["action"], second.form.cleaned_data["action"]) == ("a.create", "a.delete")


def test_a_method_named_by_string_is_refused_because_filters_are_shared(db):
    from django.core.exceptions import ImproperlyConfigured
    from django_filters import rest_framework as django_filters

    class ByName(OrbitFilterSet):
        action = django_filters.CharFilter(method="filter_action")

        class Meta:
            model = AuditLog
            fields = ["action"]

    with pytest.raises(ImproperlyConfigured):
        ByName(data={}, queryset=AuditLog.objects.all())
