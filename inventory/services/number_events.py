"""What an organisation is told about its numbers' lifecycle: webhook events (the catalogue's
``number.*`` types) and one email per organisation per run.

No other inventory service is imported here, so every purchase and release path can call these
helpers without an import cycle. Everything is written in the caller's transaction and leaves
only after it commits (orbit_numbers.notifications).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from orbit_numbers.models import Organization
from orbit_numbers.money import format_dollars
from orbit_numbers.notifications import organization_notify_many, webhook_events_emit
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import OwnedNumber

# Why a number was released (``data.reason`` of number.released).
RELEASE_REASONS = ("customer", "staff", "scheduled", "unpaid", "not_renewed", "ported_out")

# How each event reads in the subject of the summary mail.
_SUBJECT_WORDS = {
    "number.renewed": "renewed", "number.renewal_failed": "renewal failed", "number.suspended": "suspended",
    "number.reactivated": "reactivated", "number.released": "released",
    "number.release_scheduled": "release scheduled", "number.release_cancelled": "release cancelled",
}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def number_event_data(number: OwnedNumber, **extra) -> dict:
    return {"number_id": number.pk, "phone_number": number.e164, **extra}


def numbers_purchased_emit(*, organization: Organization, numbers: list[OwnedNumber]) -> None:
    """number.purchased for every number a purchase path assigned (one insert for the batch)."""
    webhook_events_emit(organization=organization, events=[
        ("number.purchased", number_event_data(number, source=number.source, monthly_cents=number.monthly_cents,
                                               setup_cents=number.setup_cents))
        for number in numbers])


def number_released_emit(*, organization: Organization, number: OwnedNumber, reason: str) -> None:
    """number.released, from every release path (the reason says which)."""
    if reason not in RELEASE_REASONS:
        raise ValueError(f"unknown release reason {reason!r}")
    webhook_event_emit(organization=organization, event_type="number.released",
                       data=number_event_data(number, reason=reason, billing_ends_at=iso(number.billing_ends_at)))


def numbers_ported_out_emit(*, numbers: list[OwnedNumber]) -> None:
    """number.released (reason ported_out) for numbers that left for another carrier, one insert per owner."""
    by_owner: dict[int, list[OwnedNumber]] = {}
    for number in numbers:
        by_owner.setdefault(number.organization_id, []).append(number)
    for owned in by_owner.values():
        webhook_events_emit(organization=owned[0].organization, events=[
            ("number.released", number_event_data(number, reason="ported_out",
                                                   billing_ends_at=iso(number.billing_ends_at)))
            for number in owned])


@dataclass
class LifecycleNotice:
    """Collects what happened to one organisation's numbers during a run, then sends each event
    and one mail summarising them all (kinder than a mail per number)."""

    organization: Organization
    events: list[tuple[str, dict]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def add(self, event_type: str | None, data: dict | None, line: str, *, counted_as: str | None = None) -> None:
        """``event_type`` None: the event was emitted already (number_release); only mail about it."""
        if event_type is not None:
            self.events.append((event_type, data))
        self.counts[counted_as or event_type] += 1
        self.lines.append(line)

    def send(self) -> None:
        if not self.lines:
            return
        subject = "Your numbers: " + ", ".join(
            f"{count} {_SUBJECT_WORDS.get(kind, kind)}" for kind, count in self.counts.items())
        body = "\n".join([f"Hello {self.organization.name},", "", *(f"- {line}" for line in self.lines), "",
                          "Details are in the API (GET /api/v1/numbers) and in your webhook events."])
        organization_notify_many(organization=self.organization, events=self.events, subject=subject, body=body)


def money(cents: int) -> str:
    return format_dollars(cents)
