"""The project's base ModelAdmin and the pieces every changelist shares.

- Big tables: no COUNT(*) per page load. ``EstimatedCountPaginator`` reads PostgreSQL's row
  estimate for an unfiltered list and counts at most ``count_cap`` rows of a filtered one. No
  SELECT DISTINCT per page load either: list filters take their values from choices, a small
  table, or a loose index scan (``index_distinct_values``), cached; no facet counts.
- Audit: a ModelAdmin save or delete writes an audit row with before/after (secrets excluded) in
  the admin's own transaction. Anything richer than a field edit goes through a service.
- Phone-number search by any digits, whatever the operator pastes ("+1 (415) 555-01").
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any, Callable

from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from .errors import OrbitError
from .models import Organization
from .money import format_dollars
from .services import audit_record

_SECRET_FIELD = re.compile(r"(secret|password|token|hash|(^|_)pin($|_))", re.IGNORECASE)
_PHONE_QUERY = re.compile(r"^[\d\s+().\-/]+$")


class EstimatedCountPaginator(Paginator):
    """Counts that stay cheap at millions of rows.

    Unfiltered list on PostgreSQL: the planner's estimate once the table is big enough that an
    exact count would cost; below that an exact count, itself stopped at ``estimate_above`` (so a
    table whose statistics are stale or missing is never counted in full either). Filtered list:
    ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``, so a broad filter stops counting at the cap (the
    last reachable page is cap / per_page: narrow the filter to go further).
    """

    estimate_above = 100_000
    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        query = queryset.query
        if not query.where and not query.distinct and not query.combinator:
            estimate = self._estimated_rows(queryset)
            if estimate is not None and estimate >= self.estimate_above:
                return estimate
            counted = queryset.order_by()[: self.estimate_above + 1].count()
            return counted if counted <= self.estimate_above else max(counted, estimate or 0)
        capped = queryset.order_by()[: self.count_cap + 1].count()
        return min(capped, self.count_cap)

    @staticmethod
    def _estimated_rows(queryset: QuerySet) -> int | None:
        """The planner's own arithmetic: rows per page at the last ANALYZE × the table's pages now,
        so rows bulk-loaded since then are counted too."""
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN relpages > 0 THEN reltuples / relpages"
                " * (pg_relation_size(oid) / current_setting('block_size')::int) ELSE reltuples END::bigint"
                " FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)])
            row = cursor.fetchone()
        # -1 means "never analysed": no estimate to trust.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def index_distinct_values(model: type[models.Model], fields: tuple[str, ...]) -> list[tuple]:
    """The distinct combinations of ``fields``, in order, by a loose index scan on PostgreSQL: one
    index probe per combination instead of reading every row (PostgreSQL before 18 has no skip scan).

    ``fields`` must be the leading columns of one of the model's btree indexes, and NOT NULL (a NULL
    ends the walk). Elsewhere (the SQLite demo) a plain SELECT DISTINCT."""
    manager = model._default_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql":
        return list(manager.order_by(*fields).values_list(*fields).distinct())
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(name).column) for name in fields]
    listed, previous = ", ".join(columns), ", ".join(f"walk.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE walk AS ((SELECT {listed} FROM {table} ORDER BY {listed} LIMIT 1) UNION ALL "
            f"SELECT following.* FROM walk CROSS JOIN LATERAL (SELECT {listed} FROM {table} "
            f"WHERE ({listed}) > ({previous}) ORDER BY {listed} LIMIT 1) AS following) SELECT {listed} FROM walk")
        return [tuple(row) for row in cursor.fetchall()]


def phone_digits(term: str) -> str | None:
    """The digits of a search term that looks like (part of) a phone number, else None."""
    term = (term or "").strip()
    if not term or not _PHONE_QUERY.fullmatch(term):
        return None
    digits = re.sub(r"\D", "", term)
    return digits or None


def json_safe(value: Any) -> Any:
    class _Encoder(DjangoJSONEncoder):
        def default(self, o):
            if isinstance(o, models.Model):
                return o.pk
            if hasattr(o, "name") and hasattr(o, "url"):  # a FieldFile
                return o.name
            return super().default(o)

    return json.loads(json.dumps(value, cls=_Encoder))


def audit_snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """The editable fields of ``obj`` as JSON, without secrets."""
    data = model_to_dict(obj)
    data = {name: value for name, value in data.items()
            if name not in exclude and not _SECRET_FIELD.search(name)}
    return json_safe(data)


def audit_organization(obj: models.Model) -> Organization | None:
    if isinstance(obj, Organization):
        return obj
    field_names = {field.name for field in obj._meta.concrete_fields}
    if "organization" in field_names:
        return getattr(obj, "organization", None)
    return None


class OrbitModelAdmin(admin.ModelAdmin):
    """Base for every ModelAdmin in the project."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts are one COUNT per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    # Typed URLs without a scheme are https (Django 6's default, adopted now).
    formfield_overrides = {models.URLField: {"widget": AdminURLFieldWidget, "assume_scheme": "https"}}
    list_per_page = 50
    list_max_show_all = 500
    # Extra field names never written to the audit log (secret-looking names are always dropped).
    audit_exclude: tuple[str, ...] = ()
    # Fields searched with the digits of a phone-number-like query (contains; trigram-indexed).
    digit_search_fields: tuple[str, ...] = ()

    def audit_action(self, verb: str) -> str:
        return f"admin.{self.model._meta.label_lower}.{verb}"[:64]

    def save_model(self, request, obj, form, change):
        related_names = tuple(field.name for field in obj._meta.many_to_many)
        before, related_before = None, {}
        if change:
            original = self.model._default_manager.filter(pk=obj.pk).first()
            if original is not None:
                before = audit_snapshot(original, self.audit_exclude + related_names)
                related_before = self._audit_related(original)
        super().save_model(request, obj, form, change)
        after = audit_snapshot(obj, self.audit_exclude + related_names)
        if before is not None:
            changed = sorted(name for name in after if before.get(name) != after.get(name))
            before = {name: before.get(name) for name in changed}
            after = {name: after[name] for name in changed}
        entry = audit_record(action=self.audit_action("change" if change else "create"),
                             organization=audit_organization(obj), acting_user=request.user, target=obj,
                             before=before, after=after)
        # Many-to-many values (groups, permissions …) are written later, by save_related: it
        # completes this same row, so one save stays one audit entry.
        obj._orbit_audit_pending = (entry, related_before)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        pending = form.instance.__dict__.pop("_orbit_audit_pending", None)
        if pending is None:
            return
        entry, related_before = pending
        related_after = self._audit_related(form.instance)
        changed = sorted(name for name in related_after if related_before.get(name, []) != related_after[name])
        if not changed:
            return
        if entry.before is not None:
            entry.before = {**entry.before, **{name: related_before.get(name, []) for name in changed}}
        entry.after = {**(entry.after or {}), **{name: related_after[name] for name in changed}}
        entry.save(update_fields=["before", "after"])

    def audit_related_values(self, obj: models.Model, field_name: str) -> list:
        """How the audit log names the objects of a many-to-many field (their keys unless overridden)."""
        return json_safe(list(getattr(obj, field_name).values_list("pk", flat=True)))

    def _audit_related(self, obj: models.Model) -> dict[str, list]:
        return {field.name: sorted(self.audit_related_values(obj, field.name), key=str)
                for field in obj._meta.many_to_many
                if field.name not in self.audit_exclude and not _SECRET_FIELD.search(field.name)}

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj) -> None:
        audit_record(action=self.audit_action("delete"), organization=audit_organization(obj),
                     acting_user=request.user, target=obj, before=audit_snapshot(obj, self.audit_exclude))

    def get_search_results(self, request, queryset, search_term):
        digits = phone_digits(search_term) if self.digit_search_fields else None
        if digits is None:
            return super().get_search_results(request, queryset, search_term)
        # "020 7946 0018" is typed with the national trunk prefix that E.164 drops.
        variants = {digits, digits.lstrip("0")} - {""}
        condition = Q()
        for field_name in self.digit_search_fields:
            for variant in variants:
                condition |= Q(**{f"{field_name}__contains": variant})
        return queryset.filter(condition), False


