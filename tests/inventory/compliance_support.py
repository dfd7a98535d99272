"""Compliance profiles for tests, in any status, without going through the review."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from inventory.models import ComplianceProfile

ALL_LINE_TYPES = ["local", "mobile", "toll_free"]
BOTH_ACTIONS = ["purchase", "port_in"]


def make_profile(organization, country: str, *, status: str = "approved", line_types=None, actions=None,
                 name: str | None = None, **fields) -> ComplianceProfile:
    """A profile of ``organization`` for ``country`` (every line type and action unless told); an approved
    one is valid for a year unless ``valid_until`` says otherwise."""
    now = timezone.now()
    if status == "approved":
        fields.setdefault("valid_until", now + timedelta(days=365))
        fields.setdefault("reviewed_at", now)
    if status in ("submitted", "approved", "rejected"):
        fields.setdefault("submitted_at", now)
    return ComplianceProfile.objects.create(
        organization=organization, name=name or f"{country} {status}", country=country, status=status,
        line_types=list(line_types or ALL_LINE_TYPES), actions=list(actions or BOTH_ACTIONS), **fields)


def ensure_covered(organization, country: str, line_type: str = "local") -> ComplianceProfile | None:
    """Give ``organization`` an approved profile for ``country`` if buying there needs one (tests about
    something else than compliance buy abroad through this)."""
    from inventory.services.compliance import pool_profile_required

    if not pool_profile_required(country=country, line_type=line_type, action="purchase"):
        return None
    existing = ComplianceProfile.objects.filter(organization=organization, country=country,
                                                status="approved").first()
    return existing or make_profile(organization, country)
