"""Inventory reads: the searchable stock, its per-country summaries, and the numbers a tenant owns."""
from __future__ import annotations

from collections.abc import Sequence

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from orbit_numbers.errors import NotFound
from orbit_numbers.models import Organization

from .models import (CAPABILITY_FIELDS, BulkReservation, BulkReservationItem, InventoryStatus, LineType,
                     NumberRoute, OwnedNumber, PhoneNumber)


def searchable_inventory(*, now: datetime | None = None) -> QuerySet[PhoneNumber]:
    """Rows a customer may find and buy: available, and not resting after a release."""
    now = now or timezone.now()
    return PhoneNumber.objects.filter(status=InventoryStatus.AVAILABLE).filter(
        Q(aging_until__isnull=True) | Q(aging_until__lte=now))


def available_numbers_search(*, country: str, line_type: str | None = None, capabilities: list[str] | None = None,
                             area_code: str | None = None, contains: str | None = None,
                             starts_with: str | None = None, ends_with: str | None = None,
                             provider: str | None = None, limit: int = 100,
                             now: datetime | None = None) -> list[PhoneNumber]:
    """Cheapest first (then oldest), matching every filter given. Patterns apply to the national digits."""
    qs = searchable_inventory(now=now).filter(country=country)
    if line_type:
        qs = qs.filter(line_type=line_type)
    for capability in capabilities or []:
        qs = qs.filter(**{CAPABILITY_FIELDS[capability]: True})
    if area_code:
        qs = qs.filter(area_code=area_code)
    if contains:
        qs = qs.filter(national_number__contains=contains)
    if starts_with:
        qs = qs.filter(national_number__startswith=starts_with)
    if ends_with:
        qs = qs.filter(national_number__endswith=ends_with)
    if provider:
        qs = qs.filter(provider=provider)
    return list(qs.order_by("monthly_cents", "id")[:limit])


def available_countries(*, now: datetime | None = None) -> list[dict]:
    """Countries with searchable stock, with a count per line type (one GROUP BY)."""
    groups = (searchable_inventory(now=now).values("country", "line_type")
              .annotate(count=Count("id")).order_by("country", "line_type"))
    countries: dict[str, dict] = {}
    for group in groups:
        entry = countries.setdefault(group["country"], {
            "country": group["country"], "count": 0, "line_types": {lt: 0 for lt in LineType.values}})
        entry["count"] += group["count"]
        entry["line_types"][group["line_type"]] = group["count"]
    return list(countries.values())


def country_capabilities(*, country: str | None = None, now: datetime | None = None) -> list[dict]:
    """Per country, line type × capability counts of searchable stock (one GROUP BY).

    ``two_way_sms`` is the authoritative count of numbers that can send and receive SMS. Toll-free
    SMS is send-only, so it is reported as ``sms_send_only`` (and as the country's
    ``toll_free_sms_send_only``) and never folded into an SMS count a reader could take as two-way.
    """
    qs = searchable_inventory(now=now)
    if country:
        qs = qs.filter(country=country)
    groups = (qs.values("country", "line_type").annotate(
        total=Count("id"),
        sms=Count("id", filter=Q(cap_sms=True)),
        mms=Count("id", filter=Q(cap_mms=True)),
        voice=Count("id", filter=Q(cap_voice=True)),
        fax=Count("id", filter=Q(cap_fax=True)),
        two_way_sms=Count("id", filter=Q(sms_two_way=True)),
    ).order_by("country", "line_type"))
    countries: dict[str, dict] = {}
    for group in groups:
        entry = countries.setdefault(group["country"], {
            "country": group["country"], "total": 0, "two_way_sms": 0, "toll_free_sms_send_only": 0,
            "line_types": {}})
        counts = {"total": group["total"], "sms": group["sms"], "mms": group["mms"], "voice": group["voice"],
                  "fax": group["fax"], "two_way_sms": group["two_way_sms"]}
        if group["line_type"] == LineType.TOLL_FREE:
            counts["sms_send_only"] = counts.pop("sms")
            entry["toll_free_sms_send_only"] += counts["sms_send_only"]
        entry["line_types"][group["line_type"]] = counts
        entry["total"] += group["total"]
        entry["two_way_sms"] += group["two_way_sms"]
    return list(countries.values())


