"""A parent organisation moves numbers between itself and its sub-organisations (POST /numbers/transfers).

Money rule: a transfer moves no money. The new tenure continues the paid cycle of the old one
(same billing anchor, same paid-until) and the receiving organisation pays from the next renewal;
what the old owner prepaid for the current cycle stays paid. So a transfer writes no ledger line.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from orbit_numbers.errors import NotFound, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.organizations import organization_transfer_check

from ..models import OwnedNumber
from .staff import tenures_move

MAX_TRANSFER_NUMBERS = 1000


@transaction.atomic
def numbers_transfer(*, organization: Organization, number_ids: Sequence[str], from_organization_id: str,
                     to_organization_id: str, acting_key: ApiKey | None = None,
                     acting_user=None) -> list[tuple[OwnedNumber, OwnedNumber]]:
    """Move live numbers of ``from_organization_id`` to ``to_organization_id``, all or none; the caller
    (``organization``) must be the parent of both, or one of them and the other its sub-organisation.
    Returns (old tenure, new tenure) pairs in number-id order."""
    ids = sorted(set(number_ids))
    if not ids:
        raise ValidationFailed.field("number_ids", "give at least one number")
    if len(ids) > MAX_TRANSFER_NUMBERS:
        raise ValidationFailed.field("number_ids", f"at most {MAX_TRANSFER_NUMBERS} numbers per transfer")
    found = {org.pk: org for org in Organization.objects.filter(pk__in=[from_organization_id, to_organization_id])}
    unknown = [pk for pk in dict.fromkeys([from_organization_id, to_organization_id]) if pk not in found]
    if unknown:
        raise NotFound("No such sub-organisation: " + ", ".join(unknown) + ".", details={"organization_ids": unknown})
    source, target = found[from_organization_id], found[to_organization_id]
    organization_transfer_check(caller=organization, from_organization=source, to_organization=target)
    numbers = list(OwnedNumber.objects.select_for_update(of=("self",)).select_related("organization", "phone_number")
                   .filter(organization=source, pk__in=ids).live().order_by("pk"))
    missing = sorted(set(ids) - {number.pk for number in numbers})
    if missing:
        raise NotFound(f"Not numbers of {source.pk}: {', '.join(missing)}.", details={"number_ids": missing})
    moved = tenures_move(numbers=numbers, to_organization=target, continue_paid_cycle=True,
                         acting_key=acting_key, acting_user=acting_user, reason=f"transfer by {organization.pk}")
    return list(zip(numbers, moved))
