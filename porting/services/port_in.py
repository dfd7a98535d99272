"""Port-in requests: submit, LoA upload and signature, staff LoA review and carrier dispatch,
carrier progress and completion (numbers activated and billed), supplement and cancel."""
from __future__ import annotations

import logging
from datetime import date, timedelta

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing.models import LedgerEntry
from billing.services import Charge, wallet_charge, wallet_lock
from inventory.models import OwnedNumber
from inventory.providers import get_adapter, porting_provider_for
from inventory.providers.base import PortOrder
from inventory.services import ported_number_activate
from orbit_numbers.api.idempotency import idempotency_effect_commit
from orbit_numbers.errors import Conflict, NotFound, ProviderError, ValidationFailed
from orbit_numbers.files.models import StoredFile
from orbit_numbers.files.services import file_read, file_resolve_signed_url, file_store
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record
from orbit_numbers.webhooks.services import webhook_event_emit

from .. import pins
from ..models import (CARRIER_STAGES, PORT_IN_STAGES, DispatchAction, LoaSignatureStatus, PortInNumber,
                      PortRequest, PortRequestEvent, PortStatus)
from ..reject_codes import REJECT_CODES, explain
from ..selectors import PORT_IN_BLOCKER_REASONS, port_in_blockers
from ._common import abandon_dispatch, number_country, release_dispatch
from ._dispatch import (CLAIM_FIELDS, dispatch_claim, dispatch_lock, dispatch_release, lock_for_change,
                        lock_if_unchanged, refuse_while_dispatching)

logger = logging.getLogger(__name__)

# Carrier stage names → port-in statuses (adapters speak the timeline words already).
_CARRIER_TO_STATUS = {
    "submitted": PortStatus.CARRIER_REVIEW, "carrier_review": PortStatus.CARRIER_REVIEW,
    "foc_assigned": PortStatus.FOC_ASSIGNED, "foc_scheduled": PortStatus.FOC_SCHEDULED,
    "completed": PortStatus.COMPLETED, "rejected": PortStatus.REJECTED, "cancelled": PortStatus.CANCELLED,
}


def supplement_deadline(port_request: PortRequest):
    if port_request.rejected_at is None:
        return None
    return port_request.rejected_at + timedelta(days=settings.ORBIT["PORT_SUPPLEMENT_WINDOW_DAYS"])


def _record(port_request: PortRequest, status: str, note: str = "") -> None:
    PortRequestEvent.objects.create(port_request=port_request, status=status, note=note[:1000])


def _set_status(port_request: PortRequest, status: str, note: str = "", *, fields: tuple = ()) -> None:
    previous = port_request.status
    port_request.status = status
    port_request.save(update_fields=["status", "updated_at", *fields])
    _record(port_request, status, note)
    if previous != status:  # every transition, whoever makes it (customer, staff, carrier, sweep)
        webhook_event_emit(organization=port_request.organization, event_type="porting.status_changed",
                           data={"port_request_id": port_request.pk, "status": status, "previous_status": previous})


def _lock(organization: Organization | None, port_request_id: str) -> PortRequest:
    return lock_for_change(PortRequest, port_request_id, organization=organization)


def _check_numbers_country(numbers: list[str], country: str, field: str = "numbers") -> None:
    foreign = [n for n in numbers if number_country(n) != country]
    if foreign:
        raise ValidationFailed.field(field, f"not {country} numbers: {', '.join(foreign)}")


def _snapshot(port_request: PortRequest) -> dict:
    """The audited view of a request: never the account PIN."""
    return {
        "status": port_request.status, "numbers": list(port_request.numbers), "country": port_request.country,
        "provider": port_request.provider, "current_carrier": port_request.current_carrier,
        "account_number": port_request.account_number, "account_pin_provided": port_request.account_pin_provided,
        "authorized_signer": port_request.authorized_signer, "loa_file_id": port_request.loa_file_id,
        "loa_signature_status": port_request.loa_signature_status,
    }


