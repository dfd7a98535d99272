"""Porting reads. The API's lists and objects come from its viewsets' tenant-scoped querysets;
these are the reads that need more than a queryset (a timeline, a protection status, the
numbers of a batch port-out) and the staff review queue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from inventory.models import OwnedNumber
from orbit_numbers.models import Organization

from .models import (PORT_IN_STAGES, PortInNumber, PortOutProtection, PortOutRequest, PortOutStatus, PortRequest,
                     PortRequestEvent, PortStatus)
from .reject_codes import explain

#: A stage of the port-in timeline is done, the current one, or still to come.
STAGE_STATES = ("done", "current", "upcoming")


@dataclass(frozen=True)
class TimelineStage:
    stage: str
    state: str
    entered_at: datetime | None


@dataclass(frozen=True)
class PortTimeline:
    """Per-stage timeline of a port-in: when it entered each stage, how many days it has run, its
    FOC date and the full history."""

    port_request: PortRequest
    stages: list[TimelineStage]
    elapsed_days: int
    history: list[PortRequestEvent]

    @property
    def id(self) -> str:
        return self.port_request.id

    @property
    def status(self) -> str:
        return self.port_request.status

    @property
    def submitted_at(self) -> datetime:
        return self.port_request.submitted_at

    @property
    def foc_date(self) -> date | None:
        return self.port_request.foc_date


def port_request_timeline(*, port_request: PortRequest) -> PortTimeline:
    events = list(port_request.events.all())
    entered: dict[str, datetime] = {}
    for event in events:
        entered.setdefault(event.status, event.created_at)
    reached = max((PORT_IN_STAGES.index(s) for s in entered if s in PORT_IN_STAGES), default=0)
    status = port_request.status
    stages = []
    for index, stage in enumerate(PORT_IN_STAGES):
        if stage == status:
            state = "done" if status == PortStatus.COMPLETED else "current"
        elif index <= reached:
            state = "done"
        else:
            state = "upcoming"
        stages.append(TimelineStage(stage=stage, state=state, entered_at=entered.get(stage)))
    end = port_request.completed_at or port_request.cancelled_at or timezone.now()
    return PortTimeline(port_request=port_request, stages=stages,
                        elapsed_days=max((end - port_request.submitted_at).days, 0), history=events)


def port_out_rejection(port_out: PortOutRequest) -> dict | None:
    """A rejected port-out's reject code, explained, with the carrier's note; None otherwise."""
    if port_out.status != PortOutStatus.REJECTED:
        return None
    entry = explain(port_out.reject_code)
    return {"code": entry.code, "explanation": entry.explanation, "recommended_action": entry.action,
            "carrier_note": port_out.reject_reason}


def owned_numbers_by_e164(*, organization: Organization, numbers: list[str]) -> tuple[list[OwnedNumber], list[str]]:
    """The organisation's live numbers among ``numbers``, and the ones it does not have."""
    found = list(OwnedNumber.objects.live().select_related("phone_number").filter(organization=organization,
                                                                                 e164__in=numbers))
    have = {n.e164 for n in found}
    return found, [n for n in numbers if n not in have]


@dataclass(frozen=True)
class ProtectionStatus:
    """What Port-Out Protection shows of a number: whether a PIN is set, and since when. Never the PIN."""

    enabled: bool
    set_at: datetime | None


def port_out_protection_status(*, number: OwnedNumber | None = None,
                               protection: PortOutProtection | None = None) -> ProtectionStatus:
    """The status of ``number``'s protection (looked up), or of ``protection`` as it is now."""
    if number is not None:
        protection = PortOutProtection.objects.filter(number=number).first()
    enabled = protection is not None and protection.enabled
    return ProtectionStatus(enabled=enabled, set_at=protection.set_at if enabled else None)


def loa_review_queue() -> QuerySet[PortRequest]:
    """Staff: requests whose LoA waits for review, oldest first."""
    return (PortRequest.objects.filter(status=PortStatus.VALIDATING_LOA).select_related("organization", "loa_file")
            .order_by("submitted_at", "id"))


#: Why Orbit itself will not port a number in for an organisation. Another organisation's number or
#: open port-in is only ever NOT_ELIGIBLE: which tenant hosts or ports which number is never told.
YOUR_NUMBER, YOUR_OPEN_PORT_IN, NOT_ELIGIBLE = "YOUR_NUMBER", "YOUR_OPEN_PORT_IN", "NOT_ELIGIBLE"
PORT_IN_BLOCKER_REASONS = {
    YOUR_NUMBER: "This number is already one of your numbers on Orbit.",
    YOUR_OPEN_PORT_IN: "You already have an open port-in request for this number.",
    NOT_ELIGIBLE: "This number is not eligible to port to Orbit.",
}


def port_in_blockers(*, organization: Organization, numbers: list[str]) -> dict[str, str]:
    """E.164 → blocker code (YOUR_NUMBER, YOUR_OPEN_PORT_IN, NOT_ELIGIBLE) for the numbers Orbit
    will not port in for ``organization``: hosted here, or in an open port-in (a rejection whose
    supplement window has closed no longer holds its number)."""
    blockers: dict[str, str] = {}
    hosted = OwnedNumber.objects.live().filter(e164__in=numbers).values_list("e164", "organization_id")
    for e164, organization_id in hosted:
        blockers[e164] = YOUR_NUMBER if organization_id == organization.pk else NOT_ELIGIBLE
    cutoff = timezone.now() - timedelta(days=settings.ORBIT["PORT_SUPPLEMENT_WINDOW_DAYS"])
    open_ports = (PortInNumber.objects.filter(e164__in=numbers, active=True)
                  .exclude(Q(port_request__status=PortStatus.REJECTED) & Q(port_request__rejected_at__lt=cutoff))
                  .values_list("e164", "port_request__organization_id"))
    for e164, organization_id in open_ports:
        blockers.setdefault(e164, YOUR_OPEN_PORT_IN if organization_id == organization.pk else NOT_ELIGIBLE)
    return blockers
