"""Carrier inventory sync and auto-replenish in the console: the synced pools and replenish
policies staff set, and the read-only logs of sync runs and replenish orders."""
from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from orbit_numbers.admin_base import OrbitModelAdmin, ReadOnlyModelAdmin, cents, recent_filter

from ..models import InventorySyncPool, InventorySyncRun, ReplenishOrder, ReplenishPolicy


@admin.register(InventorySyncPool)
class InventorySyncPoolAdmin(OrbitModelAdmin):
    """Pools mirrored from a carrier by the sync-carrier-inventory job (manage.py sync_carrier_inventory)."""

    list_display = ("provider", "country", "line_type", "is_active", "last_run", "note")
    list_filter = ("provider", "line_type", "is_active")
    search_fields = ("country", "note")
    ordering = ("provider", "country", "line_type")

    @admin.display(description="last run")
    def last_run(self, obj: InventorySyncPool) -> str:
        run = (InventorySyncRun.objects.filter(provider=obj.provider, country=obj.country, line_type=obj.line_type)
               .order_by("-started_at", "-id").first())
        if run is None:
            return "—"
        url = reverse("admin:inventory_inventorysyncrun_change", args=[run.pk])
        return format_html('<a href="{}">{:%Y-%m-%d %H:%M} · {}</a>', url, run.started_at, run.get_status_display())


@admin.register(InventorySyncRun)
class InventorySyncRunAdmin(ReadOnlyModelAdmin):
    list_display = ("started_at", "provider", "country", "line_type", "status", "pages", "offered", "added",
                    "revived", "updated", "retired", "retire_deferred", "finished_at")
    list_filter = ("status", "provider", "line_type", recent_filter("started_at", "started"))
    search_fields = ("country", "errors")
    ordering = ("-started_at", "-id")


@admin.register(ReplenishPolicy)
class ReplenishPolicyAdmin(OrbitModelAdmin):
    """Automatic orders when a pool's low-stock alert opens (AUTO_REPLENISH_ENABLED switches all off)."""

    list_display = ("pool", "enabled", "provider", "quantity", "budget", "threshold_link")
    list_filter = ("enabled", "provider")
    list_select_related = ("threshold",)
    raw_id_fields = ("threshold",)
    search_fields = ("threshold__country", "threshold__area_code")

    @admin.display(description="pool")
    def pool(self, obj: ReplenishPolicy) -> str:
        return obj.threshold.pool_label

    @admin.display(description="monthly budget")
    def budget(self, obj: ReplenishPolicy) -> str:
        return cents(obj.monthly_budget_cents)

    @admin.display(description="threshold")
    def threshold_link(self, obj: ReplenishPolicy) -> str:
        url = reverse("admin:inventory_lowstockthreshold_change", args=[obj.threshold_id])
        return format_html('<a href="{}">{}</a>', url, obj.threshold.pool_label)


@admin.register(ReplenishOrder)
class ReplenishOrderAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "provider", "country", "line_type", "area_code", "status", "quantity_requested",
                    "numbers_added", "numbers_failed", "cost", "budget", "finished_at")
    list_filter = ("status", "provider", recent_filter())
    search_fields = ("country", "area_code", "error")
    ordering = ("-created_at", "-id")
    readonly_fields = ("alert", "threshold", "provider", "country", "line_type", "area_code", "capability", "status",
                       "quantity_requested", "budget", "cost", "numbers_added", "numbers_failed", "numbers", "error",
                       "created_at", "finished_at")
    fields = readonly_fields

    @admin.display(description="cost")
    def cost(self, obj: ReplenishOrder) -> str:
        return cents(obj.cost_cents)

    @admin.display(description="budget held")
    def budget(self, obj: ReplenishOrder) -> str:
        return cents(obj.budget_cents)