def _refuse_blocked(organization: Organization, numbers: list[str]) -> None:
    """409 when Orbit will not port some of the numbers in: named for the organisation's own
    numbers and ports, "not eligible" for another organisation's (never which one or why)."""
    blockers = port_in_blockers(organization=organization, numbers=numbers)
    if blockers:
        blocked = sorted(blockers)
        reasons = "; ".join(f"{e164}: {PORT_IN_BLOCKER_REASONS[blockers[e164]]}" for e164 in blocked)
        raise Conflict(f"Cannot port in {reasons}", details={
            "numbers": ", ".join(blocked), "reasons": {e164: blockers[e164] for e164 in blocked}})


def _release_expired_rejections(numbers: list[str]) -> None:
    """Rejected requests whose supplement window has closed no longer hold their numbers."""
    cutoff = timezone.now() - timedelta(days=settings.ORBIT["PORT_SUPPLEMENT_WINDOW_DAYS"])
    PortInNumber.objects.filter(e164__in=numbers, active=True, port_request__status=PortStatus.REJECTED,
                                port_request__rejected_at__lt=cutoff).update(active=False)


# ---------------------------------------------------------------------------------------------
# Port-in: submission and LoA
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def port_request_submit(*, organization: Organization, numbers: list[str], current_carrier: str,
                        country: str = "", loa_file_url: str = "", account_number: str = "",
                        account_pin: str = "", authorized_signer: str = "", service_address: dict | None = None,
                        acting_key: ApiKey | None = None, acting_user=None) -> PortRequest:
    """Store a port-in. With a signed LoA URL it waits for staff LoA review (validating_loa);
    without one it is in manual mode (attach and sign the LoA later). Without a country it is
    kept for hand-processing and never dispatched automatically."""
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed.field("numbers", "contains duplicates")
    if country:
        _check_numbers_country(numbers, country)
    loa_file = file_resolve_signed_url(url=loa_file_url, organization=organization,
                                       purpose=StoredFile.Purpose.LOA) if loa_file_url else None
    _release_expired_rejections(numbers)
    _refuse_blocked(organization, numbers)

    now = timezone.now()
    port_request = PortRequest(
        organization=organization, numbers=numbers, country=country,
        provider=porting_provider_for(country) if country else "", current_carrier=current_carrier,
        account_number=account_number, account_pin_encrypted=pins.account_pin_encrypt(account_pin),
        authorized_signer=authorized_signer, service_address=service_address or None, loa_file=loa_file,
        loa_mode=PortRequest.LoaMode.LOA_URL if loa_file else PortRequest.LoaMode.MANUAL)
    if loa_file is not None:
        # A LoA uploaded through our files endpoint and submitted by the customer is their signed LoA.
        port_request.loa_signature_status = LoaSignatureStatus.SIGNED
        port_request.loa_signer_name = authorized_signer
        port_request.loa_signed_at = now
    port_request.save(force_insert=True)

    try:
        with transaction.atomic():
            PortInNumber.objects.bulk_create([PortInNumber(port_request=port_request, e164=n) for n in numbers])
    except IntegrityError:
        # A concurrent submission opened a port of one of these numbers since the check above.
        _refuse_blocked(organization, numbers)
        raise Conflict("A number is not eligible to port to Orbit.") from None

    mode = port_request.loa_mode
    _record(port_request, PortStatus.SUBMITTED,
            ("Stored for hand-processing (no country). " if not country else "") + f"LoA mode: {mode}.")
    if loa_file is not None:
        _set_status(port_request, PortStatus.VALIDATING_LOA, "Waiting for LoA review.")
    audit_record(action="port_in.submit", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=port_request, after={**_snapshot(port_request), "mode": mode})
    return port_request


_LOA_EDITABLE = (PortStatus.SUBMITTED, PortStatus.VALIDATING_LOA, PortStatus.REJECTED)


@transaction.atomic
def port_request_loa_upload(*, organization: Organization, port_request_id: str, upload,
                            acting_key: ApiKey | None = None, acting_user=None) -> PortRequest:
    """Attach (or replace) the LoA artefact; it is a draft until signed."""
    port_request = _lock(organization, port_request_id)
    if port_request.status not in _LOA_EDITABLE:
        raise Conflict(f"The LoA cannot change while the request is {port_request.status}.")
    stored = file_store(organization=organization, upload=upload, purpose=StoredFile.Purpose.LOA,
                        acting_key=acting_key, acting_user=acting_user)
    port_request.loa_file = stored
    port_request.loa_signature_status = LoaSignatureStatus.DRAFT
    port_request.loa_signer_name, port_request.loa_signer_email, port_request.loa_signed_at = "", "", None
    port_request.save(update_fields=["loa_file", "loa_signature_status", "loa_signer_name", "loa_signer_email",
                                     "loa_signed_at", "updated_at"])
    if port_request.status == PortStatus.VALIDATING_LOA:
        _set_status(port_request, PortStatus.SUBMITTED, "LoA replaced; waiting for signature.")
    audit_record(action="port_in.loa_upload", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=port_request,
                 after={"loa_file_id": stored.id, "loa_signature_status": port_request.loa_signature_status})
    return port_request


