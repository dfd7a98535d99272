"""/metrics for Prometheus: a staff session (an operator in a browser) or the scraper's bearer token."""
from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from ..api.responses import error_json_response
from ..errors import Forbidden, MethodNotAllowed, Unauthorized
from .metrics import exposition


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def token_matches(presented: str) -> bool:
    expected = settings.ORBIT_METRICS_TOKEN
    # Constant time, so the token cannot be guessed from how long a refusal takes.
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def refusal(request: HttpRequest) -> HttpResponse | None:
    token = bearer_token(request)
    if token is not None:
        return None if token_matches(token) else _unauthorized(request, "Invalid metrics token.")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return _unauthorized(request, "Metrics need a staff session or the metrics bearer token.")
    if not (user.is_active and user.is_staff):
        return error_json_response(Forbidden("Metrics are for staff."), getattr(request, "request_id", ""))
    return None


def _unauthorized(request: HttpRequest, message: str) -> HttpResponse:
    response = error_json_response(Unauthorized(message), getattr(request, "request_id", ""))
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = error_json_response(MethodNotAllowed(), getattr(request, "request_id", ""))
        response["Allow"] = "GET, HEAD"
        return response
    refused = refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
