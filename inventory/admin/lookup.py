"""Number lookups and CNAM dips in the console: the read-only log of what tenants looked up and paid."""
from __future__ import annotations

from django.contrib import admin

from orbit_numbers.admin_base import ReadOnlyModelAdmin, cents, choices_filter, recent_filter

from ..models import NumberLookup, Provider


@admin.register(NumberLookup)
class NumberLookupAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "kind", "e164", "organization", "field_list", "cached_list", "charged",
                    "provider", "api_key")
    # A log that grows with every lookup: the carriers come from their enum, not a DISTINCT over it.
    list_filter = (recent_filter(), "kind", choices_filter("provider", "provider", Provider.choices))
    search_fields = ("=id", "organization__name")
    digit_search_fields = ("e164",)
    list_select_related = ("organization", "api_key")
    ordering = ("-created_at", "-id")
    fields = ("id", "kind", "e164", "organization", "api_key", "provider", "fields", "cached_fields",
              "charged_fields", "charged", "created_at")
    readonly_fields = fields

    @admin.display(description="fields")
    def field_list(self, obj: NumberLookup) -> str:
        return ", ".join(obj.fields)

    @admin.display(description="from cache")
    def cached_list(self, obj: NumberLookup) -> str:
        return ", ".join(obj.cached_fields) or "—"

    @admin.display(description="charged", ordering="charged_cents")
    def charged(self, obj: NumberLookup) -> str:
        return cents(obj.charged_cents)
