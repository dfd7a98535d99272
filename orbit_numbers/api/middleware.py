"""Request id on every response; JSON (never HTML) for anything that escapes under /api/."""
from __future__ import annotations

import logging
import re
import uuid

from django.http import HttpRequest, HttpResponse

from ..context import current_request_id

logger = logging.getLogger("orbit_numbers.api")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


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


class ApiExceptionMiddleware:
    """Last line of defence: an exception outside DRF on an API path becomes the 500 envelope."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_api_path(request.path):
            return None
        from .responses import error_json_response
        from ..errors import Internal

        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_json_response(Internal(), getattr(request, "request_id", ""))
