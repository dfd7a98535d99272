"""FilterSets of the inventory: the available-number search, a tenant's own numbers (the list and its
export) and the staff exports (the console and ``manage.py export_numbers``).

Each filter is defined once here and validated by the FilterSet's form: on the API a bad value is a
422 with ``details`` (OrbitFilterBackend), in the console an invalid filter shows the changelist's
error, on the command line it is a CommandError.

Every filter behaves the same on PostgreSQL and on SQLite (the demo database). JSON list
containment (``capabilities``, ``tags``) is ``JSONArrayContains``: jsonb ``@>`` on PostgreSQL
(GIN-indexable, the SQL Django writes for ``__contains``), ``json_each`` on SQLite, where Django's
``__contains`` on a JSONField is not supported.
"""
from __future__ import annotations


from django import forms
from django.db.models import F, Q
from django.db.models.fields.json import DataContains
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override

from orbit_numbers.api.filters import (CommaListFilter, CountryFilter, DigitsFilter, EnumFilter, LimitFilter,
                                       OrbitFilterSet)
from orbit_numbers.models import Organization
from orbit_numbers.validators import FullMatchValidator

from .api.fields import (LISTED_STATUSES, OWNED_CAPABILITIES, PURCHASE_ONLY_REASON, RELEASED_REASON,
                         SEARCH_CAPABILITIES, SHORT_CODE_REASON, TAG_PATTERN, TAG_RULE)
from .digit_search import cheapest_first
from .exporting import FORMATS
from .models import (CAPABILITY_FIELDS, BulkReservation, InventoryStatus, LineType, OwnedNumber, PhoneNumber,
                     Provider)

# --- portable JSON list containment -------------------------------------------------------------


class JSONArrayContains(DataContains):
    """``JSONArrayContains(F("tags"), ["vip", "eu"])``: the JSON array holds every one of the values.

    PostgreSQL: ``tags @> '["vip", "eu"]'`` exactly as ``tags__contains=[…]`` (jsonb, GIN-indexable);
    MySQL: JSON_CONTAINS; SQLite: one ``json_each`` probe per value (Django refuses ``__contains``
    on a JSONField there). Used as an expression: ``queryset.filter(JSONArrayContains(...))``.
    """

    # The values are bound as one JSON document (get_db_prep_lookup), as for ``__contains``; without
    # this a list next to an unresolved F() would be wrapped in Value() and sent as a SQL array.
    prepare_rhs = False

    def __init__(self, lhs, values):
        self.values = list(values)
        super().__init__(lhs, self.values)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.values:
            return "1 = 1", ()
        probe = f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)"
        sql = " AND ".join([probe] * len(self.values))
        params = []
        for value in self.values:
            params.extend([*lhs_params, value])
        return sql, tuple(params)


def json_array_contains(queryset, field: str, values):
    return queryset.filter(JSONArrayContains(F(field), values))


# --- filter types the inventory needs beyond the kernel's --------------------------------------


class TagFilter(django_filters.CharFilter):
    """One tag (a slug): numbers whose tags include it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", []).append(FullMatchValidator(TAG_PATTERN, f"must be a {TAG_RULE}"))
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": TAG_PATTERN.pattern, "example": "support",
                                     "description": str(self.extra.get("help_text", ""))})

    def filter(self, qs, value):
        return json_array_contains(qs, self.field_name, [value]) if value else qs


class JSONCommaListFilter(CommaListFilter):
    """``?capabilities=sms,voice`` on a JSON array column: rows whose array holds every listed value."""

    def filter(self, qs, value):
        return json_array_contains(qs, self.field_name, value) if value else qs


class OrganizationFormField(forms.CharField):
    """An organisation by id or exact name (staff faces only)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        organization = Organization.objects.filter(Q(pk=value) | Q(name=value)).first()
        if organization is None:
            raise forms.ValidationError(f"no organisation with id or name {value!r}")
        return organization


class OrganizationFilter(django_filters.Filter):
    field_class = OrganizationFormField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("field_name", "organization")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs.filter(**{self.field_name: value}) if value is not None else qs


# --- the available-number search ---------------------------------------------------------------


def capability_columns(queryset, name, value):
    """Capability flags of the stock are boolean columns (indexable and portable), one per capability."""
    return queryset.filter(**{CAPABILITY_FIELDS[capability]: True for capability in value})


def keep_all(queryset, name, value):
    """For parameters that choose something other than rows (e.g. an export's file format)."""
    return queryset


