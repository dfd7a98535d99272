"""One access log line and the request metrics for every response.

Placed right after RequestIdMiddleware, so the line carries the request id, and before everything
else, so it also sees the health probes and the static files that are answered early. It logs the
route pattern, never the path or query string (signed file URLs carry their signature there),
headers (API keys) or bodies (PINs).
"""
from __future__ import annotations

import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import metrics
from .health import PROBE_PATHS

access_logger = logging.getLogger("orbit_numbers.access")
UNMATCHED_ROUTE = "<unmatched>"


def route_label(request: HttpRequest) -> str:
    """The URL pattern that served the request (e.g. /api/v1/numbers/<number_id:pk>), not its path."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    if request.path in PROBE_PATHS:
        return request.path
    if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
        return settings.STATIC_URL + "*"
    return UNMATCHED_ROUTE


def organization_id(request: HttpRequest) -> str | None:
    organization = getattr(request, "organization", None)  # set by API key authentication
    return getattr(organization, "pk", None)


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_label(request)
        metrics.observe_request(method=request.method, route=route, status=response.status_code, seconds=seconds)
        duration_ms = round(seconds * 1000, 1)
        org_id = organization_id(request)
        access_logger.info(
            "%s %s %s %.1fms%s", request.method, route, response.status_code, duration_ms,
            f" org={org_id}" if org_id else "",
            extra={"http_method": request.method, "route": route, "status": response.status_code,
                   "duration_ms": duration_ms, "org_id": org_id})
        return response
