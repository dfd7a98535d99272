"""Porting's panel on the operations dashboard: port requests whose LoA waits for staff review.

Port requests are built on another branch. The names below are what this panel expects of that
model; while it does not exist, registration is skipped, not failed.
"""
from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from orbit_numbers.dashboard import Panel, PanelData, PanelRow, register

PORT_REQUEST_MODEL = ("porting", "PortRequest")
# The changelist filter that lists requests waiting for an LoA decision.
AWAITING_REVIEW = {"status": "validating_loa"}
REVIEW_QUEUE_URL = "admin:porting_portrequest_review_queue"
REVIEW_URL = "admin:porting_portrequest_review"
ROWS = 5


def loa_review_panel() -> PanelData:
    model = apps.get_model(*PORT_REQUEST_MODEL)
    waiting = model.objects.filter(**AWAITING_REVIEW)
    try:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        changelist = ""
    try:  # the LoA review queue of porting/admin.py, when it is there
        url = reverse(REVIEW_QUEUE_URL)
    except NoReverseMatch:
        query = "?" + "&".join(f"{name}__exact={value}" for name, value in AWAITING_REVIEW.items())
        url = changelist + query if changelist else ""
    rows = []
    for request in waiting.order_by("pk")[:ROWS]:
        try:
            row_url = reverse(REVIEW_URL, args=[request.pk])
        except NoReverseMatch:
            row_url = f"{changelist}{request.pk}/change/" if changelist else ""
        rows.append(PanelRow(label=str(request), url=row_url))
    return PanelData(count=waiting.count(), url=url, rows=rows)


def register_panels() -> None:
    try:
        model = apps.get_model(*PORT_REQUEST_MODEL)
    except LookupError:
        return
    register(Panel(key="loa-review", title="Port requests awaiting LoA review", compute=loa_review_panel, order=20,
                   permission=f"{model._meta.app_label}.view_{model._meta.model_name}",
                   help_text="Check the signed LoA against the request, then approve or reject it."))
