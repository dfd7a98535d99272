"""Inventory's panels on the operations dashboard (registered from InventoryConfig.ready)."""
from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from orbit_numbers.dashboard import Panel, PanelData, PanelRow, register

from .models import (CarrierFailure, ComplianceProfile, EmergencyAssignment, LowStockAlert, ReputationAlert,
                     SpamDispute)

ROWS = 5
# Holds ending within this window show on the dashboard.
EXPIRING_WITHIN = timedelta(minutes=5)


def low_stock_panel() -> PanelData:
    alerts = LowStockAlert.objects.filter(resolved_at__isnull=True).select_related("threshold")
    rows = []
    for alert in alerts.order_by("threshold__available", "-opened_at")[:ROWS]:
        threshold = alert.threshold
        days = "no recent sales" if threshold.days_left is None else f"{threshold.days_left:g} days left"
        rows.append(PanelRow(label=threshold.pool_label, detail=f"{threshold.available} available · {days}",
                             url=reverse("admin:inventory_lowstockalert_change", args=[alert.pk])))
    return PanelData(count=alerts.count(), url=reverse("admin:inventory_lowstockalert_changelist") + "?state=open",
                     rows=rows)


def carrier_failures_panel() -> PanelData:
    failures = CarrierFailure.objects.filter(created_at__gte=timezone.now() - timedelta(hours=24))
    rows = [PanelRow(label=f"{failure.provider} {failure.operation} {failure.e164}".strip(),
                     detail=f"{failure.code}: {failure.message}" if failure.code else failure.message,
                     url=reverse("admin:inventory_carrierfailure_change", args=[failure.pk]))
            for failure in failures.order_by("-created_at", "-id")[:ROWS]]
    return PanelData(count=failures.count(), url=reverse("admin:inventory_carrierfailure_changelist") + "?window=24h",
                     rows=rows)


# Bulk reservations are built on another branch. These names are what the panel expects of that
# model; registration is skipped (not failed) while the model does not exist.
RESERVATION_MODEL = ("inventory", "BulkReservation")
# Customer holds only: buy-bulk/order checkouts hold rows for seconds and are not an operator's concern.
RESERVATION_HOLDS = {"status__in": ("ready", "partial"), "purpose": "reserve"}


def reservations_expiring_panel() -> PanelData:
    model = apps.get_model(*RESERVATION_MODEL)
    now = timezone.now()
    holds = model.objects.filter(**RESERVATION_HOLDS, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN)
    try:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:  # the model has no admin (yet): show the count without a link
        changelist = ""
    rows = [PanelRow(label=f"{hold.organization} · {hold.pk}",
                     detail=f"expires in {max(int((hold.expires_at - now).total_seconds() // 60), 0)} min",
                     url=f"{changelist}{hold.pk}/change/" if changelist else "")
            for hold in holds.select_related("organization").order_by("expires_at")[:ROWS]]
    query = "?status__in=" + ",".join(RESERVATION_HOLDS["status__in"]) + "&purpose__exact=" + RESERVATION_HOLDS["purpose"]
    return PanelData(count=holds.count(), url=changelist + query if changelist else "", rows=rows)


def reputation_drops_panel() -> PanelData:
    """Open reputation alerts, the numbers scoring worst now first."""
    alerts = ReputationAlert.objects.filter(resolved_at__isnull=True)
    rows = []
    for alert in alerts.select_related("number", "organization", "number__health").order_by(
            "number__health__score", "-opened_at")[:ROWS]:
        health = getattr(alert.number, "health", None)
        now = "—" if health is None else health.score
        was = "" if alert.score_before is None else f" (was {alert.score_before})"
        rows.append(PanelRow(label=f"{alert.number.e164} · {alert.organization}",
                             detail=f"score {now}{was} · {alert.get_reason_display().lower()}",
                             url=reverse("admin:inventory_reputationalert_change", args=[alert.pk])))
    return PanelData(count=alerts.count(), rows=rows,
                     url=reverse("admin:inventory_reputationalert_changelist") + "?state=open")


