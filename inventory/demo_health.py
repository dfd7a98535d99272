"""Demo numbers with usage history for the health screens: two healthy ones and one with a poor reputation.

Idempotent (called by ``demo_seed`` on every start): the numbers are found again by their label; the
last days of counters are re-sent (the ingest replaces them) and the numbers rescored. The numbers
are given to the organisation as staff-provisioned demo lines (no carrier order, no charge), with a
tenure begun ``DEMO_AGE_DAYS`` ago: past the warming plan, inside the first paid month.
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orbit_numbers.models import Organization
from orbit_numbers.services import audit_record

from .models import InventoryStatus, LineType, NumberRoute, NumberUsageDay, OwnedNumber, PhoneNumber
from .services.health import UsageRecord, number_health_compute, number_usage_ingest

DEMO_AGE_DAYS = 25
HISTORY_DAYS = 14
# label → counters of each day (scaled a little by the day so the history is not flat).
PROFILES = {
    "Demo health: busy sender": dict(messages_sent=400, messages_delivered=392, messages_failed=6, calls_placed=20,
                                     calls_answered=11, complaints=0, spam_flags=0),
    "Demo health: support line": dict(messages_sent=40, messages_delivered=40, messages_failed=0, calls_placed=120,
                                      calls_answered=70, complaints=0, spam_flags=0),
    "Demo health: poor reputation": dict(messages_sent=900, messages_delivered=610, messages_failed=260,
                                         calls_placed=300, calls_answered=18, complaints=14, spam_flags=1),
}


def demo_health_seed(*, organization: Organization) -> list[OwnedNumber]:
    numbers = _demo_numbers(organization)
    today = timezone.now().date()
    records = []
    for number in numbers:
        base = PROFILES[number.label]
        for offset in range(HISTORY_DAYS):
            scale = 1 + (offset % 3) / 10
            records.append(UsageRecord(ref=f"{number.label} -{offset}d", day=today - timedelta(days=offset),
                                       number_id=number.pk,
                                       counters={name: int(value * scale) for name, value in base.items()}))
    number_usage_ingest(records=records, organization=organization, source=NumberUsageDay.Source.DEMO, partial=True)
    number_health_compute(number_ids=[number.pk for number in numbers])
    return numbers


@transaction.atomic
def _demo_numbers(organization: Organization) -> list[OwnedNumber]:
    found = {number.label: number for number in
             OwnedNumber.objects.live().filter(organization=organization, label__in=list(PROFILES))}
    missing = [label for label in PROFILES if label not in found]
    if missing:
        rows = list(PhoneNumber.objects.sellable().select_for_update(skip_locked=True)
                    .filter(country="US", line_type=LineType.LOCAL, cap_sms=True, cap_voice=True)
                    .order_by("id")[:len(missing)])
        started = timezone.now() - timedelta(days=DEMO_AGE_DAYS)
        for label, row in zip(missing, rows):
            number = OwnedNumber.objects.create(
                organization=organization, phone_number=row, e164=row.e164, source=OwnedNumber.Source.STAFF,
                label=label, capabilities=["sms", "voice"], monthly_cents=row.monthly_cents, setup_cents=0)
            # A tenure begun in the past (created_at is set on insert): the history below is its own.
            OwnedNumber.objects.filter(pk=number.pk).update(created_at=started)
            number.created_at = started
            NumberRoute.objects.create(number=number)
            row.status = InventoryStatus.ASSIGNED
            row.save(update_fields=["status", "updated_at"])
            audit_record(action="number.demo_provision", organization=organization, target=number,
                         after={"e164": number.e164, "label": label})
            found[label] = number
    return [found[label] for label in PROFILES if label in found]
