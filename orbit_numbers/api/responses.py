"""The envelope: {"data", "meta"} on success, {"error"} (plus "data" where it carries data) on failure."""
from __future__ import annotations

from datetime import timezone as dt_timezone
from typing import Any

from django.http import JsonResponse
from django.utils import timezone
from rest_framework.response import Response

from ..errors import OrbitError


def utc_timestamp() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(value) -> str | None:
    """Timestamps render as ISO 8601 UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(request, **extra: Any) -> dict[str, Any]:
    return {"request_id": getattr(request, "request_id", ""), "timestamp": utc_timestamp(), **extra}


def ok(request, data: Any, *, status: int = 200, pagination: dict | None = None,
       headers: dict | None = None) -> Response:
    extra = {"pagination": pagination} if pagination is not None else {}
    return Response({"data": data, "meta": meta(request, **extra)}, status=status, headers=headers)


def error_body(exc: OrbitError, request_id: str) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message, "request_id": request_id}
    if exc.details:
        error["details"] = exc.details
    body: dict[str, Any] = {"error": error}
    if exc.data is not None:
        body["data"] = exc.data
    return body


def error_json_response(exc: OrbitError, request_id: str) -> JsonResponse:
    response = JsonResponse(error_body(exc, request_id), status=exc.status_code)
    for name, value in exc.headers.items():
        response[name] = value
    return response
