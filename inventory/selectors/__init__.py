"""Inventory reads: the searchable stock, its per-country summaries, and the numbers a tenant owns."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects

from orbit_numbers.errors import NotFound
from orbit_numbers.models import Organization

from ..models import (CAPABILITY_FIELDS, BulkReservation, BulkReservationItem, LineType, LowStockAlert, NumberRoute,
                     OwnedNumber, PhoneNumber)


def searchable_inventory(*, now: datetime | None = None) -> QuerySet[PhoneNumber]:
    """Rows a customer may find and buy now (``PhoneNumber.objects.sellable``). The search filters
    them with ``inventory.filters.AvailableNumberFilterSet``; the summaries below count them."""
    return PhoneNumber.objects.sellable(now=now)


# What a search hit shows (inventory.api.representations.AvailableNumberSerializer), and nothing else.
SEARCH_HIT_COLUMNS = ("provider_ref", "e164", *CAPABILITY_FIELDS.values(), "sms_two_way", "monthly_cents",
                      "setup_cents", "activation_hours", "provider", "country", "line_type", "region")


def search_hits(queryset: QuerySet[PhoneNumber]) -> list[dict]:
    """The filtered search's rows as dicts of the columns a hit shows, with ``capabilities`` (as
    ``PhoneNumber.capabilities``). Up to 500 rows per request: no model instances for them."""
    hits = list(queryset.values(*SEARCH_HIT_COLUMNS))
    for hit in hits:
        hit["capabilities"] = [name for name, column in CAPABILITY_FIELDS.items() if hit[column]]
    return hits


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
            "line_types": dict.fromkeys(LineType.values)})  # None: no stock of that line type
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
    """The organisation's live numbers (released ones are off the list at once). The list and its
    exports filter them with ``inventory.filters.OwnedNumberFilterSet``."""
    return OwnedNumber.objects.filter(organization=organization).live().select_related("phone_number")


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


def sellable_stock_by_pool(*, now: datetime | None = None) -> dict[tuple[str, str], int]:
    """{(country, line type): numbers for sale now}, one grouped count (index inv_status_pool)."""
    rows = (PhoneNumber.objects.sellable(now=now).order_by().values_list("country", "line_type")
            .annotate(count=Count("id")))
    return {(country, line_type): count for country, line_type, count in rows}


def open_low_stock_alerts_by_pool() -> dict[tuple[str, str], int]:
    """{(country, line type): open low-stock alerts}; alerts on an area code count toward their country."""
    rows = (LowStockAlert.objects.filter(resolved_at__isnull=True).order_by()
            .values_list("threshold__country", "threshold__line_type").annotate(count=Count("id")))
    return {(country, line_type): count for country, line_type, count in rows}


from .lookup import number_lookups  # noqa: E402,F401
from .emergency import (emergency_addresses, emergency_assignments_by_e164,  # noqa: E402,F401
                        emergency_assignments_for_console)
from .health import number_health_get, number_health_list  # noqa: E402,F401
