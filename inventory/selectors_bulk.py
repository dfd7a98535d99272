"""Reads for bulk reservations and batch purchases (kept apart from selectors.py to ease merging)."""
from __future__ import annotations

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from .models import BulkReservation, BulkReservationItem, OwnedNumber


def reservations_for(*, organization: Organization, status: str | None = None) -> QuerySet[BulkReservation]:
    """The organisation's customer reservations (not the internal holds of buy-bulk/orders)."""
    reservations = BulkReservation.objects.filter(organization=organization, purpose=BulkReservation.Purpose.RESERVE)
    return reservations.filter(status=status) if status else reservations


def reservation_items(*, reservation: BulkReservation) -> QuerySet[BulkReservationItem]:
    return reservation.items.select_related("phone_number").order_by("id")


def owned_numbers_in_order(*, organization: Organization, ids: list[str]) -> list[OwnedNumber]:
    """The given numbers with their inventory rows, in the order of ``ids`` (one query)."""
    found = {number.pk: number for number in OwnedNumber.objects.select_related("phone_number")
             .filter(organization=organization, pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]
