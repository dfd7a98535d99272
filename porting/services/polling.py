"""The sweep that re-polls every open, API-handled port-in and port-out."""
from __future__ import annotations

import logging

from django.db.models import F

from ..models import CARRIER_STAGES, PORT_OUT_OPEN, PortOutRequest, PortRequest
from .port_in import port_request_refresh
from .port_out import port_out_refresh

logger = logging.getLogger(__name__)


def port_requests_poll(*, limit: int = 200) -> dict:
    """Re-poll every open, API-handled port-in and port-out (beat task and management command).
    Each carrier is asked with no transaction open and each answer applied in its own short one;
    one carrier failing does not stop the others. Requests being dispatched are left alone, and a
    request another poller is applying is skipped (skip_locked)."""
    counts = {"port_in": 0, "port_out": 0, "changed": 0, "errors": 0}
    never_polled_first = (F("last_polled_at").asc(nulls_first=True), "id")
    port_ins = (PortRequest.objects.filter(status__in=CARRIER_STAGES, handling=PortRequest.Handling.API)
                .filter(dispatch_token="").exclude(provider_order_id="").order_by(*never_polled_first)
                .values_list("pk", "status")[:limit])
    port_outs = (PortOutRequest.objects.filter(status__in=PORT_OUT_OPEN, dispatch_token="")
                 .exclude(provider_order_id="").order_by(*never_polled_first).values_list("pk", "status")[:limit])
    _sweep(counts, "port_in", list(port_ins), lambda pk: port_request_refresh(port_request_id=pk, skip_locked=True))
    _sweep(counts, "port_out", list(port_outs), lambda pk: port_out_refresh(port_out_id=pk, skip_locked=True))
    return counts


def _sweep(counts: dict, kind: str, rows: list, refresh) -> None:
    for pk, status in rows:
        try:
            after = refresh(pk).status
            counts[kind] += 1
            counts["changed"] += after != status
        except Exception:  # one bad request must not stop the sweep
            counts["errors"] += 1
            logger.warning("Polling %s %s failed", kind.replace("_", "-"), pk, exc_info=True)