@transaction.atomic
def port_request_loa_sign(*, organization: Organization, port_request_id: str, signer_name: str,
                          signer_email: str, acting_key: ApiKey | None = None, acting_user=None) -> PortRequest:
    port_request = _lock(organization, port_request_id)
    if port_request.status not in _LOA_EDITABLE:
        raise Conflict(f"The LoA cannot change while the request is {port_request.status}.")
    if port_request.loa_file_id is None:
        raise Conflict("Upload the LoA (POST …/loa) before signing it.")
    if port_request.loa_signature_status == LoaSignatureStatus.SIGNED:
        raise Conflict("The LoA is already signed.")
    port_request.loa_signature_status = LoaSignatureStatus.SIGNED
    port_request.loa_signer_name, port_request.loa_signer_email = signer_name, signer_email
    port_request.loa_signed_at = timezone.now()
    if not port_request.authorized_signer:
        port_request.authorized_signer = signer_name
    port_request.save(update_fields=["loa_signature_status", "loa_signer_name", "loa_signer_email",
                                     "loa_signed_at", "authorized_signer", "updated_at"])
    if port_request.status == PortStatus.SUBMITTED:
        _set_status(port_request, PortStatus.VALIDATING_LOA, f"LoA signed by {signer_name}; waiting for review.")
    audit_record(action="port_in.loa_sign", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=port_request,
                 after={"signer_name": signer_name, "signer_email": signer_email, "acknowledged": True})
    return port_request


# ---------------------------------------------------------------------------------------------
# Port-in: staff LoA review and carrier dispatch
# ---------------------------------------------------------------------------------------------


def _carrier_details(port_request: PortRequest) -> dict:
    loa = None
    if port_request.loa_file_id:
        loa = {"filename": f"{port_request.loa_file_id}-loa", "content_type": port_request.loa_file.content_type,
               "data": file_read(port_request.loa_file)}
    return {
        "customer_reference": port_request.id, "country": port_request.country,
        "current_carrier": port_request.current_carrier, "account_number": port_request.account_number,
        "account_pin": pins.account_pin_decrypt(port_request.account_pin_encrypted),
        "authorized_signer": port_request.authorized_signer, "service_address": port_request.service_address or {},
        "loa": loa,
    }


def port_request_loa_approve(*, port_request_id: str, acting_user, country: str = "", note: str = "") -> PortRequest:
    """Staff approve the LoA: the request goes to its carrier (carrier_review). The review and a
    dispatch claim commit first, the carrier order is placed with no transaction open, and its
    answer is applied in a second short transaction (see ``_dispatch``)."""
    with transaction.atomic():
        port_request = _lock(None, port_request_id)
        if port_request.status != PortStatus.VALIDATING_LOA:
            raise Conflict(f"Only requests validating their LoA can be approved (this one is "
                           f"{port_request.status}).")
        if port_request.loa_signature_status != LoaSignatureStatus.SIGNED:
            raise Conflict("The LoA is not signed yet.")
        country = (port_request.country or country or "").upper()
        if not country:
            raise ValidationFailed.field("country", "is required for a request stored without one")
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationFailed.field("country", "must be an ISO 3166-1 alpha-2 country code")
        _check_numbers_country(list(port_request.numbers), country, "country")
        port_request.country = country
        port_request.provider = porting_provider_for(country)
        port_request.reviewed_by, port_request.reviewed_at = acting_user, timezone.now()
        port_request.review_note = note[:1000]
        token = dispatch_claim(port_request, DispatchAction.CREATE,
                               fields=("country", "provider", "reviewed_by", "reviewed_at", "review_note"))
    return _dispatch(port_request_id, token, acting_user=acting_user)


