"""E911 writes: dispatchable addresses (validated by the carrier before they are stored) and their
provisioning on numbers (recorded pending, sent to the carrier after commit, the answer applied).

Carrier calls never run inside a transaction:

- create an address: validate at the carrier first (no transaction), then store the normalised form;
- attach / detach / staff retry: one transaction records the request (``pending`` or ``removing``,
  with a new ``request_token``) and queues ``inventory.tasks.provision_emergency_address`` on commit;
  the task calls the carrier with no transaction open, then re-locks the row and applies the answer
  only if the request is still the one it sent (a newer attach or detach wins);
- ``emergency_provisioning_recheck`` (beat) sends requests still in flight again: a task lost with
  its worker, or a carrier that was still registering the address, is picked up without anyone.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orbit_numbers.errors import (Conflict, EmergencyAddressInvalid, NotFound, ProviderError, ValidationFailed)
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from ..models import EMERGENCY_COUNTRIES, EmergencyAddress, EmergencyAssignment, OwnedNumber
from ..providers import get_adapter
from ..providers.base import EmergencyAddressData
from .carriers import carrier_failure_record

logger = logging.getLogger(__name__)

ADDRESS_FIELDS = ("caller_name", "business_name", "street_number", "street_name", "unit", "city", "state",
                  "postal_code", "country")
RECHECK_BATCH = 200


def address_snapshot(address: EmergencyAddress) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def assignment_snapshot(assignment: EmergencyAssignment | None) -> dict | None:
    if assignment is None:
        return None
    return {"address_id": assignment.address_id, "status": assignment.status}


def address_data(address: EmergencyAddress) -> EmergencyAddressData:
    return EmergencyAddressData(**address_snapshot(address))


# --- addresses ---------------------------------------------------------------------------------------


def emergency_address_create(*, organization: Organization, fields: dict, acting_user=None,
                             acting_key: ApiKey | None = None) -> EmergencyAddress:
    """Validate ``fields`` at the carrier (no transaction open) and store the address as the carrier
    normalised it. Refused: a country outside US/CA (422 VALIDATION_ERROR), an address the carrier
    cannot validate (422 EMERGENCY_ADDRESS_INVALID, details per field), the carrier unreachable (409)."""
    submitted = {name: str(fields.get(name) or "").strip() for name in ADDRESS_FIELDS}
    submitted["country"] = submitted["country"].upper()
    if submitted["country"] not in EMERGENCY_COUNTRIES:
        raise ValidationFailed.field("country", f"emergency addresses are registered for "
                                                f"{' and '.join(EMERGENCY_COUNTRIES)} only")
    provider = settings.ORBIT["EMERGENCY_ADDRESS_PROVIDER"]
    try:
        verdict = get_adapter(provider).validate_emergency_address(address=EmergencyAddressData(**submitted))
    except ProviderError as exc:
        carrier_failure_record(provider=provider, operation="e911_validate", code=exc.provider_code or "",
                               message=exc.message, organization=organization)
        raise Conflict("The carrier could not validate the address right now; try again in a minute.",
                       headers={"Retry-After": "60"}) from None
    if not verdict.valid:
        first = next(iter(verdict.errors.items()), ("address", "invalid"))
        raise EmergencyAddressInvalid(f"{first[0]}: {first[1]}", details=dict(verdict.errors))
    return _address_store(organization=organization, submitted=submitted, verdict=verdict, provider=provider,
                          acting_user=acting_user, acting_key=acting_key)


@transaction.atomic
def _address_store(*, organization: Organization, submitted: dict, verdict, provider: str, acting_user,
                   acting_key) -> EmergencyAddress:
    normalized = verdict.normalized.as_dict()
    address = EmergencyAddress.objects.create(
        organization=organization, **normalized, submitted=submitted,
        validation=(EmergencyAddress.Validation.CORRECTED if verdict.corrected_fields
                    else EmergencyAddress.Validation.VALID),
        corrected_fields=list(verdict.corrected_fields), validated_by=provider,
        carrier_reference=verdict.reference[:100])
    audit_record(action="emergency_address.create", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=address,
                 after={**normalized, "corrected_fields": list(verdict.corrected_fields)})
    return address


@transaction.atomic
def emergency_address_delete(*, organization: Organization, address_id: str, acting_user=None,
                             acting_key: ApiKey | None = None) -> None:
    """Delete an address no live number uses (409 CONFLICT naming the numbers otherwise)."""
    address = (EmergencyAddress.objects.select_for_update(of=("self",))
               .filter(organization=organization, pk=address_id).first())
    if address is None:
        raise NotFound("No such emergency address.")
    assignments = EmergencyAssignment.objects.filter(address=address).select_related("number")
    in_use = sorted(a.number.e164 for a in assignments if a.number.status != OwnedNumber.Status.RELEASED)
    if in_use:
        raise Conflict(f"The address is the emergency address of {', '.join(in_use[:10])}"
                       f"{' …' if len(in_use) > 10 else ''}; attach another address to those numbers or detach it "
                       "first.", details={"numbers": in_use})
    # Released numbers keep no emergency service: their old records go with the address.
    assignments.delete()
    before = address_snapshot(address)
    audit_record(action="emergency_address.delete", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=address, before=before)
    address.delete()


# --- attaching to numbers ----------------------------------------------------------------------------


def _lock_number(organization: Organization, number_id: str) -> OwnedNumber:
    number = (OwnedNumber.objects.select_for_update(of=("self",)).select_related("phone_number")
              .filter(organization=organization, pk=number_id).live().first())
    if number is None:
        raise NotFound("No such number.")
    return number


def _dispatch_on_commit(assignment: EmergencyAssignment) -> None:
    from ..tasks import provision_emergency_address

    assignment_id, token = assignment.pk, assignment.request_token
    transaction.on_commit(lambda: provision_emergency_address.delay(assignment_id, token))


def _new_request(assignment: EmergencyAssignment, *, status: str, now: datetime) -> None:
    assignment.status = status
    assignment.request_token = uuid.uuid4().hex
    assignment.error_code = assignment.error_message = ""
    assignment.requested_at = now
    if status != EmergencyAssignment.Status.PROVISIONED:
        assignment.provisioned_at = None


@transaction.atomic
def number_emergency_address_set(*, organization: Organization, number_id: str, address_id: str,
                                 acting_user=None, acting_key: ApiKey | None = None) -> OwnedNumber:
    """Attach one of the organisation's addresses to a voice number: pending until the carrier
    provisions it. Attaching the address already attached (pending or provisioned) changes nothing."""
    number = _lock_number(organization, number_id)
    if "voice" not in (number.capabilities or []):
        raise ValidationFailed.field("number_id", "the number has no voice capability; emergency calling needs voice")
    if number.phone_number.country not in EMERGENCY_COUNTRIES:
        raise ValidationFailed.field("number_id", "emergency addresses are provisioned on US and CA numbers only")
    address = EmergencyAddress.objects.filter(organization=organization, pk=address_id).first()
    if address is None:
        raise ValidationFailed.field("address_id", "no such emergency address in your organisation")
    assignment = EmergencyAssignment.objects.select_for_update(of=("self",)).filter(number=number).first()
    before = assignment_snapshot(assignment)
    if assignment is not None and assignment.address_id == address.pk and assignment.status in (
            EmergencyAssignment.Status.PENDING, EmergencyAssignment.Status.PROVISIONED):
        number.emergency = assignment
        return number
    now = timezone.now()
    if assignment is None:
        assignment = EmergencyAssignment(number=number, organization=organization)
    assignment.address = address
    assignment.provider = number.phone_number.provider
    assignment.attempts = 0
    _new_request(assignment, status=EmergencyAssignment.Status.PENDING, now=now)
    assignment.save()
    audit_record(action="number.emergency_address_set", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=number, before=before, after=assignment_snapshot(assignment))
    _dispatch_on_commit(assignment)
    number.emergency = assignment
    return number


@transaction.atomic
def number_emergency_address_remove(*, organization: Organization, number_id: str, acting_user=None,
                                    acting_key: ApiKey | None = None) -> OwnedNumber:
    """Detach the number's address: emergency calling is blocked at once, and the address is removed
    at the carrier after commit. 404 when the number has none attached."""
    number = _lock_number(organization, number_id)
    assignment = EmergencyAssignment.objects.select_for_update(of=("self",)).filter(number=number).first()
    if assignment is None or assignment.address_id is None:
        raise NotFound("No emergency address is attached to this number.")
    before = assignment_snapshot(assignment)
    assignment.address = None
    assignment.attempts = 0
    _new_request(assignment, status=EmergencyAssignment.Status.REMOVING, now=timezone.now())
    assignment.save()
    audit_record(action="number.emergency_address_remove", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=number, before=before, after=assignment_snapshot(assignment))
    _dispatch_on_commit(assignment)
    number.emergency = assignment
    return number


# --- the carrier side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    assignment_id: int
    token: str
    status: str
    provider: str
    e164: str
    organization: Organization
    address: EmergencyAddress | None


def _read_request(assignment_id: int, token: str) -> _Request | None:
    assignment = (EmergencyAssignment.objects.select_related("number", "address", "organization")
                  .filter(pk=assignment_id, request_token=token,
                          status__in=EmergencyAssignment.IN_FLIGHT_STATUSES).first())
    if assignment is None:
        return None
    return _Request(assignment_id=assignment.pk, token=token, status=assignment.status,
                    provider=assignment.provider, e164=assignment.number.e164,
                    organization=assignment.organization, address=assignment.address)


def emergency_provisioning_perform(*, assignment_id: int, token: str) -> str:
    """Send one recorded request (provision or removal) to the carrier and apply its answer.
    Runs with no transaction open. Returns what happened: stale, provisioned, pending, removed, failed."""
    request = _read_request(assignment_id, token)
    if request is None:
        return "stale"  # answered already, or replaced by a newer attach / detach
    removing = request.status == EmergencyAssignment.Status.REMOVING
    try:
        adapter = get_adapter(request.provider)
        if removing:
            adapter.remove_emergency_address(e164=request.e164)
            outcome = None
        else:
            outcome = adapter.provision_emergency_address(
                e164=request.e164, address=address_data(request.address),
                carrier_address_id=(request.address.carrier_address_ids or {}).get(request.provider, ""))
    except ProviderError as exc:
        result = _apply_failure(request, code=exc.provider_code or "CARRIER_ERROR", message=exc.message)
        if result == "failed":
            carrier_failure_record(provider=request.provider,
                                   operation="e911_remove" if removing else "e911_provision", e164=request.e164,
                                   code=exc.provider_code or "", message=exc.message,
                                   organization=request.organization)
        return result
    return _apply_success(request, outcome)


def _lock_request(request: _Request) -> EmergencyAssignment | None:
    return (EmergencyAssignment.objects.select_for_update(of=("self",))
            .filter(pk=request.assignment_id, request_token=request.token, status=request.status).first())


@transaction.atomic
def _apply_success(request: _Request, outcome) -> str:
    assignment = _lock_request(request)
    if assignment is None:
        return "stale"
    number = OwnedNumber(pk=assignment.number_id)
    if outcome is None:  # removed
        audit_record(action="number.emergency_removed", organization=request.organization,
                     target=number, before=assignment_snapshot(assignment))
        assignment.delete()
        return "removed"
    if outcome.carrier_address_id and request.address is not None:
        address = EmergencyAddress.objects.select_for_update(of=("self",)).filter(pk=request.address.pk).first()
        if address is not None and address.carrier_address_ids.get(request.provider) != outcome.carrier_address_id:
            address.carrier_address_ids = {**address.carrier_address_ids,
                                           request.provider: outcome.carrier_address_id}
            address.save(update_fields=["carrier_address_ids", "updated_at"])
    assignment.attempts += 1
    assignment.carrier_reference = outcome.carrier_address_id[:100]
    if outcome.status != "provisioned":
        assignment.save(update_fields=["attempts", "carrier_reference", "updated_at"])
        return "pending"  # the carrier is still registering it; the recheck asks again
    before = assignment_snapshot(assignment)
    assignment.status = EmergencyAssignment.Status.PROVISIONED
    assignment.provisioned_at = timezone.now()
    assignment.save(update_fields=["status", "provisioned_at", "attempts", "carrier_reference", "updated_at"])
    audit_record(action="number.emergency_provisioned", organization=request.organization,
                 target=number, before=before, after=assignment_snapshot(assignment))
    return "provisioned"


@transaction.atomic
def _apply_failure(request: _Request, *, code: str, message: str) -> str:
    assignment = _lock_request(request)
    if assignment is None:
        return "stale"
    before = assignment_snapshot(assignment)
    assignment.status = (EmergencyAssignment.Status.REMOVAL_FAILED
                         if request.status == EmergencyAssignment.Status.REMOVING
                         else EmergencyAssignment.Status.FAILED)
    assignment.attempts += 1
    assignment.error_code, assignment.error_message = code[:64], message[:500]
    assignment.save(update_fields=["status", "attempts", "error_code", "error_message", "updated_at"])
    audit_record(action="number.emergency_failed", organization=request.organization,
                 target=OwnedNumber(pk=assignment.number_id), before=before,
                 after={**assignment_snapshot(assignment), "error_code": assignment.error_code,
                        "error_message": assignment.error_message})
    return "failed"


# --- staff and the beat ------------------------------------------------------------------------------


@transaction.atomic
def emergency_provisioning_retry(*, assignment_ids: list[int], acting_user=None,
                                 acting_key: ApiKey | None = None) -> tuple[list[int], list[int]]:
    """Send failed provisionings (and failed removals) to the carrier again. Returns (retried, skipped):
    rows not in a failed state are skipped."""
    rows = list(EmergencyAssignment.objects.select_for_update(of=("self",)).select_related("organization")
                .filter(pk__in=assignment_ids).order_by("pk"))
    retried, skipped = [], []
    now = timezone.now()
    for assignment in rows:
        if assignment.status not in EmergencyAssignment.RETRYABLE_STATUSES:
            skipped.append(assignment.pk)
            continue
        before = {**assignment_snapshot(assignment), "error_code": assignment.error_code}
        status = (EmergencyAssignment.Status.REMOVING if assignment.status == EmergencyAssignment.Status.REMOVAL_FAILED
                  else EmergencyAssignment.Status.PENDING)
        _new_request(assignment, status=status, now=now)
        assignment.save()
        audit_record(action="number.emergency_retry", organization=assignment.organization,
                     acting_user=acting_user, acting_key=acting_key, target=OwnedNumber(pk=assignment.number_id),
                     before=before, after=assignment_snapshot(assignment))
        _dispatch_on_commit(assignment)
        retried.append(assignment.pk)
    skipped += sorted(set(assignment_ids) - {row.pk for row in rows})
    return retried, skipped


def emergency_provisioning_recheck(*, now: datetime | None = None) -> int:
    """Queue again every request in flight that has not moved for EMERGENCY_RECHECK_MINUTES
    (a task lost with its worker, or a carrier still registering the address). Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.ORBIT["EMERGENCY_RECHECK_MINUTES"])
    due = list(EmergencyAssignment.objects.filter(status__in=EmergencyAssignment.IN_FLIGHT_STATUSES,
                                                  updated_at__lte=cutoff)
               .order_by("updated_at").values_list("pk", "request_token")[:RECHECK_BATCH])
    from ..tasks import provision_emergency_address

    for assignment_id, token in due:
        provision_emergency_address.delay(assignment_id, token)
    return len(due)
