"""Reads of the lookup log: a tenant's lookup and CNAM dip history."""
from __future__ import annotations

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from ..models import NumberLookup


def number_lookups(*, organization: Organization | None = None) -> QuerySet[NumberLookup]:
    """Lookups and dips, newest first; one organisation's when given (the API always gives it)."""
    queryset = NumberLookup.objects.all()
    return queryset if organization is None else queryset.filter(organization=organization)