def _dispatch(port_request_id: str, token: str, *, acting_user=None, action: str = "port_in.loa_approve"
              ) -> PortRequest:
    """Place the carrier order of a request claimed with ``token`` (no transaction open). A
    carrier without a porting API (DIDWW) is handled by staff through the carrier's portal: the
    request waits in carrier_review in manual handling."""
    port_request = PortRequest.objects.select_related("loa_file").get(pk=port_request_id)
    try:
        order = get_adapter(port_request.provider).create_port_in(numbers=list(port_request.numbers),
                                                                  details=_carrier_details(port_request))
    except ProviderError as exc:
        if exc.provider_code == "NOT_SUPPORTED":
            return _dispatched(port_request_id, token, None, acting_user=acting_user, action=action)
        if exc.retryable:
            # No answer is not a refusal: the carrier may hold the order. The claim stays, and the
            # stale-dispatch sweep asks the carrier by our reference and settles it.
            raise Conflict(f"The carrier did not answer: {exc.message}. The request is checked with the carrier "
                           f"within minutes.", details={"provider": port_request.provider,
                                                        "provider_code": exc.provider_code or ""}) from None
        with transaction.atomic():
            port_request = dispatch_lock(PortRequest, port_request_id, token)
            port_request.save(update_fields=[*dispatch_release(port_request), "updated_at"])
            _record(port_request, PortStatus.VALIDATING_LOA, f"The carrier refused the order: {exc.message}")
        raise Conflict(f"The carrier refused the port-in: {exc.message}",
                       details={"provider": port_request.provider, "provider_code": exc.provider_code or ""}
                       ) from None
    try:
        return _dispatched(port_request_id, token, order, acting_user=acting_user, action=action)
    except Exception:
        abandon_dispatch(PortRequest, port_request_id, token, port_request.provider, order.provider_order_id)
        raise


def _dispatched(port_request_id: str, token: str, order: PortOrder | None, *, acting_user, action: str
                ) -> PortRequest:
    """Phase 3 of a dispatch: the carrier's answer (None: no porting API) under the claim."""
    with transaction.atomic():
        port_request = dispatch_lock(PortRequest, port_request_id, token)
        before = _snapshot(port_request)
        port_request.dispatched_at = timezone.now()
        port_request.handling = PortRequest.Handling.API if order else PortRequest.Handling.MANUAL
        if order is not None:
            port_request.provider_order_id = order.provider_order_id
        port_request.save(update_fields=[*dispatch_release(port_request), "handling", "provider_order_id",
                                         "dispatched_at", "updated_at"])
        _record(port_request, PortStatus.VALIDATING_LOA,
                f"LoA approved by {port_request.reviewed_by}. {port_request.review_note}".strip())
        if order is None:
            _set_status(port_request, PortStatus.CARRIER_REVIEW,
                        f"{port_request.provider} has no porting API: operations file the port by hand.")
        else:
            _set_status(port_request, PortStatus.CARRIER_REVIEW, f"Sent to {port_request.provider}.")
            _apply_carrier_order(port_request, order)
        audit_record(action=action, organization=port_request.organization, acting_user=acting_user,
                     target=port_request, before=before,
                     after={**_snapshot(port_request), "review_note": port_request.review_note,
                            "provider_order_id": port_request.provider_order_id, "handling": port_request.handling})
        return port_request


@transaction.atomic
def port_request_loa_reject(*, port_request_id: str, acting_user, code: str, note: str = "") -> PortRequest:
    """Staff reject the LoA with a reason code; the customer has the supplement window to fix it."""
    if code not in REJECT_CODES:
        raise ValidationFailed.field("code", "unknown reject code")
    port_request = _lock(None, port_request_id)
    if port_request.status != PortStatus.VALIDATING_LOA:
        raise Conflict(f"Only requests validating their LoA can be rejected (this one is {port_request.status}).")
    before = _snapshot(port_request)
    now = timezone.now()
    port_request.reject_code, port_request.reject_reason = code, note[:1000]
    port_request.rejected_by, port_request.rejected_at = PortRequest.RejectedBy.STAFF, now
    port_request.reviewed_by, port_request.reviewed_at, port_request.review_note = acting_user, now, note[:1000]
    _set_status(port_request, PortStatus.REJECTED, f"LoA rejected ({code}). {note}".strip(),
                fields=("reject_code", "reject_reason", "rejected_by", "rejected_at", "reviewed_by", "reviewed_at",
                        "review_note"))
    audit_record(action="port_in.loa_reject", organization=port_request.organization, acting_user=acting_user,
                 target=port_request, before=before, after={"status": port_request.status, "code": code,
                                                            "note": note})
    return port_request


