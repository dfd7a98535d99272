"""Dispatch claims: a port request goes to its carrier with no transaction open.

1. **Claim** (short transaction, request row locked): set ``dispatch_token``; every other write
   and the poller leave a claimed request alone.
2. **Carrier call**, no transaction open (it may take seconds: timeouts, retries, backoff).
3. **Apply** (short transaction): lock the request again and apply the carrier's answer only if
   the claim is still ours; clear it. A lost claim (the stale-claim sweep settled it meanwhile)
   applies nothing, and an order we placed that the request does not reference is cancelled.
"""
from __future__ import annotations

import uuid
from typing import TypeVar

from django.db import models
from django.utils import timezone

from orbit_numbers.errors import Conflict, NotFound

from ..models import DispatchClaim

CLAIM_FIELDS = ["dispatch_token", "dispatch_action", "dispatch_claimed_at"]

Claimed = TypeVar("Claimed", bound=DispatchClaim)


class DispatchLost(Conflict):
    default_message = ("The carrier took too long and this request was settled by the stale-dispatch sweep; "
                       "fetch it for its current status.")


def lock_for_change(model: type[Claimed], pk: str, *, organization=None) -> Claimed:
    """Lock a port request (of ``organization``, when given) for a write; 404 if it isn't theirs,
    409 while a dispatch has it claimed."""
    query = model.objects.select_for_update(of=("self",)).filter(pk=pk)
    if organization is not None:
        query = query.filter(organization=organization)
    request = query.first()
    if request is None:
        raise NotFound()
    refuse_while_dispatching(request)
    return request


def refuse_while_dispatching(request: DispatchClaim) -> None:
    if request.dispatch_token:
        raise Conflict("The request is being sent to its carrier right now; try again in a minute.",
                       headers={"Retry-After": "60"})


def dispatch_claim(request: DispatchClaim, action: str, *, fields: tuple = ()) -> str:
    """Claim a locked request for a carrier call (inside the caller's transaction)."""
    refuse_while_dispatching(request)
    request.dispatch_token = uuid.uuid4().hex
    request.dispatch_action = action
    request.dispatch_claimed_at = timezone.now()
    request.save(update_fields=[*CLAIM_FIELDS, "updated_at", *fields])
    return request.dispatch_token


def dispatch_lock(model: type[Claimed], pk: str, token: str) -> Claimed:
    """Lock a claimed request for phase 3; DispatchLost if the claim is no longer ``token``."""
    request = model.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if request is None or request.dispatch_token != token:
        raise DispatchLost()
    return request


def dispatch_release(request: DispatchClaim) -> list[str]:
    """Clear the claim on the instance; returns the fields to save."""
    request.dispatch_token, request.dispatch_action, request.dispatch_claimed_at = "", "", None
    return list(CLAIM_FIELDS)


def unclaimed(queryset: models.QuerySet) -> models.QuerySet:
    return queryset.filter(dispatch_token="")


def lock_if_unchanged(request: Claimed, *, skip_locked: bool = False) -> Claimed | None:
    """Lock ``request`` for applying a carrier answer read with no transaction open, only if it is
    still as it was read (same status, unclaimed, same carrier order). None when it moved on meanwhile
    or another worker holds it: the answer is stale and nothing is applied."""
    return (type(request).objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .filter(pk=request.pk, status=request.status, dispatch_token="",
                    provider_order_id=request.provider_order_id).first())
