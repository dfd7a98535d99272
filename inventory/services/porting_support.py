"""Inventory changes that porting drives: numbers leaving (porting_out → released) and numbers
arriving (a ported-in number becomes an owned, active number). Called inside the porting
services' transactions; they lock owned numbers by id (the house lock order)."""
from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orbit_numbers.errors import Conflict
from orbit_numbers.models import Organization

from ..models import ComplianceAction, InventoryStatus, LineType, NumberRoute, OwnedNumber, PhoneNumber, TrialLoan
from .compliance import arrival_status
from .number_events import numbers_ported_out_emit
from .numbers import billing_cycle_end

PORTABLE_OUT_STATUSES = (OwnedNumber.Status.ACTIVE, OwnedNumber.Status.INACTIVE, OwnedNumber.Status.REGULATORY_HOLD)


@transaction.atomic
def numbers_mark_porting_out(*, number_ids: list[str]) -> dict[str, str]:
    """Move owned numbers to porting_out; return {number id: status before}. A number that is
    already porting out or released is a 409 naming every such number."""
    numbers = list(OwnedNumber.objects.select_for_update(of=("self",)).filter(pk__in=number_ids).order_by("pk"))
    blocked = [n.e164 for n in numbers if n.status not in PORTABLE_OUT_STATUSES]
    # A trial loan is the platform's number, lent: it cannot leave for another carrier.
    on_loan = sorted(TrialLoan.objects.filter(number_id__in=[n.pk for n in numbers], status=TrialLoan.Status.ACTIVE)
                     .values_list("e164", flat=True))
    if on_loan:
        raise Conflict(f"Cannot port out trial numbers (convert them first): {', '.join(on_loan)}.",
                       details={"numbers": ", ".join(on_loan)})
    if blocked or len(numbers) != len(set(number_ids)):
        raise Conflict(f"Cannot port out {', '.join(blocked) or 'unknown numbers'}: already porting out or released.",
                       details={"numbers": ", ".join(blocked)})
    previous = {n.pk: n.status for n in numbers}
    OwnedNumber.objects.filter(pk__in=previous).update(status=OwnedNumber.Status.PORTING_OUT, updated_at=timezone.now())
    return previous


@transaction.atomic
def numbers_restore_after_port_out(*, previous: dict[str, str]) -> None:
    """A cancelled or rejected port-out gives the numbers back their earlier status."""
    list(OwnedNumber.objects.select_for_update(of=("self",)).filter(pk__in=previous).order_by("pk"))
    now = timezone.now()
    for number_id, status in previous.items():
        OwnedNumber.objects.filter(pk=number_id, status=OwnedNumber.Status.PORTING_OUT).update(
            status=status, updated_at=now)


@transaction.atomic
def numbers_release_ported_out(*, number_ids: list[str]) -> list[OwnedNumber]:
    """The numbers have left for another carrier: the tenure ends (billing to the cycle end).
    The inventory row stays `assigned` with no aging date, so it is never offered for sale again."""
    numbers = list(OwnedNumber.objects.select_for_update(of=("self",)).select_related("organization").filter(
        pk__in=number_ids, status=OwnedNumber.Status.PORTING_OUT).order_by("pk"))
    now = timezone.now()
    for number in numbers:
        number.status = OwnedNumber.Status.RELEASED
        number.released_at = now
        number.billing_ends_at = billing_cycle_end(started_at=number.created_at, now=now)
        number.save(update_fields=["status", "released_at", "billing_ends_at", "updated_at"])
    PhoneNumber.objects.filter(pk__in=[n.phone_number_id for n in numbers]).update(
        status=InventoryStatus.ASSIGNED, aging_until=None, updated_at=now)
    numbers_ported_out_emit(numbers=numbers)
    return numbers


def _line_type(parsed: phonenumbers.PhoneNumber) -> str:
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return LineType.MOBILE
    if kind == phonenumbers.PhoneNumberType.TOLL_FREE:
        return LineType.TOLL_FREE
    return LineType.LOCAL


@transaction.atomic
def ported_number_activate(*, organization: Organization, e164: str, provider: str,
                           provider_order_id: str) -> OwnedNumber:
    """A number that finished porting in becomes the organisation's own: an inventory row
    (created if we never had the number) assigned to it, an owned number with source port_in,
    and an empty route. A pool regulated for port-ins starts in regulatory_hold unless an approved
    profile of the organisation covers it; approving one releases it (services/compliance.py)."""
    parsed = phonenumbers.parse(e164)
    country = phonenumbers.region_code_for_number(parsed) or ""
    line_type = _line_type(parsed)
    national = str(parsed.national_number)
    toll_free = line_type == LineType.TOLL_FREE
    row = PhoneNumber.objects.select_for_update(of=("self",)).filter(e164=e164).first()
    if row is None:
        area_length = phonenumbers.length_of_geographical_area_code(parsed)
        row = PhoneNumber.objects.create(
            e164=e164, provider=provider, provider_ref=f"port:{e164}", country=country, line_type=line_type,
            area_code=national[:area_length] if area_length else "", national_number=national,
            cap_sms=True, cap_voice=True, cap_mms=not toll_free, sms_two_way=not toll_free,
            monthly_cents=settings.ORBIT["PORTED_NUMBER_MONTHLY_CENTS"].get(line_type, 100), setup_cents=0,
            status=InventoryStatus.ASSIGNED)
    else:
        if OwnedNumber.objects.live().filter(phone_number=row).exists():
            # Worded for any reader: a tenant may see it, and another tenant's number is none of its business.
            raise Conflict(f"{e164} is not eligible to be activated by this port.")
        if row.status == InventoryStatus.RESERVED:
            # A customer's bulk hold (at most 15 minutes) owns the row: taking it over would break that
            # checkout. The port completes on a later poll, once the hold has ended.
            raise Conflict(f"{e164} cannot be activated yet; the port completes on a later poll.")
        # The number now lives at the porting carrier, whatever carrier sold it before.
        row.provider, row.status, row.aging_until = provider, InventoryStatus.ASSIGNED, None
        row.save(update_fields=["provider", "status", "aging_until", "updated_at"])
    status, profile = arrival_status(organization=organization, country=row.country, line_type=row.line_type,
                                     action=ComplianceAction.PORT_IN)
    number = OwnedNumber(
        organization=organization, phone_number=row, e164=e164, status=status, compliance_profile=profile,
        source=OwnedNumber.Source.PORT_IN,
        capabilities=row.capabilities, monthly_cents=row.monthly_cents, setup_cents=0,
        provider_order_id=provider_order_id[:100])
    number.save(force_insert=True)
    NumberRoute.objects.create(number=number)
    return number
