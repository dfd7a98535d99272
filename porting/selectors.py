"""Porting reads, always scoped to one organisation (another tenant's object is 404)."""
from __future__ import annotations

from django.db.models import QuerySet

from inventory.models import OwnedNumber
from orbit_numbers.errors import NotFound
from orbit_numbers.models import Organization

from .models import PortOutProtection, PortOutRequest, PortRequest, PortStatus


def port_requests_for(*, organization: Organization, status: str | None = None) -> QuerySet[PortRequest]:
    query = PortRequest.objects.filter(organization=organization).select_related("loa_file")
    return query.filter(status=status) if status else query


def port_request_get(*, organization: Organization, port_request_id: str) -> PortRequest:
    port_request = port_requests_for(organization=organization).filter(pk=port_request_id).first()
    if port_request is None:
        raise NotFound()
    return port_request


def port_outs_for(*, organization: Organization, status: str | None = None) -> QuerySet[PortOutRequest]:
    query = PortOutRequest.objects.filter(organization=organization).prefetch_related("lines")
    return query.filter(status=status) if status else query


def port_out_get(*, organization: Organization, port_out_id: str) -> PortOutRequest:
    port_out = port_outs_for(organization=organization).filter(pk=port_out_id).first()
    if port_out is None:
        raise NotFound()
    return port_out


def owned_number_get(*, organization: Organization, number_id: str) -> OwnedNumber:
    number = (OwnedNumber.objects.select_related("phone_number").filter(organization=organization, pk=number_id)
              .exclude(status=OwnedNumber.Status.RELEASED).first())
    if number is None:
        raise NotFound()
    return number


def owned_numbers_by_e164(*, organization: Organization, numbers: list[str]) -> tuple[list[OwnedNumber], list[str]]:
    """The organisation's live numbers among ``numbers``, and the ones it does not have."""
    found = list(OwnedNumber.objects.select_related("phone_number").filter(organization=organization,
                                                                          e164__in=numbers)
                 .exclude(status=OwnedNumber.Status.RELEASED))
    have = {n.e164 for n in found}
    return found, [n for n in numbers if n not in have]


def port_out_protection_for(*, number: OwnedNumber) -> PortOutProtection | None:
    return PortOutProtection.objects.filter(number=number).first()


def loa_review_queue() -> QuerySet[PortRequest]:
    """Staff: requests whose LoA waits for review, oldest first."""
    return (PortRequest.objects.filter(status=PortStatus.VALIDATING_LOA).select_related("organization", "loa_file")
            .order_by("submitted_at", "id"))