# ---------------------------------------------------------------------------------------------
# Port-in: carrier progress and completion
# ---------------------------------------------------------------------------------------------


def _apply_carrier_order(port_request: PortRequest, order: PortOrder) -> bool:
    """Move the request to what the carrier reports. Stages only move forward; rejection and
    cancellation can come at any time. Returns True when the status changed."""
    port_request.provider_status = order.status[:50]
    port_request.last_polled_at = timezone.now()
    fields = ["provider_status", "last_polled_at", "updated_at"]
    if order.foc_date and order.foc_date != port_request.foc_date:
        port_request.foc_date = order.foc_date
        fields.append("foc_date")
    port_request.save(update_fields=fields)
    new = _CARRIER_TO_STATUS.get(order.status)
    current = port_request.status
    if new is None or new == current or current in (PortStatus.COMPLETED, PortStatus.CANCELLED):
        return False
    if new == PortStatus.REJECTED:
        if current == PortStatus.REJECTED:
            return False
        port_request.reject_code = (order.reject_code or "OTHER")[:50]
        port_request.reject_reason = (order.reject_reason or "")[:1000]
        port_request.rejected_by, port_request.rejected_at = PortRequest.RejectedBy.CARRIER, timezone.now()
        _set_status(port_request, PortStatus.REJECTED, f"Carrier rejected: {port_request.reject_code}.",
                    fields=("reject_code", "reject_reason", "rejected_by", "rejected_at"))
        return True
    if new == PortStatus.CANCELLED:
        _port_request_cancelled(port_request, "Cancelled at the carrier.")
        return True
    if current == PortStatus.REJECTED or PORT_IN_STAGES.index(new) <= PORT_IN_STAGES.index(current):
        return False
    if new == PortStatus.COMPLETED:
        _port_request_complete(port_request)
    else:
        note = f"FOC date {port_request.foc_date.isoformat()}." if port_request.foc_date else ""
        _set_status(port_request, new, note)
    return True


def _port_request_cancelled(port_request: PortRequest, note: str) -> None:
    port_request.cancelled_at = timezone.now()
    _set_status(port_request, PortStatus.CANCELLED, note, fields=("cancelled_at",))
    port_request.lines.update(active=False)


def _port_request_complete(port_request: PortRequest) -> None:
    """The numbers are ours: they become the organisation's active, billed numbers.

    Billing choice: the first month of each number is charged at completion. If the wallet
    cannot cover it then, the port still completes (the carrier has already moved the
    numbers; refusing would strand them) and the request is marked charge_status=deferred,
    audited and visible to staff, who collect it with the next top-up."""
    organization = port_request.organization
    now = timezone.now()
    lines = list(port_request.lines.order_by("e164"))
    owned = []
    for line in lines:
        number = ported_number_activate(organization=organization, e164=line.e164,
                                        provider=port_request.provider or "devotel",
                                        provider_order_id=port_request.provider_order_id or port_request.id)
        line.owned_number, line.active = number, False
        owned.append(number)
    PortInNumber.objects.bulk_update(lines, ["owned_number", "active"])

    total = sum(n.monthly_cents for n in owned)
    wallet = wallet_lock(organization=organization)
    if total <= wallet.balance_cents:
        wallet_charge(organization=organization, wallet=wallet, charges=[
            Charge(LedgerEntry.Kind.MONTHLY_FEE, n.monthly_cents, f"First month {n.e164} (ported in)",
                   f"number:{n.id}") for n in owned])
        port_request.charge_status = PortRequest.ChargeStatus.CHARGED
    else:
        port_request.charge_status = PortRequest.ChargeStatus.DEFERRED
        # The first month was not paid: the next renewal run collects it (or, unpaid past the
        # grace period, releases the numbers).
        OwnedNumber.objects.filter(pk__in=[n.pk for n in owned]).update(paid_until=F("created_at"))
        audit_record(action="port_in.charge_deferred", organization=organization, target=port_request,
                     after={"amount_cents": total, "balance_cents": wallet.balance_cents})
    port_request.completed_at = now
    _set_status(port_request, PortStatus.COMPLETED, f"{len(owned)} number(s) active on Orbit.",
                fields=("completed_at", "charge_status"))
    for number in owned:
        audit_record(action="number.port_in", organization=organization, target=number,
                     after={"e164": number.e164, "status": number.status, "port_request_id": port_request.id,
                            "monthly_cents": number.monthly_cents})
        webhook_event_emit(organization=organization, event_type="number.ported", data={
            "number_id": number.id, "phone_number": number.e164, "status": number.status,
            "port_request_id": port_request.id, "ported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")})
    audit_record(action="port_in.complete", organization=organization, target=port_request,
                 after={"status": port_request.status, "numbers": [n.e164 for n in owned],
                        "charge_status": port_request.charge_status, "charged_cents": total
                        if port_request.charge_status == PortRequest.ChargeStatus.CHARGED else 0})