def compliance_review_panel() -> PanelData:
    """Profiles customers submitted, oldest first: the review queue (approval releases held numbers)."""
    waiting = ComplianceProfile.objects.filter(status=ComplianceProfile.Status.SUBMITTED)
    rows = [PanelRow(label=f"{profile.name} · {profile.organization}",
                     detail=f"{profile.country} · submitted {profile.submitted_at:%Y-%m-%d %H:%M}" if profile.submitted_at
                     else profile.country,
                     url=reverse("admin:inventory_complianceprofile_review", args=[profile.pk]))
            for profile in waiting.select_related("organization").order_by("submitted_at", "pk")[:ROWS]]
    return PanelData(count=waiting.count(), rows=rows, url=reverse("admin:inventory_complianceprofile_review_queue"))


def emergency_failures_panel() -> PanelData:
    """E911 provisionings (or removals) the carrier refused: emergency calls stay blocked until retried."""
    failed = EmergencyAssignment.objects.filter(status__in=EmergencyAssignment.RETRYABLE_STATUSES)
    rows = [PanelRow(label=f"{assignment.number.e164} · {assignment.organization}",
                     detail=assignment.error_message or assignment.get_status_display(),
                     url=reverse("admin:inventory_emergencyassignment_change", args=[assignment.pk]))
            for assignment in failed.select_related("number", "organization").order_by("-updated_at")[:ROWS]]
    return PanelData(count=failed.count(), rows=rows,
                     url=reverse("admin:inventory_emergencyassignment_changelist") + "?status__exact=failed")


def spam_disputes_panel() -> PanelData:
    """Spam-label disputes customers filed that nobody has taken to the analytics provider yet."""
    waiting = SpamDispute.objects.filter(status=SpamDispute.Status.OPEN)
    rows = [PanelRow(label=f"{dispute.number.e164} · {dispute.organization}", detail=dispute.label,
                     url=reverse("admin:inventory_spamdispute_change", args=[dispute.pk]))
            for dispute in waiting.select_related("number", "organization").order_by("created_at", "pk")[:ROWS]]
    return PanelData(count=waiting.count(), rows=rows,
                     url=reverse("admin:inventory_spamdispute_changelist") + "?status__exact=open")


def register_panels() -> None:
    register(Panel(key="compliance-review", title="Compliance profiles awaiting review",
                   compute=compliance_review_panel, order=22, permission="inventory.review_complianceprofile",
                   help_text="Check the documents against the requirements, then approve (held numbers go "
                             "active) or reject with a reason."))
    register(Panel(key="e911-failures", title="E911 provisioning failed", compute=emergency_failures_panel,
                   order=24, permission="inventory.view_emergencyassignment",
                   help_text="Emergency calls stay blocked on these numbers: fix the address with the customer "
                             "or retry."))
    register(Panel(key="spam-disputes", title="Spam-label disputes to file", compute=spam_disputes_panel,
                   order=26, permission="inventory.view_spamdispute",
                   help_text="Customers' disputes of a spam label: take each to the analytics provider."))
    register(Panel(key="low-stock", title="Low-stock alerts", compute=low_stock_panel, order=10,
                   permission="inventory.view_lowstockalert",
                   help_text="Pools below their minimum count or days of stock: order more from the carrier."))
    register(Panel(key="carrier-failures", title="Carrier failures, last 24 h", compute=carrier_failures_panel,
                   order=40, permission="inventory.view_carrierfailure",
                   help_text="Orders and releases the carriers refused or failed."))
    register(Panel(key="reputation-drops", title="Reputation drops", compute=reputation_drops_panel, order=20,
                   permission="inventory.view_reputationalert",
                   help_text="Numbers whose health score fell sharply or below the floor: check their traffic."))
    try:
        model = apps.get_model(*RESERVATION_MODEL)
    except LookupError:
        return
    register(Panel(key="reservations-expiring", title="Reservations expiring soon",
                   compute=reservations_expiring_panel, order=30,
                   permission=f"{model._meta.app_label}.view_{model._meta.model_name}",
                   help_text="Bulk holds ending within 5 minutes without being finalised."))
