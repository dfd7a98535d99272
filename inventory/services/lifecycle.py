"""A number's lifecycle settings and scheduled releases.

- ``auto_renew`` (on by default): off, the number is not charged again and is released when its
  paid cycle ends (services/renewals.py performs it).
- ``release_at``: a release the customer scheduled, set or cleared by PUT /numbers/{id} or for many
  numbers at once (POST /numbers/scheduled-release). ``numbers_release_scheduled`` (beat job
  release-scheduled-numbers, command ``release_scheduled``) performs the due ones through the normal
  release path; due rows are locked with SKIP LOCKED, so two workers never release one twice.
- A suspended organisation's renewals are retried soon after a credit (``renewals_retry_on_credit``,
  registered with billing in InventoryConfig.ready), not only on the hourly run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_entry, audit_record_many

from ..models import OwnedNumber
from .number_events import LifecycleNotice, iso, number_event_data
from .numbers import number_release
from .renewals import RenewalResult, organization_renewals_charge

logger = logging.getLogger(__name__)

SCHEDULED_RELEASE_MAX_NUMBERS = 1000
# Numbers released per transaction by the scheduled-release job (each batch commits on its own).
SCHEDULED_RELEASE_BATCH = 200


def _schedule_problem(number: OwnedNumber, release_at: datetime | None) -> str | None:
    if number.status == OwnedNumber.Status.PORTING_OUT and release_at is not None:
        return "is porting out; it cannot be scheduled for release"
    return None


def _release_at_check(release_at: datetime | None, *, field_name: str, now: datetime) -> None:
    if release_at is not None and release_at <= now:
        raise ValidationFailed.field(field_name, "must be in the future (ISO 8601), or null to cancel")


def _schedule_apply(*, organization: Organization, numbers: list[OwnedNumber], release_at: datetime | None,
                    acting_key: ApiKey | None, acting_user) -> None:
    """Set or clear ``release_at`` on locked numbers; audit, events and one mail for the changed ones."""
    notice = LifecycleNotice(organization=organization)
    audits, changed = [], []
    for number in numbers:
        if number.release_at == release_at:
            continue
        audits.append(audit_entry(action="number.release_schedule", organization=organization,
                                  acting_key=acting_key, acting_user=acting_user, target=number,
                                  before={"release_at": iso(number.release_at)}, after={"release_at": iso(release_at)}))
        number.release_at = release_at
        changed.append(number)
        if release_at is None:
            notice.add("number.release_cancelled", number_event_data(number),
                       f"{number.e164}: the scheduled release was cancelled.")
        else:
            notice.add("number.release_scheduled", number_event_data(number, release_at=iso(release_at)),
                       f"{number.e164} will be released on {release_at:%Y-%m-%d %H:%M} UTC.")
    if not changed:
        return
    OwnedNumber.objects.filter(pk__in=[number.pk for number in changed]).update(
        release_at=release_at, updated_at=timezone.now())
    audit_record_many(entries=audits)
    notice.send()


@transaction.atomic
def number_lifecycle_configure(*, organization: Organization, number: OwnedNumber, changes: dict,
                               acting_key: ApiKey | None = None, acting_user=None) -> OwnedNumber:
    """Apply ``auto_renew`` and/or ``release_at`` (a future datetime, or None to cancel) to a number
    the caller has locked (number_update does, for PUT /numbers/{id})."""
    if "release_at" in changes:
        release_at = changes["release_at"]
        _release_at_check(release_at, field_name="release_at", now=timezone.now())
        problem = _schedule_problem(number, release_at)
        if problem:
            raise ValidationFailed.field("release_at", f"{number.e164} {problem}")
        _schedule_apply(organization=organization, numbers=[number], release_at=release_at,
                        acting_key=acting_key, acting_user=acting_user)
    if "auto_renew" in changes and changes["auto_renew"] != number.auto_renew:
        audit_records = [audit_entry(action="number.auto_renew", organization=organization, acting_key=acting_key,
                                     acting_user=acting_user, target=number,
                                     before={"auto_renew": number.auto_renew},
                                     after={"auto_renew": changes["auto_renew"]})]
        number.auto_renew = changes["auto_renew"]
        OwnedNumber.objects.filter(pk=number.pk).update(auto_renew=number.auto_renew, updated_at=timezone.now())
        audit_record_many(entries=audit_records)
    return number


@transaction.atomic
def numbers_release_schedule(*, organization: Organization, number_ids: list[str], release_at: datetime | None,
                             acting_key: ApiKey | None = None, acting_user=None) -> list[OwnedNumber]:
    """Schedule (or with None cancel) the release of many numbers: all of them or none. One
    ValidationFailed names every id that is not a live number of the organisation or cannot be
    scheduled (details ``number_ids.<index>``). Returns the numbers in request order."""
    _release_at_check(release_at, field_name="release_at", now=timezone.now())
    if not 1 <= len(number_ids) <= SCHEDULED_RELEASE_MAX_NUMBERS:
        raise ValidationFailed.field("number_ids", f"must list 1-{SCHEDULED_RELEASE_MAX_NUMBERS} numbers")
    # Locked in pk order, like every other path that locks owned numbers.
    found = {number.pk: number for number in OwnedNumber.objects.select_for_update(of=("self",))
             .filter(organization=organization, pk__in=set(number_ids)).live().order_by("pk")}
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for index, number_id in enumerate(number_ids):
        number = found.get(number_id)
        if number_id in seen:
            problems[f"number_ids.{index}"] = f"{number_id} is listed twice"
        elif number is None:
            problems[f"number_ids.{index}"] = f"{number_id} is not one of your numbers (or it is released)"
        elif problem := _schedule_problem(number, release_at):
            problems[f"number_ids.{index}"] = f"{number_id} {problem}"
        seen.add(number_id)
    if problems:
        raise ValidationFailed(f"Nothing was scheduled: {len(problems)} of the numbers cannot be.",
                               details=problems)
    numbers = [found[number_id] for number_id in number_ids]
    _schedule_apply(organization=organization, numbers=sorted(numbers, key=lambda number: number.pk),
                    release_at=release_at, acting_key=acting_key, acting_user=acting_user)
    return numbers


@dataclass
class ScheduledReleaseResult:
    released: list[str] = field(default_factory=list)  # e164 of the numbers released
    failed_batches: int = 0  # rolled back and logged; their numbers are retried next run


def scheduled_releases_due(*, now: datetime):
    return (OwnedNumber.objects.live().filter(release_at__lte=now)
            .exclude(status=OwnedNumber.Status.PORTING_OUT))


@transaction.atomic
def _scheduled_release_batch(*, now: datetime, batch_size: int, result: ScheduledReleaseResult) -> int:
    # SKIP LOCKED: rows another worker is releasing are not waited for; once it commits they are
    # released (no longer live), so no number is released twice.
    numbers = list(scheduled_releases_due(now=now).select_for_update(of=("self",), skip_locked=True)
                   .select_related("organization").order_by("pk")[:batch_size])
    notices: dict[int, LifecycleNotice] = {}
    for number in numbers:
        organization = number.organization
        number_release(organization=organization, number_id=number.pk, reason="scheduled")
        notice = notices.setdefault(organization.pk, LifecycleNotice(organization=organization))
        notice.add(None, None, f"{number.e164} was released as scheduled ({number.release_at:%Y-%m-%d %H:%M} UTC).",
                   counted_as="number.released")
        result.released.append(number.e164)
    for notice in notices.values():
        notice.send()
    return len(numbers)


def numbers_release_scheduled(*, now: datetime | None = None,
                              batch_size: int = SCHEDULED_RELEASE_BATCH) -> ScheduledReleaseResult:
    """Release every number whose ``release_at`` has come, through number_release (carrier
    release outbox, audit, number.released). Batches commit one by one; a failed batch is logged
    and left for the next run."""
    now = now or timezone.now()
    result = ScheduledReleaseResult()
    while True:
        try:
            done = _scheduled_release_batch(now=now, batch_size=batch_size, result=result)
        except Exception:
            logger.exception("A scheduled-release batch failed; rolled back, retried next run")
            result.failed_batches += 1
            return result
        if done < batch_size:
            return result


def organization_renewals_retry(*, organization_id: int, now: datetime | None = None) -> RenewalResult:
    """Run one organisation's renewals now if it has unpaid numbers (after a credit): a suspended
    number is reactivated minutes after the top-up instead of at the next hourly run."""
    now = now or timezone.now()
    if not OwnedNumber.objects.live().filter(organization_id=organization_id,
                                             renewal_failed_at__isnull=False).exists():
        return RenewalResult()
    organization = Organization.objects.get(pk=organization_id)
    return organization_renewals_charge(organization=organization, now=now)


def renewals_retry_on_credit(*, organization_id: int) -> None:
    """billing's credit listener (called after the credit commits): queue the retry, only when the
    organisation has unpaid numbers (one indexed query; most credits need no task at all)."""
    from ..tasks import retry_organization_renewals

    if OwnedNumber.objects.live().filter(organization_id=organization_id, renewal_failed_at__isnull=False).exists():
        retry_organization_renewals.delay(organization_id)
