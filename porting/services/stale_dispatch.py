"""The sweep for stale dispatch claims: a process died (or stalled longer than
PORT_DISPATCH_CLAIM_SECONDS) between claiming a request for a carrier call and applying the answer.

What happens to each claimed action (the choice, documented):

- **create** (port-in LoA approval, port-out submission): the carrier may or may not hold the
  order, so it is asked by our reference (``find_port_in`` / ``find_port_out``; the simulator and
  Telnyx answer). Found: the order is recorded as if the dispatch had finished
  (``…dispatch_recovered``). Not found: a port-in is dispatched again (the staff approval stands);
  a port-out is withdrawn — numbers back to their earlier status, request rejected
  ``NOT_DISPATCHED`` (its client never got a 201 and submits again). A carrier with no porting API
  cannot hold an order: same as not found. A carrier that has orders but cannot look them up:
  a port-in goes to manual handling in carrier_review (operations check the carrier's portal for
  our reference, which is the request id); a port-out stays claimed and is logged for operations.
  A carrier that does not answer: the next sweep asks again.
- **supplement / cancel**: the order exists and is already ours; the claim is released and the
  request is as it was (rejected / open), so the customer can retry; the poller picks up whatever
  the carrier did with it.

Every settlement first takes the claim over (a new token), so a stalled original process that
wakes up applies nothing and cancels any order it placed that the request does not reference.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.providers import get_adapter
from inventory.providers.base import CarrierAdapter
from inventory.services import numbers_restore_after_port_out
from orbit_numbers.errors import Conflict, ProviderError
from orbit_numbers.services import audit_record

from ..models import DispatchAction, DispatchClaim, PortOutRequest, PortOutStatus, PortRequest, PortStatus
from ._common import release_dispatch
from ._dispatch import CLAIM_FIELDS, dispatch_lock, dispatch_release
from .port_in import _dispatch, _dispatched, _record, _set_status
from .port_out import _port_out_dispatched, port_out_status_changed_emit

logger = logging.getLogger(__name__)

OUTCOMES = ("recovered", "redispatched", "withdrawn", "released", "manual", "unresolved", "errors")


def port_dispatch_claims_sweep(*, limit: int = 100) -> dict:
    """Settle every dispatch claim older than PORT_DISPATCH_CLAIM_SECONDS (beat task and command)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    cutoff = timezone.now() - timedelta(seconds=settings.ORBIT["PORT_DISPATCH_CLAIM_SECONDS"])
    for model, settle in ((PortRequest, _settle_port_in), (PortOutRequest, _settle_port_out)):
        stale = (model.objects.exclude(dispatch_token="").filter(dispatch_claimed_at__lt=cutoff)
                 .order_by("dispatch_claimed_at", "id").values_list("pk", flat=True)[:limit])
        for pk in list(stale):
            try:
                token = _take_over(model, pk, cutoff)
                if token is not None:
                    counts[settle(pk, token)] += 1
            except Exception:  # one request must not stop the sweep; its claim is retried later
                counts["errors"] += 1
                logger.warning("Settling the stale dispatch of %s failed", pk, exc_info=True)
    return counts


def _take_over(model: type[DispatchClaim], pk: str, cutoff) -> str | None:
    with transaction.atomic():
        request = (model.objects.select_for_update(of=("self",), skip_locked=True)
                   .filter(pk=pk, dispatch_claimed_at__lt=cutoff).exclude(dispatch_token="").first())
        if request is None:  # finished or taken over meanwhile
            return None
        request.dispatch_token, request.dispatch_claimed_at = uuid.uuid4().hex, timezone.now()
        request.save(update_fields=[*CLAIM_FIELDS, "updated_at"])
        return request.dispatch_token


def _has_porting_api(adapter: CarrierAdapter, method: str) -> bool:
    return getattr(type(adapter), method) is not getattr(CarrierAdapter, method)


