"""Staff-only number operations run from the console: move numbers between organisations, tag them."""
from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.models import Organization
from orbit_numbers.services import audit_record
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import ComplianceAction, NumberRoute, OwnedNumber, TrialLoan
from .compliance import pools_assess
from .numbers import number_snapshot

# The tenant API's rules for tags (PUT /api/v1/numbers/{id}), so a tag staff add is one the customer can keep.
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MAX_TAGS = 10


def _lock_live_numbers(number_ids: Sequence[str]) -> list[OwnedNumber]:
    """Lock the live tenures of ``number_ids`` (in id order, the app's lock order); every id must exist."""
    ids = sorted(set(number_ids))
    if not ids:
        raise ValidationFailed.field("number_ids", "select at least one number")
    numbers = list(OwnedNumber.objects.select_for_update(of=("self",)).select_related("organization", "phone_number")
                   .filter(pk__in=ids).live().order_by("pk"))
    missing = sorted(set(ids) - {number.pk for number in numbers})
    if missing:
        raise NotFound(f"Not found or already released: {', '.join(missing)}.", details={"number_ids": missing})
    return numbers


@transaction.atomic
def number_reassign(*, number_ids: Sequence[str], to_organization: Organization, acting_user=None,
                    reason: str = "") -> list[OwnedNumber]:
    """Move live numbers to ``to_organization``, all or none.

    Each old tenure is closed (released now, no further billing to its owner) and a new tenure opens
    for the target with a clean configuration: the old owner's webhooks, forwarding and routes are
    theirs, not the new owner's. The new tenure keeps the monthly price and the carrier order, is
    not charged (staff settle money with a wallet adjustment), and starts in regulatory_hold where
    its pool is regulated (for purchases) and no approved profile of the target covers it.
    """
    if not to_organization.is_active:
        raise ValidationFailed.field("organization", f"{to_organization} is deactivated")
    numbers = _lock_live_numbers(number_ids)
    return tenures_move(numbers=numbers, to_organization=to_organization, continue_paid_cycle=False,
                        acting_user=acting_user, reason=reason)


