"""Idempotency-Key replay for POSTs that spend money or change inventory.

Same key + same request → the first status and body again. Same key + different request →
409 IDEMPOTENCY_CONFLICT. A key whose first request is still running → 409 CONFLICT.
Keys are stored per organisation and kept at least IDEMPOTENCY_TTL_HOURS.
"""
from __future__ import annotations

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from ..errors import Conflict, IdempotencyConflict, ValidationFailed
from ..models import IdempotencyRecord

HEADER = "Idempotency-Key"
# Failures worth retrying with the same key are not remembered.
_NOT_STORED = {401, 403, 429}


def request_fingerprint(request) -> str:
    body = request.body if request.content_type == "application/json" else b""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or too deep to parse: the bytes themselves
        canonical = body
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def is_stored_replay(request) -> bool:
    """True when this request will be answered from a stored response (same key, same body).

    Such a retry costs nothing, so it must not spend the endpoint's named rate limit: a client
    retrying a buy-bulk after a dropped connection gets its result, not a 429."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key or len(key) > 255:
        return False
    return IdempotencyRecord.objects.filter(
        organization=request.auth.organization, key=key, fingerprint=request_fingerprint(request._request),
        status_code__isnull=False,
    ).exists()


def idempotent(handler):
    """Decorate an APIView method (post/put/delete). Runs after authentication."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise ValidationFailed.field(HEADER, "must be 1-255 characters")
        organization = request.auth.organization
        fingerprint = request_fingerprint(request._request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(organization=organization, key=key, fingerprint=fingerprint)
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(organization=organization, key=key)
            if existing.fingerprint != fingerprint:
                raise IdempotencyConflict() from None
            if existing.status_code is None:
                raise Conflict("A request with this Idempotency-Key is still in progress.") from None
            response = Response(existing.response_body, status=existing.status_code)
            response["Idempotent-Replayed"] = "true"
            return response

        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:  # render it now so the outcome can be remembered
            response = view.handle_exception(exc)
        if response.status_code >= 500 or response.status_code in _NOT_STORED:
            record.delete()
        else:
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
        return response

    return wrapper
