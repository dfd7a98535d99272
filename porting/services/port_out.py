"""Port-outs (one number or a batch on one provider): submit behind the PIN gate, carrier
progress, cancel (numbers back to their earlier status)."""
from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from inventory.models import OwnedNumber
from inventory.providers import get_adapter
from inventory.providers.base import PortOrder
from inventory.services import (numbers_mark_porting_out, numbers_release_ported_out,
                                numbers_restore_after_port_out)
from orbit_numbers.api.idempotency import idempotency_effect_commit
from orbit_numbers.errors import Conflict, NotFound, ProviderError, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import PORT_OUT_OPEN, DispatchAction, PortOutNumber, PortOutRequest, PortOutStatus
from ._common import abandon_dispatch, release_dispatch
from ._dispatch import (dispatch_claim, dispatch_lock, dispatch_release, lock_for_change, lock_if_unchanged,
                        refuse_while_dispatching)
from .protection import port_out_pins_check

_CARRIER_TO_PORT_OUT = {
    "submitted": PortOutStatus.PENDING, "carrier_review": PortOutStatus.PENDING,
    "foc_assigned": PortOutStatus.FOC_SCHEDULED, "foc_scheduled": PortOutStatus.FOC_SCHEDULED,
    "completed": PortOutStatus.COMPLETED, "rejected": PortOutStatus.REJECTED,
    "cancelled": PortOutStatus.CANCELLED,
}


# ---------------------------------------------------------------------------------------------
# Port-out
# ---------------------------------------------------------------------------------------------


def _apply_port_out_order(port_out: PortOutRequest, order: PortOrder) -> bool:
    port_out.provider_status = order.status[:50]
    port_out.last_polled_at = timezone.now()
    if order.foc_date:
        port_out.foc_date = order.foc_date
    new = _CARRIER_TO_PORT_OUT.get(order.status)
    changed = new is not None and new != port_out.status and port_out.status in PORT_OUT_OPEN
    previous = port_out.status
    if changed and new == PortOutStatus.PENDING and port_out.status == PortOutStatus.FOC_SCHEDULED:
        changed = False  # stages never move backwards
    if changed:
        lines = list(port_out.lines.all())
        if new == PortOutStatus.COMPLETED:
            released = numbers_release_ported_out(number_ids=[line.owned_number_id for line in lines])
            port_out.completed_at = port_out.last_polled_at
            for number in released:
                audit_record(action="number.port_out", organization=port_out.organization, target=number,
                             after={"status": number.status, "port_out_id": port_out.id,
                                    "destination_carrier": port_out.destination_carrier})
        elif new in (PortOutStatus.REJECTED, PortOutStatus.CANCELLED):
            numbers_restore_after_port_out(previous={line.owned_number_id: line.previous_status for line in lines})
            if new == PortOutStatus.REJECTED:
                port_out.reject_code = (order.reject_code or "OTHER")[:50]
                port_out.reject_reason = (order.reject_reason or "")[:1000]
            else:
                port_out.cancelled_at = port_out.last_polled_at
        port_out.status = new
    port_out.save()
    if changed:
        port_out_status_changed_emit(port_out, previous=previous)
    return changed


def port_out_status_changed_emit(port_out: PortOutRequest, *, previous: str) -> None:
    """port_out.status_changed, in the caller's transaction (every transition goes through here)."""
    webhook_event_emit(organization=port_out.organization, event_type="port_out.status_changed",
                       data={"port_out_id": port_out.pk, "status": port_out.status, "previous_status": previous})


def port_out_submit(*, organization: Organization, numbers: list[OwnedNumber], port_out_pin: str | None,
                    destination_carrier: str = "", target_carrier_ocn: str = "", losing_carrier_account_number: str = "",
                    authorized_person: str = "", new_owner_info: str = "", acting_key: ApiKey | None = None,
                    acting_user=None) -> PortOutRequest:
    """Port numbers away. The PIN gate runs (and records failures) before anything else. Then, each
    in its own short transaction: the numbers move to porting_out under a claimed request; the
    carrier order is placed with no transaction open; the order is recorded (the idempotent
    effect). A refusal puts the numbers back and leaves no request."""
    providers = sorted({n.phone_number.provider for n in numbers})
    if len(providers) > 1:
        raise ValidationFailed.field("numbers", f"must all be hosted on the same provider (found "
                                                f"{', '.join(providers)})")
    port_out_pins_check(organization=organization, numbers=numbers, pin=port_out_pin, acting_key=acting_key,
                        acting_user=acting_user)
    provider = providers[0]
    with transaction.atomic():
        previous = numbers_mark_porting_out(number_ids=[n.pk for n in numbers])
        port_out = PortOutRequest.objects.create(
            organization=organization, provider=provider, destination_carrier=destination_carrier,
            target_carrier_ocn=target_carrier_ocn, losing_carrier_account_number=losing_carrier_account_number,
            authorized_person=authorized_person, new_owner_info=new_owner_info,
            dispatch_token=uuid.uuid4().hex, dispatch_action=DispatchAction.CREATE, dispatch_claimed_at=timezone.now())
        PortOutNumber.objects.bulk_create([
            PortOutNumber(port_out=port_out, owned_number=n, e164=n.e164, previous_status=previous[n.pk])
            for n in sorted(numbers, key=lambda n: n.e164)])
    token, e164s = port_out.dispatch_token, sorted(n.e164 for n in numbers)
    try:
        order = get_adapter(provider).create_port_out(numbers=e164s, details={
            "customer_reference": port_out.id, "destination_carrier": destination_carrier,
            "target_carrier_ocn": target_carrier_ocn, "authorized_person": authorized_person,
            "losing_carrier_account_number": losing_carrier_account_number, "new_owner_info": new_owner_info})
    except ProviderError as exc:
        if exc.retryable:
            # No answer is not a refusal: the stale-dispatch sweep asks the carrier and settles it.
            raise Conflict(f"The carrier did not answer: {exc.message}. Port-out {port_out.id} is checked with the "
                           f"carrier within minutes.", details={"provider": provider,
                                                                "provider_code": exc.provider_code or ""}) from None
        release_dispatch(PortOutRequest, port_out.pk, token, undo=_port_out_withdraw)
        raise Conflict(f"The carrier refused the port-out: {exc.message}",
                       details={"provider": provider, "provider_code": exc.provider_code or ""}) from None
    try:
        with transaction.atomic():
            port_out = _port_out_dispatched(port_out.pk, token, order)
            audit_record(action="port_out.submit", organization=organization, acting_key=acting_key,
                         acting_user=acting_user, target=port_out, after={
                             "numbers": e164s, "provider": provider, "provider_order_id": port_out.provider_order_id,
                             "status": port_out.status, "destination_carrier": destination_carrier,
                             "target_carrier_ocn": target_carrier_ocn, "authorized_person": authorized_person})
            idempotency_effect_commit(port_out)
            return port_out
    except Exception:
        abandon_dispatch(PortOutRequest, port_out.pk, token, provider, order.provider_order_id, port_out=True,
                         undo=_port_out_withdraw)
        raise


