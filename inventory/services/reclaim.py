"""Staff bring a released number back while it rests (its aging period): to inventory at once, or
to its last owner.

- To inventory: the rest is cut short (``aging_until`` cleared) and the row goes on sale — only
  once no carrier release is pending for it (a release reaches the carrier by number: it must not
  meet a new buyer; aged_numbers_return follows the same rule).
- To its last owner: a new tenure for that organisation with a clean route, its first month
  charged through billing. The number must still be held at its carrier: a pending carrier
  release is cancelled (skipped) in the same transaction, and one the carrier already confirmed
  makes the number unreclaimable (it would need a new carrier order: a purchase).

All or none; one Conflict names every number that cannot be reclaimed.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from billing.models import LedgerEntry
from billing.services import Charge, wallet_charge
from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.notifications import organization_notify
from orbit_numbers.services import audit_record

from ..models import (CarrierRelease, ComplianceAction, InventoryStatus, NumberRoute, OwnedNumber, PhoneNumber,
                      TrialPoolNumber)
from .compliance import pools_assess


class ReclaimMode(TextChoices):
    INVENTORY = "inventory", "Back to inventory now"
    LAST_OWNER = "last_owner", "Back to its last owner"


def _in_flight(release: CarrierRelease, now: datetime) -> bool:
    """A worker claimed it (attempt counted, lease running) and has not reported back yet."""
    return release.attempts > 0 and not release.last_error and release.next_attempt_at > now


@transaction.atomic
def number_reclaim(*, phone_number_ids: Sequence[int], mode: str, acting_user=None,
                   now: datetime | None = None) -> list[PhoneNumber | OwnedNumber]:
    """Reclaim resting inventory rows; returns the rows (to inventory) or the new tenures (to last owner)."""
    if mode not in ReclaimMode.values:
        raise ValidationFailed.field("mode", f"one of {', '.join(ReclaimMode.values)}")
    ids = sorted(set(phone_number_ids))
    if not ids:
        raise ValidationFailed.field("phone_number_ids", "select at least one number")
    now = now or timezone.now()
    # Lock order: inventory rows (by id), carrier releases, owned numbers, the wallet.
    rows = list(PhoneNumber.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {row.pk for row in rows})
    if missing:
        raise NotFound(f"No such inventory rows: {', '.join(map(str, missing))}.", details={"phone_number_ids": missing})
    releases = defaultdict(list)
    for release in (CarrierRelease.objects.select_for_update(of=("self",)).filter(phone_number_id__in=ids)
                    .exclude(status=CarrierRelease.Status.SKIPPED).order_by("pk")):
        releases[release.phone_number_id].append(release)
    live = set(OwnedNumber.objects.live().filter(phone_number_id__in=ids).values_list("phone_number_id", flat=True))
    pooled = set(TrialPoolNumber.objects.filter(phone_number_id__in=ids).values_list("phone_number_id", flat=True))
    last_owner: dict[int, OwnedNumber] = {}
    for tenure in (OwnedNumber.objects.select_related("organization").filter(phone_number_id__in=ids)
                   .order_by("phone_number_id", "-released_at", "-created_at")):
        last_owner.setdefault(tenure.phone_number_id, tenure)

    problems: dict[str, str] = {}
    for row in rows:
        pending = [r for r in releases[row.pk] if r.status == CarrierRelease.Status.PENDING]
        last = last_owner.get(row.pk)
        if row.pk in live:
            problems[row.e164] = "has a live owner"
        elif row.pk in pooled:
            problems[row.e164] = "is in the trial pool"
        elif not (row.aging_until and row.aging_until > now):
            problems[row.e164] = "is not resting after a release"
        elif mode == ReclaimMode.INVENTORY and pending:
            problems[row.e164] = "its carrier release is still pending (it goes on sale once the carrier confirms)"
        elif mode == ReclaimMode.LAST_OWNER:
            if last is None:
                problems[row.e164] = "has no previous owner"
            elif not last.organization.is_active:
                problems[row.e164] = f"its last owner {last.organization} is deactivated"
            elif any(r.status == CarrierRelease.Status.DONE and r.created_at >= (last.released_at or now)
                     for r in releases[row.pk]):
                problems[row.e164] = "the carrier already took it back"
            elif any(_in_flight(r, now) for r in pending):
                problems[row.e164] = "its carrier release is being performed right now; try again in a minute"
    if problems:
        raise Conflict("Cannot reclaim: " + "; ".join(f"{e164} {why}" for e164, why in problems.items()) + ".",
                       details=problems)

    if mode == ReclaimMode.INVENTORY:
        PhoneNumber.objects.filter(pk__in=ids).update(status=InventoryStatus.AVAILABLE, aging_until=None,
                                                      updated_at=now)
        for row in rows:
            last = last_owner.get(row.pk)
            audit_record(action="number.reclaim_to_inventory", organization=None, acting_user=acting_user,
                         target=row, before={"aging_until": row.aging_until.isoformat(),
                                             "last_owner_id": last.organization_id if last else None},
                         after={"status": InventoryStatus.AVAILABLE})
        return list(PhoneNumber.objects.filter(pk__in=ids).order_by("pk"))

    skipped = [r.pk for row in rows for r in releases[row.pk] if r.status == CarrierRelease.Status.PENDING]
    # The carrier keeps the number: the release it was waiting for must never run now.
    CarrierRelease.objects.filter(pk__in=skipped).update(
        status=CarrierRelease.Status.SKIPPED, done_at=now, updated_at=now,
        last_error="Cancelled: staff reclaimed the number for its last owner.")
    by_org = defaultdict(list)
    for row in rows:
        by_org[last_owner[row.pk].organization].append(row)
    created: list[OwnedNumber] = []
    for organization, org_rows in sorted(by_org.items(), key=lambda item: item[0].pk):
        assessments = pools_assess(organization=organization, action=ComplianceAction.PURCHASE, now=now,
                                   pools={(row.country, row.line_type) for row in org_rows})
        charges = []
        for row in org_rows:
            last = last_owner[row.pk]
            assessment = assessments[(row.country, row.line_type)]
            profile = assessment.covering[0] if assessment.covering else None
            status = (OwnedNumber.Status.REGULATORY_HOLD if profile is None and assessment.profile_required
                      else OwnedNumber.Status.ACTIVE)
            number = OwnedNumber.objects.create(
                organization=organization, phone_number=row, e164=row.e164, status=status,
                compliance_profile=profile, source=OwnedNumber.Source.STAFF, capabilities=list(last.capabilities),
                monthly_cents=last.monthly_cents, setup_cents=0, provider_order_id=last.provider_order_id)
            NumberRoute.objects.create(number=number)
            charges.append(Charge(LedgerEntry.Kind.MONTHLY_FEE, number.monthly_cents,
                                  f"First month {row.e164} (reclaimed)", f"number:{number.pk}"))
            audit_record(action="number.reclaim", organization=organization, acting_user=acting_user,
                         target=number, before={"number_id": last.pk, "released_at": last.released_at.isoformat()
                                                if last.released_at else None},
                         after={"status": number.status, "charged_cents": number.monthly_cents,
                                "skipped_carrier_releases": [r.pk for r in releases[row.pk]
                                                             if r.pk in skipped]})
            organization_notify(organization=organization, event_type="number.reclaimed",
                                data={"number_id": number.pk, "phone_number": number.e164},
                                subject=f"{number.e164} is yours again",
                                body=f"Our staff brought {number.e164} back to your account; its first month "
                                     f"is charged to your wallet.")
            created.append(number)
        wallet_charge(organization=organization, charges=charges, acting_user=acting_user)
    PhoneNumber.objects.filter(pk__in=ids).update(status=InventoryStatus.ASSIGNED, aging_until=None, updated_at=now)
    return created
