"""Where each asked number stands for the asking organisation, in two queries whatever their count.

- ``owned``: a live tenure of the organisation (active, inactive, regulatory_hold or porting_out:
  anything not released is still its number).
- ``purchase``: on sale now (``PhoneNumber.objects.sellable``), or held for the organisation by one
  of its own open bulk reservations (finalizing it buys the number).
- ``port_in``: anything else, including another organisation's number: it could only come to us
  by porting, and the portability check words that case as plain "not eligible".
"""
from __future__ import annotations

import phonenumbers
from django.db.models import Exists, OuterRef

from inventory.models import BulkReservation, BulkReservationItem, LineType, OwnedNumber, PhoneNumber, sellable_q
from orbit_numbers.models import Organization

from .base import Target

OWNED, PURCHASE, PORT_IN = "owned", "purchase", "port_in"
KINDS = (OWNED, PURCHASE, PORT_IN)


def numbering_plan_line_type(e164: str) -> str:
    """The line type the numbering plan gives a number we hold no row for (ambiguous ranges are local)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return LineType.MOBILE
    if kind == phonenumbers.PhoneNumberType.TOLL_FREE:
        return LineType.TOLL_FREE
    return LineType.LOCAL


def numbering_plan_country(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def readiness_targets(*, organization: Organization, numbers: list[str]) -> list[Target]:
    """One Target per number, in the order asked (numbers are distinct, valid E.164)."""
    owned = {number.e164: number for number in (
        OwnedNumber.objects.live().filter(organization=organization, e164__in=numbers)
        .select_related("phone_number", "campaign", "compliance_profile"))}
    rest = [n for n in numbers if n not in owned]
    on_sale: dict[str, PhoneNumber] = {}
    if rest:
        own_hold = BulkReservationItem.objects.filter(
            phone_number=OuterRef("pk"), status=BulkReservationItem.Status.HELD,
            reservation__organization=organization, reservation__purpose=BulkReservation.Purpose.RESERVE,
            reservation__status__in=BulkReservation.HELD_STATUSES)
        on_sale = {row.e164: row for row in PhoneNumber.objects.filter(e164__in=rest).filter(
            sellable_q() | Exists(own_hold))}
    targets = []
    for e164 in numbers:
        if e164 in owned:
            number = owned[e164]
            targets.append(Target(e164=e164, kind=OWNED, country=number.phone_number.country,
                                  line_type=number.phone_number.line_type,
                                  capabilities=tuple(number.capabilities), owned=number))
        elif e164 in on_sale:
            row = on_sale[e164]
            targets.append(Target(e164=e164, kind=PURCHASE, country=row.country, line_type=row.line_type,
                                  capabilities=tuple(row.capabilities), inventory=row))
        else:
            targets.append(Target(e164=e164, kind=PORT_IN, country=numbering_plan_country(e164),
                                  line_type=numbering_plan_line_type(e164)))
    return targets
