"""Caller-ID demo rows for ``make run``: one of the demo organisation's US numbers with a listed
caller name, and another flagged by an analytics provider with an open dispute, so the console's
queues and the API have something to show. Idempotent, and free: the numbers are staff-assigned
demo tenures (like the demo's compliance profile, written directly), so wallets keep their balance.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orbit_numbers.models import Organization
from orbit_numbers.services import audit_record

from .models import CnamListing, InventoryStatus, LineType, OwnedNumber, PhoneNumber, SpamDispute
from .providers.simulator import SimulatorAdapter
from .services.caller_id import _store_labels

DEMO_CNAM_NAME = "ACME TELECOM"
# How many US voice numbers to try for one the simulated analytics providers flag.
FLAG_CANDIDATES = 300


def _demo_tenure(organization: Organization, row: PhoneNumber) -> OwnedNumber:
    row.status = InventoryStatus.ASSIGNED
    row.save(update_fields=["status", "updated_at"])
    number = OwnedNumber.objects.create(
        organization=organization, phone_number=row, e164=row.e164, source=OwnedNumber.Source.STAFF,
        label="Caller ID demo", capabilities=row.capabilities, monthly_cents=row.monthly_cents,
        setup_cents=0)
    audit_record(action="demo.number_assign", organization=organization, target=number, after={"e164": row.e164})
    return number


def _us_voice_stock():
    return (PhoneNumber.objects.sellable().filter(country="US", line_type=LineType.LOCAL, cap_voice=True,
                                                  provider="telnyx").order_by("id"))


def caller_id_demo_seed(*, organization: Organization) -> None:
    if settings.ORBIT["PROVIDER_BACKENDS"].get("telnyx") != "simulator":
        return  # the demo's flags come from the simulator; a real carrier is not written to
    with transaction.atomic():
        if not CnamListing.objects.filter(organization=organization, status=CnamListing.Status.LISTED).exists():
            row = _us_voice_stock().select_for_update(skip_locked=True).first()
            if row is not None:
                number = _demo_tenure(organization, row)
                listing = CnamListing.objects.create(
                    organization=organization, number=number, e164=number.e164, provider=row.provider,
                    display_name=DEMO_CNAM_NAME, status=CnamListing.Status.LISTED, listed_at=timezone.now(),
                    submitted_at=timezone.now(), submission_attempts=1)
                audit_record(action="demo.cnam_listing", organization=organization, target=listing,
                             after={"display_name": DEMO_CNAM_NAME, "status": listing.status})
    if SpamDispute.objects.filter(organization=organization).exists():
        return
    analytics = SimulatorAdapter("telnyx")
    for row in _us_voice_stock()[:FLAG_CANDIDATES]:
        labels = analytics.spam_labels(e164=row.e164)
        if labels:
            break
    else:
        return
    with transaction.atomic():
        number = _demo_tenure(organization, PhoneNumber.objects.select_for_update().get(pk=row.pk))
    stored = _store_labels(number, labels)
    with transaction.atomic():
        dispute = SpamDispute.objects.create(
            organization=organization, number=number, e164=number.e164,
            analytics_provider=stored[0].analytics_provider, label=stored[0].label, score_at_filing=stored[0].score,
            reason="These are appointment reminders to our own customers, who asked for them.",
            contact_email="noc@acme.example", traffic_description="About 300 reminder calls a day, 9am-6pm local.")
        audit_record(action="demo.spam_dispute", organization=organization, target=dispute,
                     after={"analytics_provider": dispute.analytics_provider, "status": dispute.status})