def port_request_refresh(*, port_request_id: str, organization: Organization | None = None,
                         acting_key: ApiKey | None = None, acting_user=None, skip_locked: bool = False
                         ) -> PortRequest:
    """Ask the carrier for news (the API's refresh, and the poller). The carrier is asked with no
    transaction open; its answer is applied only if the request is still in the state it was asked
    about. With ``skip_locked`` (the poller) a request another worker is applying is left to it."""
    query = PortRequest.objects.filter(pk=port_request_id)
    if organization is not None:
        query = query.filter(organization=organization)
    port_request = query.first()
    if port_request is None:
        raise NotFound()
    refuse_while_dispatching(port_request)
    if port_request.status not in CARRIER_STAGES:
        raise Conflict(f"The request is {port_request.status}; only requests with the carrier can be refreshed.")
    if port_request.handling != PortRequest.Handling.API or not port_request.provider_order_id:
        raise Conflict("This request is handled by hand with the carrier; operations update it as the carrier "
                       "answers.")
    try:
        order = get_adapter(port_request.provider).port_in_status(provider_order_id=port_request.provider_order_id)
    except ProviderError as exc:
        raise Conflict(f"The carrier did not answer: {exc.message}. Try again later.",
                       details={"provider": port_request.provider, "provider_code": exc.provider_code or ""}
                       ) from None
    with transaction.atomic():
        locked = lock_if_unchanged(port_request, skip_locked=skip_locked)
        if locked is None:
            return PortRequest.objects.get(pk=port_request.pk)
        before = locked.status
        if _apply_carrier_order(locked, order):
            audit_record(action="port_in.status", organization=locked.organization, acting_key=acting_key,
                         acting_user=acting_user, target=locked, before={"status": before},
                         after={"status": locked.status, "provider_status": locked.provider_status,
                                "foc_date": locked.foc_date.isoformat() if locked.foc_date else None})
        return locked


def port_request_record_carrier_update(*, port_request_id: str, acting_user, status: str,
                                       foc_date: date | None = None, reject_code: str = "", note: str = "",
                                       provider_order_id: str = "") -> PortRequest:
    """Staff record what a carrier without a porting API told them (manual handling)."""
    if status not in ("carrier_review", "foc_assigned", "foc_scheduled", "completed", "rejected", "cancelled"):
        raise ValidationFailed.field("status", "not a carrier stage")
    if status == "rejected" and not reject_code:
        raise ValidationFailed.field("reject_code", "is required for a rejection")
    with transaction.atomic():
        port_request = _lock(None, port_request_id)
        if port_request.status not in CARRIER_STAGES:
            raise Conflict(f"The request is {port_request.status}, not with the carrier.")
        before = port_request.status
        if provider_order_id:
            port_request.provider_order_id = provider_order_id[:100]
            port_request.save(update_fields=["provider_order_id", "updated_at"])
        order = PortOrder(provider_order_id=port_request.provider_order_id, status=status, foc_date=foc_date,
                          reject_code=reject_code or None, reject_reason=note or None)
        _apply_carrier_order(port_request, order)
        audit_record(action="port_in.carrier_update", organization=port_request.organization,
                     acting_user=acting_user, target=port_request, before={"status": before},
                     after={"status": port_request.status, "foc_date": foc_date.isoformat() if foc_date else None,
                            "reject_code": reject_code, "note": note})
        return port_request