def owned_numbers(*, organization: Organization) -> QuerySet[OwnedNumber]:
    """The organisation's numbers; released ones are off the list at once."""
    return (OwnedNumber.objects.filter(organization=organization).exclude(status=OwnedNumber.Status.RELEASED)
            .select_related("phone_number"))


def owned_numbers_list(*, organization: Organization | None, country: str | None = None,
                       capabilities: Sequence[str] | None = None, status: str | None = None,
                       line_type: str | None = None, tag: str | None = None, provider: str | None = None,
                       include_released: bool = False) -> QuerySet[OwnedNumber]:
    """Owned numbers matching every filter given: the one definition shared by the list endpoint and
    every export face. ``organization=None`` (staff exports only) spans all organisations."""
    qs = OwnedNumber.objects.select_related("phone_number")
    if organization is not None:
        qs = qs.filter(organization=organization)
    if not include_released:
        qs = qs.exclude(status=OwnedNumber.Status.RELEASED)
    if country:
        qs = qs.filter(phone_number__country=country)
    if capabilities:
        qs = qs.filter(capabilities__contains=list(capabilities))  # jsonb @>: every one listed
    if status:
        qs = qs.filter(status=status)
    if line_type:
        qs = qs.filter(phone_number__line_type=line_type)
    if provider:
        qs = qs.filter(phone_number__provider=provider)
    if tag:
        qs = qs.filter(tags__contains=[tag])
    return qs


def inventory_numbers_list(*, country: str | None = None, status: str | None = None, line_type: str | None = None,
                           provider: str | None = None) -> QuerySet[PhoneNumber]:
    """Inventory rows (any status) matching every filter given, in id order: the staff export's rows."""
    qs = PhoneNumber.objects.all()
    if country:
        qs = qs.filter(country=country)
    if status:
        qs = qs.filter(status=status)
    if line_type:
        qs = qs.filter(line_type=line_type)
    if provider:
        qs = qs.filter(provider=provider)
    return qs.order_by("pk")


def owned_number_get(*, organization: Organization, number_id: str) -> OwnedNumber:
    number = owned_numbers(organization=organization).filter(pk=number_id).first()
    if number is None:
        raise NotFound("No such number.")
    return number


def owned_number_by_e164(*, organization: Organization, e164: str) -> OwnedNumber:
    number = owned_numbers(organization=organization).filter(e164=e164).first()
    if number is None:
        raise NotFound(f"{e164} is not a number of this organisation.")
    return number


def number_route_get(*, organization: Organization, e164: str) -> NumberRoute:
    """The number's route; an unsaved default (nothing routed, SMS disabled) if none was ever set."""
    number = owned_number_by_e164(organization=organization, e164=e164)
    route = NumberRoute.objects.filter(number=number).first()
    return route if route is not None else NumberRoute(number=number)


# --- bulk reservations and batch purchases -------------------------------------------------------


def customer_reservations() -> QuerySet[BulkReservation]:
    """Customers' reservations (POST /numbers/bulk-reserve), not the internal holds that buy-bulk and
    assign orders place while their carrier calls run."""
    return BulkReservation.objects.filter(purpose=BulkReservation.Purpose.RESERVE)


def reservation_with_items(reservation: BulkReservation) -> BulkReservation:
    """The reservation with its items (and their inventory rows) loaded in one query, in id order:
    ``reservation.items.all()`` then reads them without touching the database."""
    prefetch_related_objects([reservation], Prefetch(
        "items", queryset=BulkReservationItem.objects.select_related("phone_number").order_by("id")))
    return reservation


def owned_numbers_in_order(*, organization: Organization, ids: list[str]) -> list[OwnedNumber]:
    """The given numbers with their inventory rows, in the order of ``ids`` (one query)."""
    found = {number.pk: number for number in OwnedNumber.objects.select_related("phone_number")
             .filter(organization=organization, pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]
