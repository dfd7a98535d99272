"""One DRF exception handler: every failure becomes the error envelope with a stable code."""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from .. import errors

logger = logging.getLogger("orbit_numbers.api")


def flatten_validation_details(detail: Any, prefix: str = "") -> dict[str, str]:
    """DRF's nested ValidationError detail → {"field.sub": "message"}."""
    flat: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            flat.update(flatten_validation_details(value, name))
    elif isinstance(detail, list):
        if detail and all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "body"] = " ".join(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_validation_details(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
    else:
        flat[prefix or "body"] = str(detail)
    return flat


def to_orbit_error(exc: Exception) -> errors.OrbitError:
    if isinstance(exc, errors.OrbitError):
        return exc
    if isinstance(exc, drf.ValidationError):
        details = flatten_validation_details(exc.detail)
        first = next(iter(details.items()), ("body", "invalid"))
        return errors.ValidationFailed(f"{first[0]}: {first[1]}", details=details)
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLarge()
    if isinstance(exc, drf.ParseError):
        return errors.BadRequest(f"Malformed request body: {exc.detail}")
    if isinstance(exc, (SuspiciousOperation, DjangoBadRequest)):  # e.g. too many fields, a bad Host header
        return errors.BadRequest()
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return errors.Unauthorized(str(exc.detail) if isinstance(exc, drf.AuthenticationFailed) else None)
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return errors.Forbidden(getattr(exc, "detail", None) and str(exc.detail))
    if isinstance(exc, (drf.NotFound, Http404)):
        return errors.NotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return errors.UnsupportedMediaType(str(exc.detail))
    if isinstance(exc, drf.NotAcceptable):
        return errors.OrbitError("Not acceptable.")
    if isinstance(exc, drf.Throttled):
        wait = int(exc.wait or 1)
        return errors.RateLimited(headers={"Retry-After": str(wait)})
    logger.exception("Unhandled API error", exc_info=exc)
    return errors.Internal()


def api_exception_handler(exc: Exception, context: dict) -> Response:
    from .responses import error_body

    request = context.get("request")
    error = to_orbit_error(exc)
    response = Response(error_body(error, getattr(request, "request_id", "")), status=error.status_code)
    for name, value in error.headers.items():
        response[name] = value
    if error.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
