"""Number health in the console: scores worst first with their factors, reputation alerts, usage counters.

Scores and counters are computed or fed data and alerts are a log: all read-only here. The one
action (recompute) goes through the service, behind its own permission.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from orbit_numbers.admin_base import ReadOnlyModelAdmin, recent_filter

from ..models import USAGE_COUNTERS, NumberHealth, NumberUsageDay, ReputationAlert
from ..services.health import number_health_compute, tenure_start, utc_today, warming_exempt, warming_status
from . import AlertStateFilter

# Score bands the console filters by (the API filters by score_lt / score_gte).
SCORE_BANDS = {"poor": (0, 50), "fair": (50, 80), "good": (80, 101)}


class ScoreBandFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [("poor", "Poor (below 50)"), ("fair", "Fair (50-79)"), ("good", "Good (80+)")]

    def queryset(self, request, queryset):
        band = SCORE_BANDS.get(self.value() or "")
        return queryset.filter(score__gte=band[0], score__lt=band[1]) if band else queryset


class OpenAlertFilter(admin.SimpleListFilter):
    title = "reputation alert"
    parameter_name = "alert"

    def lookups(self, request, model_admin):
        return [("open", "Open alert"), ("none", "No open alert")]

    def queryset(self, request, queryset):
        has_alert = Exists(ReputationAlert.objects.filter(number_id=OuterRef("number_id"), resolved_at__isnull=True))
        if self.value() == "open":
            return queryset.filter(has_alert)
        if self.value() == "none":
            return queryset.exclude(has_alert)
        return queryset


def factor_table(factors: list[dict]):
    rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>", (
        (factor["label"], "—" if factor["value"] is None else factor["value"], factor["points"], factor["weight"],
         factor["detail"]) for factor in factors))
    return format_html("<table><thead><tr><th>factor</th><th>value</th><th>points</th><th>detail</th></tr></thead>"
                       "<tbody>{}</tbody></table>", rows)


def number_link(number) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:inventory_ownednumber_change", args=[number.pk]),
                       number.e164)


@admin.register(NumberHealth)
class NumberHealthAdmin(ReadOnlyModelAdmin):
    list_display = ("phone_number", "organization", "score", "previous_score", "change_shown", "weakest",
                    "computed_at")
    list_filter = (ScoreBandFilter, OpenAlertFilter, recent_filter("computed_at", "computed"))
    search_fields = ("organization__name", "=number__id")
    digit_search_fields = ("number__e164",)
    list_select_related = ("number", "organization")
    # Worst first: index health_worst_first.
    ordering = ("score", "number")
    sortable_by = ("score",)
    fields = ("phone_number", "organization", "score", "previous_score", "computed_at", "factor_breakdown",
              "warming_today", "recent_usage")
    readonly_fields = fields
    actions = ["recompute"]

    @admin.display(description="number", ordering="number__e164")
    def phone_number(self, obj: NumberHealth) -> str:
        return number_link(obj.number)

    @admin.display(description="change")
    def change_shown(self, obj: NumberHealth) -> str:
        return "—" if obj.change is None else f"{obj.change:+d}"

    @admin.display(description="weakest factor")
    def weakest(self, obj: NumberHealth) -> str:
        lost = [factor for factor in obj.factors if factor["points"] < factor["weight"]]
        if not lost:
            return "—"
        worst = min(lost, key=lambda factor: factor["points"] - factor["weight"])
        return f"{worst['label']}: {worst['points']:g}/{worst['weight']}"

    @admin.display(description="factors")
    def factor_breakdown(self, obj: NumberHealth):
        return factor_table(obj.factors)

    @admin.display(description="warming today")
    def warming_today(self, obj: NumberHealth) -> str:
        today = utc_today()
        sent = (NumberUsageDay.objects.filter(number_id=obj.number_id, day=today)
                .values_list("messages_sent", flat=True).first() or 0)
        status = warming_status(started_on=tenure_start(obj.number), today=today, sent_today=sent,
                                exempt=warming_exempt(obj.number))
        if not status["in_warming"]:
            return f"Unrestricted ({sent} sent today)"
        return (f"Day {status['day']}: {sent} of {status['daily_cap']} sent today; tomorrow "
                f"{status['next_cap'] or 'unrestricted'}; ends {status['ends_on']:%Y-%m-%d}")

    @admin.display(description="usage, last 14 days")
    def recent_usage(self, obj: NumberHealth):
        days = NumberUsageDay.objects.filter(number_id=obj.number_id).order_by("-day")[:14]
        header = format_html_join("", "<th>{}</th>", ((name.replace("_", " "),) for name in ("day", *USAGE_COUNTERS)))
        rows = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", (
            (value,) for value in (day.day, *(getattr(day, name) for name in USAGE_COUNTERS)))),) for day in days))
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, rows)

    def has_recompute_permission(self, request) -> bool:
        return request.user.has_perm("inventory.recompute_number_health")

    @admin.action(description="Recompute the selected numbers' health now", permissions=["recompute"])
    def recompute(self, request, queryset):
        result = number_health_compute(number_ids=list(queryset.values_list("number_id", flat=True)),
                                       acting_user=request.user)
        self.message_user(request, f"Rescored {result.scored} number(s): {len(result.opened)} alert(s) opened, "
                                   f"{len(result.resolved)} resolved.", messages.SUCCESS)


@admin.register(ReputationAlert)
class ReputationAlertAdmin(ReadOnlyModelAdmin):
    list_display = ("phone_number", "organization", "reason", "score_before", "score_at_open", "score_now",
                    "recovery_score", "opened_at", "state", "resolved_at")
    list_filter = (AlertStateFilter, "reason", recent_filter("opened_at", "opened"))
    search_fields = ("organization__name", "=number__id")
    digit_search_fields = ("number__e164",)
    list_select_related = ("number", "organization", "number__health")
    ordering = ("-opened_at", "-id")
    fields = ("phone_number", "organization", "reason", "score_before", "score_at_open", "recovery_score",
              "score_now", "factors", "opened_at", "resolved_at", "score_at_resolve")
    readonly_fields = fields

    @admin.display(description="number", ordering="number__e164")
    def phone_number(self, obj: ReputationAlert) -> str:
        return number_link(obj.number)

    @admin.display(description="state")
    def state(self, obj: ReputationAlert) -> str:
        return "open" if obj.is_open else "resolved"

    @admin.display(description="score now")
    def score_now(self, obj: ReputationAlert):
        health = getattr(obj.number, "health", None)
        return "—" if health is None else health.score

    @admin.display(description="weakest factors when it opened")
    def factors(self, obj: ReputationAlert):
        return factor_table(obj.factors_at_open)


@admin.register(NumberUsageDay)
class NumberUsageDayAdmin(ReadOnlyModelAdmin):
    list_display = ("day", "phone_number", *USAGE_COUNTERS, "source", "updated_at")
    list_filter = ("source", recent_filter("updated_at", "updated"))
    search_fields = ("=number__id",)
    digit_search_fields = ("number__e164",)
    list_select_related = ("number",)
    ordering = ("-day", "number")

    @admin.display(description="number", ordering="number__e164")
    def phone_number(self, obj: NumberUsageDay) -> str:
        return number_link(obj.number)