def tenures_move(*, numbers: list[OwnedNumber], to_organization: Organization, continue_paid_cycle: bool,
                 acting_user=None, acting_key=None, reason: str = "") -> list[OwnedNumber]:
    """Close each (locked, live) tenure and open one for ``to_organization``, all or none; the
    shared core of staff reassignment and a parent organisation's transfers.

    Billing: with ``continue_paid_cycle`` the new tenure keeps the old one's billing anchor and
    paid-until (the cycle already paid runs on; the new owner pays the next renewal, no ledger
    line now); without it the new owner's first cycle is due at once (staff reassignment).
    Routing starts clean; both organisations get an audit row and a ``number.reassigned`` event."""
    problems = {}
    on_loan = set(TrialLoan.objects.filter(number_id__in=[n.pk for n in numbers], status=TrialLoan.Status.ACTIVE)
                  .values_list("number_id", flat=True))
    for number in numbers:
        if number.organization_id == to_organization.pk:
            problems[number.pk] = f"{number.e164} already belongs to {to_organization}"
        elif number.status == OwnedNumber.Status.PORTING_OUT:
            problems[number.pk] = f"{number.e164} is porting out"
        elif number.pk in on_loan:
            problems[number.pk] = f"{number.e164} is a trial loan (convert it first)"
        elif continue_paid_cycle and number.renewal_failed_at is not None:
            problems[number.pk] = f"{number.e164} has an unpaid renewal"
    if problems:
        raise Conflict("Cannot reassign: " + "; ".join(problems.values()) + ".", details=problems)

    now = timezone.now()
    assessments = pools_assess(organization=to_organization, action=ComplianceAction.PURCHASE, now=now,
                               pools={(n.phone_number.country, n.phone_number.line_type) for n in numbers})

    def arrival(number: OwnedNumber) -> tuple[str, object]:
        assessment = assessments[(number.phone_number.country, number.phone_number.line_type)]
        if assessment.covering:
            return OwnedNumber.Status.ACTIVE, assessment.covering[0]
        held = assessment.profile_required
        return (OwnedNumber.Status.REGULATORY_HOLD if held else OwnedNumber.Status.ACTIVE), None

    for number in numbers:
        number.status = OwnedNumber.Status.RELEASED
        number.released_at = now
        number.billing_ends_at = now
        number.updated_at = now  # bulk_update does not apply auto_now
    OwnedNumber.objects.bulk_update(numbers, ["status", "released_at", "billing_ends_at", "updated_at"])

    new_numbers = [
        OwnedNumber(organization=to_organization, phone_number=number.phone_number, e164=number.e164,
                    status=arrival(number)[0], compliance_profile=arrival(number)[1],
                    source=OwnedNumber.Source.STAFF, capabilities=list(number.capabilities),
                    monthly_cents=number.monthly_cents, setup_cents=0,
                    provider_order_id=number.provider_order_id)
        for number in numbers
    ]
    OwnedNumber.objects.bulk_create(new_numbers)
    if continue_paid_cycle:
        for old, new in zip(numbers, new_numbers):
            # created_at is the billing anchor (renewals count anniversaries from it): keep the old one.
            new.created_at, new.paid_until = old.created_at, old.paid_until
        OwnedNumber.objects.bulk_update(new_numbers, ["created_at", "paid_until"])
    else:
        # The new owner pays from the day it receives the number: its first cycle is due at once.
        OwnedNumber.objects.filter(pk__in=[new.pk for new in new_numbers]).update(paid_until=F("created_at"))
    NumberRoute.objects.bulk_create([NumberRoute(number=new) for new in new_numbers])
    for old, new in zip(numbers, new_numbers):
        before = {"organization_id": old.organization_id, "number_id": old.pk, **number_snapshot(old)}
        after = {"organization_id": to_organization.pk, "number_id": new.pk, "status": new.status,
                 "reason": reason}
        # One row on each side, so each organisation's own audit trail tells the story.
        audit_record(action="number.reassign_out", organization=old.organization, acting_user=acting_user,
                     acting_key=acting_key, target=old, before=before, after=after)
        audit_record(action="number.reassign_in", organization=to_organization, acting_user=acting_user,
                     acting_key=acting_key, target=new, before=before, after=after)
        for organization, number_id in ((old.organization, old.pk), (to_organization, new.pk)):
            webhook_event_emit(organization=organization, event_type="number.reassigned", data={
                "number_id": number_id, "phone_number": new.e164, "from_organization_id": old.organization_id,
                "to_organization_id": to_organization.pk})
    return new_numbers


def clean_tags(tags: Sequence[str], *, field: str = "tags") -> list[str]:
    """Trimmed, lower-cased, distinct tags; each a slug like the API accepts."""
    cleaned = []
    for tag in tags:
        tag = (tag or "").strip().lower()
        if not tag:
            continue
        if not TAG_PATTERN.fullmatch(tag):
            raise ValidationFailed.field(field, f"{tag!r} is not a tag: use a-z, 0-9, '-' and '_' (at most 64)")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


@transaction.atomic
def number_tag(*, number_ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = (),
               acting_user=None) -> list[OwnedNumber]:
    """Add and/or remove tags on live numbers, all or none."""
    add, remove = clean_tags(add), clean_tags(remove)
    if not add and not remove:
        raise ValidationFailed.field("tags", "give at least one tag to add or remove")
    numbers = _lock_live_numbers(number_ids)
    too_many = [number.e164 for number in numbers
                if len([t for t in dict.fromkeys(list(number.tags) + add) if t not in remove]) > _MAX_TAGS]
    if too_many:
        raise ValidationFailed.field("tags", f"at most {_MAX_TAGS} tags per number: {', '.join(too_many)}")
    changed, now = [], timezone.now()
    for number in numbers:
        before = list(number.tags)
        tags = [tag for tag in dict.fromkeys(before + add) if tag not in remove]
        if tags == before:
            continue
        number.tags = tags
        number.updated_at = now  # bulk_update does not apply auto_now
        changed.append(number)
        audit_record(action="number.tag", organization=number.organization, acting_user=acting_user,
                     target=number, before={"tags": before}, after={"tags": tags})
    OwnedNumber.objects.bulk_update(changed, ["tags", "updated_at"])
    return numbers
