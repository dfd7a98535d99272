"""django-filter FilterSets for every list: strict (an unknown query parameter is 422) and in the
error envelope (a bad value is 422 VALIDATION_ERROR with ``details`` field → message).

A list viewset names ``filterset_class``; ``OrbitFilterBackend`` (the default backend of
``OrbitViewSet``) validates the query string and filters. Parameters the paginator reads
(``cursor``, ``limit``) are allowed beside the FilterSet's own.

The filter types here validate the way the documents need (choices that explain why a known
wrong value is refused, comma-separated lists, digit patterns, countries) and tell the schema
exactly what they accept.
"""
from __future__ import annotations

import copy
import re
from datetime import timezone as dt_timezone

import phonenumbers
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override

from ..errors import ValidationFailed
from .serializers import choice_problem


class _SharedFields(dict):
    """A form's ``base_fields`` that each form instance shares instead of deep-copying: these forms
    only validate a query string (never render), and their fields keep no per-request state."""

    def __deepcopy__(self, memo):
        return _SharedFields(self)


class OrbitFilterSet(django_filters.FilterSet):
    """Base of every FilterSet, prepared once per class.

    django-filter deep-copies every filter, builds a form class and instantiates its fields for each
    request (about 0.3 ms for nine filters, more than the rest of a list's validation); lists must
    stay as fast as hand-written parsing. So the filters, the form class and its fields are built
    once per class and shared: they must be stateless, and ``method=`` takes a function, not the name
    of a FilterSet method (that would be resolved through a per-request ``parent``).

    Empty values are refused rather than ignored (``OrbitFilterBackend``): ``?status=`` is a client
    bug, not "no filter".
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        cls = type(self)
        filters = cls.__dict__.get("_prepared_filters") or cls._prepare()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = cls._meta.model._default_manager.all() if queryset is None else queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = filters

    @classmethod
    def _prepare(cls) -> dict:
        filters = copy.deepcopy(cls.base_filters)
        for name, filter_ in filters.items():
            if isinstance(filter_.method, str):
                raise ImproperlyConfigured(f"{cls.__name__}.{name}: method= must be a function here")
            filter_.model = cls._meta.model
        fields = _SharedFields((name, filter_.field) for name, filter_ in filters.items())
        form_class = type(f"{cls.__name__}Form", (cls._meta.form,), dict(fields))
        form_class.base_fields = fields
        cls._form_class, cls._prepared_filters = form_class, filters
        return filters

    def get_form_class(self):
        return type(self).__dict__["_form_class"]


def _form_errors(errors) -> dict[str, str]:
    return {("body" if name == "__all__" else name): " ".join(str(m) for m in messages)
            for name, messages in errors.items()}


class OrbitFilterBackend(django_filters.DjangoFilterBackend):
    #: query parameters that may be empty (an empty cursor means "first page")
    blank_allowed = frozenset({"cursor"})

    def allowed_parameters(self, filterset, view) -> set[str]:
        allowed = set(filterset.filters) if filterset is not None else set()
        paginator = getattr(view, "paginator", None)
        allowed |= set(getattr(paginator, "query_parameters", ()))
        return allowed

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        params = request.query_params
        allowed = self.allowed_parameters(filterset, view)
        problems = {name: "unknown query parameter" for name in sorted(set(params) - allowed)}
        problems.update({name: "must not be empty" for name in params
                         if name in allowed and name not in self.blank_allowed and params.get(name) == ""})
        if problems:
            name, message = next(iter(problems.items()))
            raise ValidationFailed(f"{name}: {message}", details=problems)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            details = _form_errors(filterset.errors)
            name, message = next(iter(details.items()))
            raise ValidationFailed(f"{name}: {message}", details=details)
        return filterset.qs


def _document(filter_, schema: dict) -> None:
    """Tell drf-spectacular what the parameter accepts; the filter's help_text becomes its description."""
    help_text = filter_.extra.get("help_text")
    if help_text:
        schema = {**schema, "description": str(help_text)}
    set_override(filter_, "field", schema)


def check_choice(value: str, choices: tuple[str, ...], refusals: dict[str, str]) -> str:
    problem = choice_problem(value, choices, refusals)
    if problem:
        raise forms.ValidationError(problem)
    return value


class EnumFormField(forms.CharField):
    def __init__(self, *, allowed: tuple[str, ...] = (), refusals: dict[str, str] | None = None, **kwargs):
        self.choices, self.refusals = tuple(allowed), refusals or {}
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return check_choice(value, self.choices, self.refusals) if value else value


