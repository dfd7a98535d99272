"""Request id on every response; JSON (never HTML) for anything that escapes under /api/."""
from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponse
from django.middleware.common import CommonMiddleware

from .. import errors
from ..context import current_request_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# The pages under /api/ that are for people (Swagger UI, Redoc, webhooks): HTML when they succeed.
DOCS_PAGES = ("/api/docs/", "/api/redoc/", "/api/docs/webhooks/")
# An error response keeps these headers when it is rewritten as the envelope.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
_ERROR_FOR_STATUS: dict[int, type[errors.OrbitError]] = {
    400: errors.BadRequest, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
    405: errors.MethodNotAllowed, 413: errors.PayloadTooLarge, 415: errors.UnsupportedMediaType,
    429: errors.RateLimited,
}


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def error_for_status(status: int) -> errors.OrbitError:
    """The envelope's error for a bare HTTP status (a response some Django or library code made)."""
    cls = _ERROR_FOR_STATUS.get(status)
    if cls is not None:
        return cls()
    error = errors.Internal() if status >= 500 else errors.BadRequest()
    error.status_code = status  # the instance keeps the status it was given; the code says what kind
    return error


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else f"req_{uuid.uuid4().hex}"
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-Id"] = request_id
        return response


class ApiErrorsAsJsonMiddleware:
    """Under /api/, an error response that is not JSON becomes the envelope with the same status.

    Catches what no handler of ours renders: Django's 405 (an empty text/html page), the docs pages'
    and the schema view's own 405, DEBUG's technical 404/500 pages, and errors raised by the other
    middleware. Sits right inside RequestIdMiddleware, so it sees every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path) or _is_json(response):
            return response
        from .responses import error_json_response

        replacement = error_json_response(error_for_status(response.status_code),
                                          getattr(request, "request_id", ""))
        for name in _KEPT_HEADERS:
            if name in response:
                replacement[name] = response[name]
        return replacement


class ApiCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware, without trailing-slash redirects under /api/ (an API client gets the
    404 envelope, not a 301 page; a redirected POST would lose its body). The docs pages, which
    people type by hand, still redirect."""

    def should_redirect_with_slash(self, request):
        path = request.path_info
        if is_api_path(path) and f"{path}/" not in DOCS_PAGES:
            return False
        return super().should_redirect_with_slash(request)


class ApiExceptionMiddleware:
    """Last line of defence: an exception outside DRF on an API path becomes the envelope (Django's
    Http404, PermissionDenied, SuspiciousOperation and RequestDataTooBig keep their meaning; anything
    else is a 500 without details)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_api_path(request.path):
            return None
        from .exception_handler import to_orbit_error
        from .responses import error_json_response

        return error_json_response(to_orbit_error(exception), getattr(request, "request_id", ""))