def _port_out_dispatched(port_out_id: str, token: str, order: PortOrder) -> PortOutRequest:
    """Record the carrier's order on the claimed request (inside the caller's transaction)."""
    port_out = dispatch_lock(PortOutRequest, port_out_id, token)
    dispatch_release(port_out)
    port_out.provider_order_id = order.provider_order_id
    _apply_port_out_order(port_out, order)  # saves the whole row
    return port_out


def _port_out_withdraw(port_out: PortOutRequest) -> None:
    """No carrier order: the numbers go back to what they were and the request disappears, as if
    it had never been submitted."""
    numbers_restore_after_port_out(previous={line.owned_number_id: line.previous_status
                                             for line in port_out.lines.all()})
    port_out.delete()


def _lock_port_out(organization: Organization | None, port_out_id: str) -> PortOutRequest:
    return lock_for_change(PortOutRequest, port_out_id, organization=organization)


def port_out_refresh(*, port_out_id: str, organization: Organization | None = None,
                     acting_key: ApiKey | None = None, acting_user=None, skip_locked: bool = False) -> PortOutRequest:
    """Ask the carrier for news with no transaction open; apply it only if the port-out is still
    where it was (``skip_locked``: the poller leaves a row another worker holds to it)."""
    query = PortOutRequest.objects.filter(pk=port_out_id)
    if organization is not None:
        query = query.filter(organization=organization)
    port_out = query.first()
    if port_out is None:
        raise NotFound()
    refuse_while_dispatching(port_out)
    if port_out.status not in PORT_OUT_OPEN:
        raise Conflict(f"The port-out is {port_out.status}; there is nothing to refresh.")
    try:
        order = get_adapter(port_out.provider).port_out_status(provider_order_id=port_out.provider_order_id)
    except ProviderError as exc:
        raise Conflict(f"The carrier did not answer: {exc.message}. Try again later.",
                       details={"provider": port_out.provider, "provider_code": exc.provider_code or ""}) from None
    with transaction.atomic():
        locked = lock_if_unchanged(port_out, skip_locked=skip_locked)
        if locked is None:
            return PortOutRequest.objects.get(pk=port_out.pk)
        before = locked.status
        if _apply_port_out_order(locked, order):
            audit_record(action="port_out.status", organization=locked.organization, acting_key=acting_key,
                         acting_user=acting_user, target=locked, before={"status": before},
                         after={"status": locked.status, "provider_status": locked.provider_status})
        return locked


def port_out_cancel(*, organization: Organization, port_out_id: str, acting_key: ApiKey | None = None,
                    acting_user=None) -> PortOutRequest:
    """Cancel an open port-out: the carrier order is withdrawn (between a claim and the
    transaction that records it) and the numbers go back to the status they had."""
    with transaction.atomic():
        port_out = _lock_port_out(organization, port_out_id)
        if port_out.status not in PORT_OUT_OPEN:
            raise Conflict(f"The port-out is already {port_out.status}.")
        token = dispatch_claim(port_out, DispatchAction.CANCEL)
    try:
        get_adapter(port_out.provider).cancel_port_out(provider_order_id=port_out.provider_order_id)
    except ProviderError as exc:
        release_dispatch(PortOutRequest, port_out_id, token)
        raise Conflict(f"The carrier refused the cancellation: {exc.message}",
                       details={"provider": port_out.provider, "provider_code": exc.provider_code or ""}) from None
    try:
        with transaction.atomic():
            port_out = dispatch_lock(PortOutRequest, port_out_id, token)
            dispatch_release(port_out)
            _apply_port_out_order(port_out, PortOrder(provider_order_id=port_out.provider_order_id,
                                                      status="cancelled"))
            audit_record(action="port_out.cancel", organization=organization, acting_key=acting_key,
                         acting_user=acting_user, target=port_out, after={"status": port_out.status})
            idempotency_effect_commit(port_out)
            return port_out
    except Exception:
        release_dispatch(PortOutRequest, port_out_id, token)
        raise