class CommaListFormField(EnumFormField):
    def clean(self, value):
        value = forms.CharField.clean(self, value)
        if not value:
            return value
        items = [item.strip().lower() for item in value.split(",")]
        if any(not item for item in items):
            raise forms.ValidationError(f"must be a comma-separated list of {', '.join(self.choices)}")
        for item in items:
            check_choice(item, self.choices, self.refusals)
        return list(dict.fromkeys(items))


class EnumFilter(django_filters.CharFilter):
    """One value of ``choices``. ``refusals`` maps known wrong values to the reason they are refused."""

    field_class = EnumFormField

    def __init__(self, *args, choices, refusals: dict[str, str] | None = None, **kwargs):
        choices = tuple(getattr(choices, "values", choices))
        super().__init__(*args, allowed=choices, refusals=refusals, **kwargs)
        _document(self, {"type": "string", "enum": list(choices)})


class CommaListFilter(django_filters.CharFilter):
    """``?capabilities=sms,voice`` → ["sms", "voice"] (distinct, each one of ``choices``).

    Without ``method=`` the rows must match every listed value (``lookup_expr`` applied per value)."""

    field_class = CommaListFormField

    def __init__(self, *args, choices, refusals: dict[str, str] | None = None, **kwargs):
        choices = tuple(getattr(choices, "values", choices))
        super().__init__(*args, allowed=choices, refusals=refusals, **kwargs)
        choice = "|".join(re.escape(c) for c in choices)
        _document(self, {
            "type": "string", "pattern": f"^({choice})(,({choice}))*$", "example": choices[0] if choices else "",
            "description": f"Comma-separated subset of {', '.join(choices)}."})

    def filter(self, qs, value):
        for item in value or ():
            qs = super().filter(qs, item)
        return qs


class DigitsFilter(django_filters.CharFilter):
    """Only the digits 0-9, ``min_digits``-``max_digits`` of them."""

    def __init__(self, *args, min_digits: int = 1, max_digits: int = 15, **kwargs):
        pattern = rf"^[0-9]{{{min_digits},{max_digits}}}$"
        kwargs.setdefault("validators", []).append(_regex_validator(
            pattern, f"must be {min_digits}-{max_digits} digits (0-9) only"))
        super().__init__(*args, **kwargs)
        _document(self, {"type": "string", "pattern": pattern, "example": "415"[:max_digits]})


def _regex_validator(pattern: str, message: str):
    compiled = re.compile(pattern)

    def validate(value: str) -> None:
        if value and not compiled.fullmatch(value):
            raise forms.ValidationError(message)
    return validate


class CountryFormField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = value.upper()
        if len(value) != 2 or value not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError("must be an ISO 3166-1 alpha-2 country code")
        return value


class CountryFilter(django_filters.CharFilter):
    """ISO 3166-1 alpha-2, any case, known to the numbering plan library."""

    field_class = CountryFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .schema import country_schema

        _document(self, country_schema())


class LimitFilter(django_filters.NumberFilter):
    """A result-size parameter that does not filter (the view slices), validated 1..maximum."""

    field_class = forms.IntegerField

    def __init__(self, *args, default: int, maximum: int, **kwargs):
        self.default, self.maximum = default, maximum
        super().__init__(*args, min_value=1, max_value=maximum, **kwargs)
        _document(self, {"type": "integer", "minimum": 1, "maximum": maximum, "default": default,
                                     "description": f"How many results, 1-{maximum} (default {default})."})

    def filter(self, qs, value):
        return qs


class UtcDateTimeFormField(forms.DateTimeField):
    """ISO 8601 with an offset (or Z), returned in UTC: the database never sees an offset it cannot
    store (PostgreSQL allows ±15:59), and a naive value is read as UTC."""

    def to_python(self, value):
        from django.utils.dateparse import parse_datetime

        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(value.strip())
        except (ValueError, TypeError):
            parsed = None
        if parsed is None:
            raise forms.ValidationError("must be an ISO 8601 date-time, e.g. 2026-03-01T00:00:00Z")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt_timezone.utc)
        try:
            return parsed.astimezone(dt_timezone.utc)
        except OverflowError:
            raise forms.ValidationError("is out of range") from None


class UtcDateTimeFilter(django_filters.Filter):
    field_class = UtcDateTimeFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _document(self, {"type": "string", "format": "date-time", "example": "2026-03-01T00:00:00Z"})