class AvailableNumberFilterSet(OrbitFilterSet):
    """GET /numbers/available over the sellable stock: cheapest first (then oldest), at most ``limit``.

    Patterns (contains, starts_with, ends_with) apply to the national digits, not the country code.
    """

    country = CountryFilter(required=True, help_text="ISO 3166-1 alpha-2 country code, e.g. US.")
    type = EnumFilter(field_name="line_type", choices=LineType, refusals={"short_code": SHORT_CODE_REASON},
                      help_text="local, mobile or toll_free (short codes are not sold through the API).")
    capabilities = CommaListFilter(choices=SEARCH_CAPABILITIES, method=capability_columns, refusals={
        "whatsapp": PURCHASE_ONLY_REASON, "rcs": PURCHASE_ONLY_REASON},
        help_text="Every listed capability must be supported, e.g. sms,voice.")
    area_code = DigitsFilter(max_digits=8, help_text="Digits only, e.g. 415.")
    contains = DigitsFilter(field_name="national_number", lookup_expr="contains",
                            help_text="Digits anywhere in the national number.")
    starts_with = DigitsFilter(field_name="national_number", lookup_expr="startswith",
                               help_text="Leading digits of the national number (without the country code).")
    ends_with = DigitsFilter(field_name="national_number", lookup_expr="endswith",
                             help_text="Trailing digits of the national number.")
    provider = EnumFilter(choices=Provider, help_text="Only numbers of this carrier.")
    limit = LimitFilter(default=100, maximum=500)

    class Meta:
        model = PhoneNumber
        fields: list[str] = []

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        limit = data.get("limit") or self.filters["limit"].default
        order = cheapest_first(data.get("contains"), data.get("starts_with"), data.get("ends_with"))
        return super().filter_queryset(queryset).order_by(*order)[:limit]


# --- a tenant's own numbers, and every export of owned numbers -----------------------------------


class OwnedNumberFilterSet(OrbitFilterSet):
    """GET /numbers (and its export): a tenant's live numbers matching every filter given."""

    country = CountryFilter(field_name="phone_number__country", help_text="ISO 3166-1 alpha-2 country code.")
    capabilities = JSONCommaListFilter(choices=OWNED_CAPABILITIES, help_text=(
        "Only numbers with every listed capability enabled, e.g. sms,voice."))
    status = EnumFilter(choices=LISTED_STATUSES, refusals={"released": RELEASED_REASON},
                        help_text="Released numbers are never listed.")
    type = EnumFilter(field_name="phone_number__line_type", choices=LineType, help_text="Line type.")
    tag = TagFilter(field_name="tags", help_text="Only numbers carrying this tag.")
    provider = EnumFilter(field_name="phone_number__provider", choices=Provider, help_text="Only this carrier's.")

    class Meta:
        model = OwnedNumber
        fields: list[str] = []


class OwnedNumberExportFilterSet(OwnedNumberFilterSet):
    """GET /numbers/export: the list's filters, plus the file format (csv by default)."""

    format = EnumFilter(choices=FORMATS, method=keep_all, help_text="csv (default) or json.")

    class Meta(OwnedNumberFilterSet.Meta):
        pass

    @property
    def file_format(self) -> str:
        """The validated ``format`` (csv when absent or when the FilterSet is invalid)."""
        return (self.form.cleaned_data.get("format") if self.is_valid() else None) or FORMATS[0]


class StaffOwnedNumberFilterSet(OwnedNumberFilterSet):
    """Customers' numbers for staff (console export, ``export_numbers --scope owned``): the tenant
    filters, across organisations, with released numbers too."""

    status = EnumFilter(choices=OwnedNumber.Status, help_text="Any status, released included.")
    organization = OrganizationFilter(help_text="Organisation id or exact name.")

    class Meta(OwnedNumberFilterSet.Meta):
        pass


# --- the stock, for staff -------------------------------------------------------------------------


class InventoryFilterSet(OrbitFilterSet):
    """Inventory rows in any state (console export, ``export_numbers --scope inventory``)."""

    country = CountryFilter(help_text="ISO 3166-1 alpha-2 country code.")
    status = EnumFilter(choices=InventoryStatus, help_text="available, reserved, assigned or retired.")
    type = EnumFilter(field_name="line_type", choices=LineType, help_text="Line type.")
    provider = EnumFilter(choices=Provider, help_text="Carrier.")

    class Meta:
        model = PhoneNumber
        fields: list[str] = []


class ReservationFilterSet(OrbitFilterSet):
    """GET /numbers/bulk-reserve."""

    status = EnumFilter(choices=BulkReservation.Status, help_text=(
        "Only reservations in this state (holds past their time are listed as expired)."))

    class Meta:
        model = BulkReservation
        fields = ["status"]