def _release_noted(model: type[DispatchClaim], pk: str, token: str, action: str) -> str:
    def undo(request) -> None:
        request.save(update_fields=[*dispatch_release(request), "updated_at"])
        if isinstance(request, PortRequest):
            _record(request, request.status, f"The {action} was interrupted; nothing changed. Try it again.")
        audit_record(action=f"{'port_in' if isinstance(request, PortRequest) else 'port_out'}.dispatch_released",
                     organization=request.organization, target=request, after={"interrupted": action})

    release_dispatch(model, pk, token, undo=undo)
    return "released"


def _settle_port_in(pk: str, token: str) -> str:
    port_request = PortRequest.objects.get(pk=pk)
    if port_request.dispatch_action != DispatchAction.CREATE:
        return _release_noted(PortRequest, pk, token, port_request.dispatch_action)
    adapter = get_adapter(port_request.provider)
    if not _has_porting_api(adapter, "create_port_in"):
        order = None
    else:
        try:
            order = adapter.find_port_in(customer_reference=pk)
        except ProviderError as exc:
            if exc.provider_code != "NOT_SUPPORTED":
                raise
            return _port_in_to_manual(pk, token)
    if order is not None:
        _dispatched(pk, token, order, acting_user=None, action="port_in.dispatch_recovered")
        return "recovered"
    try:
        _dispatch(pk, token, action="port_in.dispatch_retried")
    except Conflict:  # refused (claim released, request back in LoA review) or no answer (claim kept)
        logger.warning("Re-dispatching port-in %s failed", pk, exc_info=True)
        return "unresolved"
    return "redispatched"


def _port_in_to_manual(pk: str, token: str) -> str:
    with transaction.atomic():
        port_request = dispatch_lock(PortRequest, pk, token)
        port_request.handling = PortRequest.Handling.MANUAL
        port_request.dispatched_at = timezone.now()
        port_request.save(update_fields=[*dispatch_release(port_request), "handling", "dispatched_at",
                                         "updated_at"])
        _set_status(port_request, PortStatus.CARRIER_REVIEW,
                    f"The dispatch to {port_request.provider} was interrupted and the carrier cannot be asked for "
                    f"our reference: operations look up {pk} in the carrier's portal and record its order, or "
                    f"file the port by hand.")
        audit_record(action="port_in.dispatch_manual", organization=port_request.organization, target=port_request,
                     after={"status": port_request.status, "handling": port_request.handling})
    return "manual"


def _settle_port_out(pk: str, token: str) -> str:
    port_out = PortOutRequest.objects.get(pk=pk)
    if port_out.dispatch_action != DispatchAction.CREATE:
        return _release_noted(PortOutRequest, pk, token, port_out.dispatch_action)
    adapter = get_adapter(port_out.provider)
    order = None
    if _has_porting_api(adapter, "create_port_out"):
        numbers = sorted(port_out.lines.values_list("e164", flat=True))
        try:
            order = adapter.find_port_out(customer_reference=pk, numbers=numbers)
        except ProviderError as exc:
            if exc.provider_code != "NOT_SUPPORTED":
                raise
            logger.error("Port-out %s: the dispatch was interrupted and %s cannot be asked whether it holds the "
                         "order; operations check the carrier for %s", pk, port_out.provider, pk)
            return "unresolved"
    with transaction.atomic():
        if order is not None:
            port_out = _port_out_dispatched(pk, token, order)
            audit_record(action="port_out.dispatch_recovered", organization=port_out.organization, target=port_out,
                         after={"provider_order_id": port_out.provider_order_id, "status": port_out.status})
            return "recovered"
        port_out = dispatch_lock(PortOutRequest, pk, token)
        dispatch_release(port_out)
        numbers_restore_after_port_out(previous={line.owned_number_id: line.previous_status
                                                 for line in port_out.lines.all()})
        previous, port_out.status = port_out.status, PortOutStatus.REJECTED
        port_out.reject_code = "NOT_DISPATCHED"
        port_out.reject_reason = ("The carrier never received this port-out (its submission was interrupted); "
                                  "submit it again.")
        port_out.save()
        port_out_status_changed_emit(port_out, previous=previous)
        audit_record(action="port_out.dispatch_withdrawn", organization=port_out.organization, target=port_out,
                     after={"status": port_out.status, "reject_code": port_out.reject_code})
    return "withdrawn"
