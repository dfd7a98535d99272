"""Reads of caller ID: CNAM listings, stored spam labels and disputes."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from ..models import CnamListing, NumberSpamLabel, SpamDispute
from ..models.caller_id import OPEN_DISPUTE_STATUSES


def cnam_listings(*, organization: Organization) -> QuerySet[CnamListing]:
    """A tenant's listings of its live numbers."""
    return CnamListing.objects.filter(organization=organization).exclude(number__status="released")


def spam_disputes() -> QuerySet[SpamDispute]:
    return SpamDispute.objects.all()


@dataclass
class CallerIdFacts:
    """What readiness needs about many numbers at once (three queries, whatever their count)."""

    listings: dict[str, CnamListing] = field(default_factory=dict)  # number id → listing
    labels: dict[str, list[NumberSpamLabel]] = field(default_factory=dict)  # number id → stored labels
    open_disputes: dict[str, set[str]] = field(default_factory=dict)  # number id → analytics providers


def caller_id_facts(*, number_ids: list[str]) -> CallerIdFacts:
    facts = CallerIdFacts()
    if not number_ids:
        return facts
    for listing in CnamListing.objects.filter(number_id__in=number_ids):
        facts.listings[listing.number_id] = listing
    for label in NumberSpamLabel.objects.filter(number_id__in=number_ids).order_by("number_id", "analytics_provider"):
        facts.labels.setdefault(label.number_id, []).append(label)
    disputes = SpamDispute.objects.filter(number_id__in=number_ids, status__in=OPEN_DISPUTE_STATUSES)
    for number_id, provider in disputes.values_list("number_id", "analytics_provider"):
        facts.open_disputes.setdefault(number_id, set()).add(provider)
    return facts