# ---------------------------------------------------------------------------------------------
# Port-in: supplement and cancel (customer)
# ---------------------------------------------------------------------------------------------


def _supplementable(port_request: PortRequest) -> None:
    if port_request.status != PortStatus.REJECTED:
        raise Conflict("Only a rejected request can be supplemented.")
    deadline = supplement_deadline(port_request)
    if deadline is None or timezone.now() > deadline:
        raise Conflict(f"The {settings.ORBIT['PORT_SUPPLEMENT_WINDOW_DAYS']}-day supplement window closed on "
                       f"{deadline:%Y-%m-%d %H:%M} UTC; submit a new port request.")


def _supplement_changes(port_request: PortRequest, changes: dict, loa_file: StoredFile | None) -> None:
    """The customer's corrections, on the instance (not saved)."""
    if loa_file is not None:
        port_request.loa_file = loa_file
        port_request.loa_signature_status = LoaSignatureStatus.SIGNED
        port_request.loa_signer_name = changes.get("authorized_signer") or port_request.authorized_signer
        port_request.loa_signed_at = timezone.now()
    for field in ("current_carrier", "account_number", "authorized_signer", "service_address"):
        if field in changes:
            setattr(port_request, field, changes[field])
    if "account_pin" in changes:
        port_request.account_pin_encrypted = pins.account_pin_encrypt(changes["account_pin"])


def _supplement_apply(port_request: PortRequest, changes: dict, loa_file: StoredFile | None,
                      order: PortOrder | None, *, acting_key, acting_user) -> None:
    before = _snapshot(port_request)
    rejected_by = port_request.rejected_by
    _supplement_changes(port_request, changes, loa_file)
    port_request.supplement_count += 1
    port_request.reject_code, port_request.reject_reason, port_request.rejected_by = "", "", ""
    port_request.rejected_at = None
    port_request.save()
    changed = sorted(changes)
    note = changes.get("note", "")
    label = f"Supplement #{port_request.supplement_count} ({', '.join(c for c in changed if c != 'note') or 'no changes'})."
    if order is not None:
        if order.provider_order_id != port_request.provider_order_id:
            port_request.provider_order_id = order.provider_order_id
            port_request.save(update_fields=["provider_order_id", "updated_at"])
        _set_status(port_request, PortStatus.CARRIER_REVIEW, f"{label} {note}".strip())
        _apply_carrier_order(port_request, order)
    elif rejected_by == PortRequest.RejectedBy.CARRIER and port_request.is_dispatched:
        said = f"{label} {note}".strip()
        _set_status(port_request, PortStatus.CARRIER_REVIEW, f"{said} Operations resend it to the carrier.")
    elif port_request.loa_signature_status == LoaSignatureStatus.SIGNED:
        _set_status(port_request, PortStatus.VALIDATING_LOA, f"{label} Waiting for LoA review. {note}".strip())
    else:
        _set_status(port_request, PortStatus.SUBMITTED, f"{label} Waiting for a signed LoA. {note}".strip())
    audit_record(action="port_in.supplement", organization=port_request.organization, acting_key=acting_key,
                 acting_user=acting_user, target=port_request, before=before,
                 after={**_snapshot(port_request), "changed": changed, "note": note})