class ReadOnlyModelAdmin(OrbitModelAdmin):
    """Logs and ledgers: visible to whoever may view them, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline:
    """Mixin for inlines that only display rows."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def distinct_values_filter(field_path: str, title: str, *, ttl_seconds: int = 600,
                           values: Callable[[], list] | None = None) -> type[admin.SimpleListFilter]:
    """A list filter over the distinct values of a column, with the list cached: Django's own
    AllValuesFieldListFilter runs SELECT DISTINCT over the whole table on every page load.

    ``values()`` finds them without reading the table (a loose index scan, a small table); without
    it the list is one cached SELECT DISTINCT, for small tables only."""

    class DistinctValuesFilter(admin.SimpleListFilter):
        parameter_name = field_path

        def lookups(self, request, model_admin):
            key = f"admin-distinct:{model_admin.model._meta.label_lower}:{field_path}"
            found = cache.get(key)
            if found is None:
                found = values() if values is not None else list(
                    model_admin.model._default_manager.order_by(field_path)
                    .values_list(field_path, flat=True).distinct())
                found = [value for value in found if value not in (None, "")]
                cache.set(key, found, ttl_seconds)
            return [(value, value) for value in found]

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field_path: value}) if value else queryset

    DistinctValuesFilter.title = title
    DistinctValuesFilter.__name__ = f"DistinctValuesFilter_{field_path}"
    return DistinctValuesFilter


