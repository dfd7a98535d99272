"""Idempotency-Key replay for POSTs that spend money or change inventory.

Same key + same request → the first status and body again. Same key + different request →
409 IDEMPOTENCY_CONFLICT. A key whose first request is still running → 409 CONFLICT.
Keys are stored per organisation and kept at least IDEMPOTENCY_TTL_HOURS.

Crash safety (the record and the effect commit together or not at all):

1. **Claim** (own short transaction): insert the record "in progress" with a lease
   (``leased_until``, ``lease_token``). A retry that finds an in-progress record whose lease has
   run out takes it over with a new token: the first process died (or is hopelessly late).
2. **Effect + response**, in the same transaction:
   - ``@idempotent`` (most handlers): the handler runs inside one transaction, and its response
     is stored in that transaction. A crash anywhere rolls back both.
   - ``@idempotent(render="method")`` for handlers whose service calls a carrier and so commits
     in phases (hold → carrier → commit; a carrier call never runs inside a transaction).
     The service calls :func:`idempotency_effect_commit` inside its final, effect transaction;
     the view's ``render(result)`` builds the response there and it is stored with the effect.
   Either way the store is guarded by the lease token: a process whose lease was taken over
   cannot commit its effect (409), so a taken-over request never acts twice.
"""
from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
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


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.ORBIT["IDEMPOTENCY_LEASE_SECONDS"])


@dataclass
class _Claim:
    record_id: int
    token: str
    view: Any
    render: Callable[[Any], Response] | None


# The claim of the request being handled on this thread, for idempotency_effect_commit().
_current: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar("orbit_idempotency_claim", default=None)


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(*, organization, key: str, fingerprint: str) -> tuple[str | None, IdempotencyRecord]:
    """Insert or take over the record. Returns (token, record); token None means "replay this"."""
    now = timezone.now()
    token = uuid.uuid4().hex
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organization=organization, key=key, fingerprint=fingerprint,
                lease_token=token, leased_until=now + lease_duration())
    except IntegrityError:  # the key is known: replay, refuse, or take over below
        record = None
    if record is not None:
        return token, record
    with transaction.atomic():
        # Waits for a first request that is committing right now, then sees its outcome.
        record = IdempotencyRecord.objects.select_for_update().filter(organization=organization, key=key).first()
        if record is None:  # purged between the insert and this read: a fresh start
            record = IdempotencyRecord.objects.create(
                organization=organization, key=key, fingerprint=fingerprint,
                lease_token=token, leased_until=now + lease_duration())
            return token, record
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict()
        if record.status_code is not None:
            return None, record
        if record.leased_until is not None and record.leased_until > now:
            seconds = max(1, int((record.leased_until - now).total_seconds()))
            raise Conflict("A request with this Idempotency-Key is still in progress.",
                           headers={"Retry-After": str(seconds)})
        # The first request's lease ran out: its process died. This retry takes over.
        record.lease_token, record.leased_until = token, now + lease_duration()
        record.save(update_fields=["lease_token", "leased_until"])
        return token, record


def _store(claim: _Claim, response: Response) -> bool:
    """Store the response under the claim's lease. False if the lease was taken over meanwhile."""
    return bool(IdempotencyRecord.objects.filter(pk=claim.record_id, lease_token=claim.token,
                                                 status_code__isnull=True)
                .update(status_code=response.status_code, response_body=response.data, leased_until=None))


def _storable(response: Response) -> bool:
    return response.status_code < 500 and response.status_code not in _NOT_STORED


class LeaseLost(Conflict):
    default_message = ("This request took too long and a retry with the same Idempotency-Key took it over; "
                       "nothing was done by this one.")


def idempotency_effect_commit(result: Any) -> None:
    """Called by a phased service inside its effect transaction: store the view's response to
    ``result`` in that same transaction. Outside an idempotent request it does nothing.

    Raises LeaseLost (rolling the effect back) if a retry took the key over."""
    claim = _current.get()
    if claim is None or claim.render is None:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("idempotency_effect_commit() must run inside the effect's transaction")
    if not _store(claim, claim.render(result)):
        raise LeaseLost()


def idempotent(handler=None, *, render: str | None = None):
    """Decorate a viewset action (post/put/delete). Runs after authentication.

    ``@idempotent``: the handler and the stored response share one transaction.
    ``@idempotent(render="name")``: the handler's service commits in phases and calls
    idempotency_effect_commit(result); ``view.name(result)`` renders the response."""
    if handler is None:
        return functools.partial(idempotent, render=render)

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise ValidationFailed.field(HEADER, "must be 1-255 characters")
        token, record = _claim(organization=request.auth.organization, key=key,
                               fingerprint=request_fingerprint(request._request))
        if token is None:
            return _replay(record)
        claim = _Claim(record_id=record.pk, token=token, view=view,
                       render=getattr(view, render) if render else None)
        if render:
            return _run_phased(claim, handler, view, request, *args, **kwargs)
        return _run_atomic(claim, handler, view, request, *args, **kwargs)

    wrapper.idempotent = True
    return wrapper


def _run_atomic(claim: _Claim, handler, view, request, *args, **kwargs) -> Response:
    try:
        with transaction.atomic():
            response = handler(view, request, *args, **kwargs)
            if _storable(response) and not _store(claim, response):
                raise LeaseLost()
            return response
    except Exception as exc:  # rolled back: render it now so the outcome can be remembered
        response = view.handle_exception(exc)
    return _settle(claim, response)


def _run_phased(claim: _Claim, handler, view, request, *args, **kwargs) -> Response:
    reset = _current.set(claim)
    try:
        response = handler(view, request, *args, **kwargs)
    except Exception as exc:
        response = view.handle_exception(exc)
    finally:
        _current.reset(reset)
    stored = IdempotencyRecord.objects.filter(pk=claim.record_id, lease_token=claim.token,
                                              status_code__isnull=False).first()
    if stored is None:
        return _settle(claim, response)
    if response.status_code == stored.status_code:
        return response
    # The effect committed but the handler failed afterwards: the client gets the first response.
    return Response(stored.response_body, status=stored.status_code)


def _settle(claim: _Claim, response: Response) -> Response:
    """No effect committed: remember the (error) outcome, or free the key for a retry."""
    if _storable(response):
        _store(claim, response)
    else:
        IdempotencyRecord.objects.filter(pk=claim.record_id, lease_token=claim.token,
                                         status_code__isnull=True).delete()
    return response
