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
    Each request is its own transaction; one carrier failing does not stop the others."""
    counts = {"port_in": 0, "port_out": 0, "changed": 0, "errors": 0}
    port_in_ids = list(PortRequest.objects.filter(status__in=CARRIER_STAGES, handling=PortRequest.Handling.API)
                       .exclude(provider_order_id="").order_by(F("last_polled_at").asc(nulls_first=True), "id")
                       .values_list("pk", "status")[:limit])
    for port_request_id, status in port_in_ids:
        try:
            after = port_request_refresh(port_request_id=port_request_id).status
            counts["port_in"] += 1
            counts["changed"] += after != status
        except Exception:  # one bad request must not stop the sweep
            counts["errors"] += 1
            logger.warning("Polling port-in %s failed", port_request_id, exc_info=True)
    port_out_ids = list(PortOutRequest.objects.filter(status__in=PORT_OUT_OPEN).exclude(provider_order_id="")
                        .order_by(F("last_polled_at").asc(nulls_first=True), "id")
                        .values_list("pk", "status")[:limit])
    for port_out_id, status in port_out_ids:
        try:
            after = port_out_refresh(port_out_id=port_out_id).status
            counts["port_out"] += 1
            counts["changed"] += after != status
        except Exception:  # one bad request must not stop the sweep
            counts["errors"] += 1
            logger.warning("Polling port-out %s failed", port_out_id, exc_info=True)
    return counts