def port_request_supplement(*, organization: Organization, port_request_id: str, changes: dict,
                            acting_key: ApiKey | None = None, acting_user=None) -> PortRequest:
    """Correct a rejected request within the supplement window. The FOC clock (submitted_at)
    keeps running from the original submission. A carrier rejection of an API-handled request is
    answered at the carrier: claim, send the supplement with no transaction open, then apply the
    corrections and the carrier's answer together (nothing changes if the carrier refuses)."""
    with transaction.atomic():
        port_request = _lock(organization, port_request_id)
        _supplementable(port_request)
        loa_file = (file_resolve_signed_url(url=changes["loa_file_url"], organization=organization,
                                            purpose=StoredFile.Purpose.LOA)
                    if "loa_file_url" in changes else None)
        at_carrier = (port_request.rejected_by == PortRequest.RejectedBy.CARRIER and port_request.is_dispatched
                      and port_request.handling == PortRequest.Handling.API)
        if not at_carrier:
            _supplement_apply(port_request, changes, loa_file, None, acting_key=acting_key, acting_user=acting_user)
            idempotency_effect_commit(port_request)
            return port_request
        token = dispatch_claim(port_request, DispatchAction.SUPPLEMENT)
    provider, order_id = port_request.provider, port_request.provider_order_id
    _supplement_changes(port_request, changes, loa_file)  # what the carrier is sent; saved in phase 3
    try:
        order = get_adapter(provider).supplement_port_in(provider_order_id=order_id,
                                                         details=_carrier_details(port_request))
    except ProviderError as exc:
        release_dispatch(PortRequest, port_request_id, token)
        raise Conflict(f"The carrier refused the supplement: {exc.message}",
                       details={"provider": provider, "provider_code": exc.provider_code or ""}) from None
    try:
        with transaction.atomic():
            port_request = dispatch_lock(PortRequest, port_request_id, token)
            dispatch_release(port_request)
            _supplement_apply(port_request, changes, loa_file, order, acting_key=acting_key,
                              acting_user=acting_user)
            idempotency_effect_commit(port_request)
            return port_request
    except Exception:
        if order.provider_order_id != order_id:  # the carrier opened a new order for the supplement
            abandon_dispatch(PortRequest, port_request_id, token, provider, order.provider_order_id)
        else:
            release_dispatch(PortRequest, port_request_id, token)
        raise


def _cancel_apply(port_request: PortRequest, note: str, *, acting_key, acting_user) -> None:
    before = _snapshot(port_request)
    _port_request_cancelled(port_request, note)
    audit_record(action="port_in.cancel", organization=port_request.organization, acting_key=acting_key,
                 acting_user=acting_user, target=port_request, before=before, after={"status": port_request.status})


def port_request_cancel(*, organization: Organization, port_request_id: str, acting_key: ApiKey | None = None,
                        acting_user=None) -> PortRequest:
    """Cancel a port-in. An order open at the carrier is cancelled there first, between a claim
    and the transaction that records the cancellation."""
    note = "Cancelled by the customer."
    with transaction.atomic():
        port_request = _lock(organization, port_request_id)
        if port_request.status in (PortStatus.COMPLETED, PortStatus.CANCELLED):
            raise Conflict(f"The request is already {port_request.status}.")
        if not (port_request.provider_order_id and port_request.status != PortStatus.REJECTED):
            if port_request.handling == PortRequest.Handling.MANUAL and port_request.status in CARRIER_STAGES:
                note += " Operations cancel it with the carrier by hand."
            _cancel_apply(port_request, note, acting_key=acting_key, acting_user=acting_user)
            idempotency_effect_commit(port_request)
            return port_request
        token = dispatch_claim(port_request, DispatchAction.CANCEL)
    try:
        get_adapter(port_request.provider).cancel_port_in(provider_order_id=port_request.provider_order_id)
    except ProviderError as exc:
        if exc.provider_code != "NOT_SUPPORTED":
            release_dispatch(PortRequest, port_request_id, token)
            raise Conflict(f"The carrier refused the cancellation: {exc.message}",
                           details={"provider": port_request.provider,
                                    "provider_code": exc.provider_code or ""}) from None
        note += " Operations cancel it with the carrier by hand."
    try:
        with transaction.atomic():
            port_request = dispatch_lock(PortRequest, port_request_id, token)
            dispatch_release(port_request)
            port_request.save(update_fields=[*CLAIM_FIELDS, "updated_at"])
            _cancel_apply(port_request, note, acting_key=acting_key, acting_user=acting_user)
            idempotency_effect_commit(port_request)
            return port_request
    except Exception:
        release_dispatch(PortRequest, port_request_id, token)
        raise


def reject_details(port_request: PortRequest) -> dict | None:
    if port_request.status != PortStatus.REJECTED:
        return None
    entry = explain(port_request.reject_code)
    deadline = supplement_deadline(port_request)
    return {"code": entry.code, "explanation": entry.explanation, "recommendedAction": entry.action,
            "carrierNote": port_request.reject_reason, "rejectedBy": port_request.rejected_by,
            "rejectedAt": port_request.rejected_at, "supplementDeadline": deadline,
            "canSupplement": deadline is not None and timezone.now() <= deadline}
