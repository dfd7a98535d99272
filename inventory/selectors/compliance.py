"""Regulation reads: the requirements table and an organisation's compliance profiles.

Every function here answers for any number of pools in one query, so the purchase gate and the
readiness check stay constant in queries whatever the batch size.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from orbit_numbers.models import Organization

from ..models import ComplianceDocument, ComplianceProfile, RegulatoryRequirement

Pool = tuple[str, str]  # (country, line_type)


def regulatory_requirements() -> QuerySet[RegulatoryRequirement]:
    """The table, filtered by ``RegulatoryRequirementFilterSet`` on the API."""
    return RegulatoryRequirement.objects.all()


def requirements_for(*, pools: Iterable[Pool], actions: Iterable[str]) -> dict[tuple[str, str, str],
                                                                                RegulatoryRequirement]:
    """{(country, line_type, action): requirement} for these pools (one query; absent = nothing required)."""
    pools, actions = set(pools), set(actions)
    if not pools or not actions:
        return {}
    countries = {country for country, _ in pools}
    rows = RegulatoryRequirement.objects.filter(country__in=countries, action__in=actions)
    return {(row.country, row.line_type, row.action): row for row in rows
            if (row.country, row.line_type) in pools}


def compliance_profiles_for(*, organization: Organization, countries: Iterable[str]) -> list[ComplianceProfile]:
    """The organisation's profiles for these countries, newest first (one query)."""
    countries = set(countries)
    if not countries:
        return []
    return list(ComplianceProfile.objects.filter(organization=organization, country__in=countries)
                .order_by("-created_at", "-id"))


def customer_compliance_profiles() -> QuerySet[ComplianceProfile]:
    """Profiles with their documents (one extra query per page); the viewset scopes them to the caller."""
    return ComplianceProfile.objects.prefetch_related(
        Prefetch("documents", queryset=ComplianceDocument.objects.select_related("file")))


def compliance_review_queue() -> QuerySet[ComplianceProfile]:
    """Submitted profiles, oldest submission first: what staff review next."""
    return (ComplianceProfile.objects.filter(status=ComplianceProfile.Status.SUBMITTED)
            .select_related("organization").order_by("submitted_at", "id"))


def profiles_due_to_expire(*, now) -> QuerySet[ComplianceProfile]:
    return ComplianceProfile.objects.filter(Q(status=ComplianceProfile.Status.APPROVED) & Q(valid_until__lte=now))
