"""What the porting services share: the country of a number, the compensating cancel of a
carrier order that no committed request owns, and giving up a dispatch claim."""
from __future__ import annotations

import contextlib
import logging
from typing import Callable

import phonenumbers
from django.db import transaction

from inventory.providers import get_adapter
from orbit_numbers.errors import ProviderError

from ..models import DispatchClaim
from ._dispatch import DispatchLost, dispatch_lock, dispatch_release

logger = logging.getLogger(__name__)


def number_country(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def _cancel_quietly(provider: str, provider_order_id: str, *, port_out: bool = False) -> None:
    try:
        adapter = get_adapter(provider)
        (adapter.cancel_port_out if port_out else adapter.cancel_port_in)(provider_order_id=provider_order_id)
    except ProviderError:
        logger.exception("Compensating cancel of %s order %s failed", provider, provider_order_id)


def release_dispatch(model: type[DispatchClaim], pk: str, token: str,
                     undo: Callable[[DispatchClaim], None] | None = None) -> None:
    """Give up a claim that is still ours (after a refusal, or a failed phase 3): ``undo(request)``
    puts the request back, else only the claim is cleared."""
    # DispatchLost: the stale-dispatch sweep settled it already.
    with contextlib.suppress(DispatchLost), transaction.atomic():
        request = dispatch_lock(model, pk, token)
        if undo is not None:
            undo(request)
        else:
            request.save(update_fields=[*dispatch_release(request), "updated_at"])


def abandon_dispatch(model: type[DispatchClaim], pk: str, token: str, provider: str, provider_order_id: str, *,
                     port_out: bool = False, undo: Callable[[DispatchClaim], None] | None = None) -> None:
    """The carrier accepted ``provider_order_id`` but recording it failed: cancel the order at the
    carrier unless the request references it by now (the sweep may have adopted it), and give up
    the claim. Runs with no transaction open."""
    if not model.objects.filter(pk=pk, provider_order_id=provider_order_id).exists():
        _cancel_quietly(provider, provider_order_id, port_out=port_out)
    try:
        release_dispatch(model, pk, token, undo)
    except Exception:  # the original failure is what the caller reports; the sweep retries the release
        logger.exception("Releasing the dispatch claim of %s failed", pk)