def choices_filter(field_path: str, title: str, choices) -> type[admin.SimpleListFilter]:
    """A list filter over a related model's choices (e.g. phone_number__provider), no query."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field_path

        def lookups(self, request, model_admin):
            return list(choices)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field_path: value}) if value else queryset

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"ChoicesFilter_{field_path}"
    return ChoicesFilter


RECENT_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def recent_filter(field_path: str = "created_at", title: str = "when") -> type[admin.SimpleListFilter]:
    """Last 24 hours / 7 days / 30 days, relative to now (Django's date filter only knows calendar days)."""

    class RecentFilter(admin.SimpleListFilter):
        parameter_name = "window"

        def lookups(self, request, model_admin):
            return [("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]

        def queryset(self, request, queryset):
            window = RECENT_WINDOWS.get(self.value() or "")
            if window is None:
                return queryset
            return queryset.filter(**{f"{field_path}__gte": timezone.now() - window})

    RecentFilter.title = title
    return RecentFilter


def cents(value: int | None) -> str:
    return "—" if value is None else format_dollars(value)


ACTION_PREVIEW_ROWS = 50


class ActionFormMixin:
    """Admin actions that ask for input (or a confirmation) on an intermediate page, listing the rows
    they will change, then call a service per row (templates/admin/action_form.html)."""

    def action_preview_row(self, obj) -> str:
        return str(obj)

    def action_preview_queryset(self, queryset):
        return queryset

    def action_page(self, request, queryset, *, action: str, title: str, form, button: str, note: str = ""):
        rows = list(self.action_preview_queryset(queryset)[:ACTION_PREVIEW_ROWS + 1])
        info = self.model._meta.app_label, self.model._meta.model_name
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": title, "form": form,
            "action": action, "button": button, "note": note,
            "rows": [self.action_preview_row(obj) for obj in rows[:ACTION_PREVIEW_ROWS]],
            "more": max(queryset.count() - ACTION_PREVIEW_ROWS, 0),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "changelist_url": reverse("admin:%s_%s_changelist" % info),
        }
        return TemplateResponse(request, "admin/action_form.html", context)

    def each_row(self, request, queryset, call, done: str) -> None:
        """``call(pk)`` for every selected row; one message for the rows done, one naming each refusal."""
        succeeded, failed = 0, []
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                call(pk)
                succeeded += 1
            except OrbitError as exc:
                failed.append(f"{pk}: {exc.message}")
        self.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
        if failed:
            self.message_user(request, "Not changed — " + "; ".join(failed), messages.ERROR)
