"""E911 reads: an organisation's addresses (with how many live numbers use each), the numbers'
emergency state for the console and the readiness check."""
from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from orbit_numbers.models import Organization

from ..models import EMERGENCY_COUNTRIES, EmergencyAddress, EmergencyAssignment, OwnedNumber

# A number that uses an address: a live one (a released number keeps no emergency service).
_LIVE_USE = Q(assignments__number__status__in=[s for s in OwnedNumber.Status.values if s != OwnedNumber.Status.RELEASED])


def emergency_addresses(*, organization: Organization) -> QuerySet[EmergencyAddress]:
    """The organisation's addresses, each annotated with ``numbers_count`` (one query for a page)."""
    return (EmergencyAddress.objects.filter(organization=organization)
            .annotate(numbers_count=Count("assignments", filter=_LIVE_USE)))


def emergency_assignments_by_e164(*, organization: Organization, e164s: list[str]) -> dict[str, EmergencyAssignment]:
    """{e164: assignment} for the organisation's live numbers among ``e164s`` that have one (one query)."""
    rows = (EmergencyAssignment.objects.filter(organization=organization, number__e164__in=e164s)
            .exclude(number__status=OwnedNumber.Status.RELEASED).select_related("number"))
    return {row.number.e164: row for row in rows}


def emergency_assignments_for_console() -> QuerySet[EmergencyAssignment]:
    """Every number's provisioning state, failures first, then what is in flight, newest change first."""
    rank = Case(When(status__in=EmergencyAssignment.RETRYABLE_STATUSES, then=Value(0)),
                When(status__in=EmergencyAssignment.IN_FLIGHT_STATUSES, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return EmergencyAssignment.objects.annotate(attention=rank).order_by("attention", "-updated_at", "-id")


def emergency_calling(*, number_id: str, country: str, has_voice: bool,
                      assignment: EmergencyAssignment | None) -> dict:
    """The block-and-disclaim answer (ADR 010) for one number: ``calling`` is enabled only with a
    provisioned dispatchable address; ``disclaimer`` says why it is blocked and what unblocks it."""
    status = assignment.public_status if assignment is not None else None
    address_id = assignment.address_id if status else None
    state = {"calling": "enabled" if status == EmergencyAssignment.Status.PROVISIONED else "blocked",
             "address_id": address_id, "status": status}
    attach = f"PUT /api/v1/numbers/{number_id}/emergency-address"
    if not has_voice:
        disclaimer = ("This number has no voice capability, so it cannot place calls, emergency calls included. "
                      "Use a phone line with voice to reach emergency services.")
    elif status == EmergencyAssignment.Status.PROVISIONED:
        disclaimer = ("Emergency calls from this number are enabled and reach emergency services with the "
                      f"dispatchable address {address_id}. If the caller's location changes, attach the new "
                      "address first: responders are sent where the address says.")
    elif status == EmergencyAssignment.Status.PENDING:
        disclaimer = ("Emergency calls (911) are blocked on this number until the carrier confirms its dispatchable "
                      f"address {address_id}; provisioning is in progress and usually takes a few minutes.")
    elif status == EmergencyAssignment.Status.FAILED:
        disclaimer = ("Emergency calls (911) are blocked on this number: the carrier refused its dispatchable "
                      f"address ({assignment.error_message or assignment.error_code}). Attach a corrected "
                      f"address with {attach}.")
    elif country not in EMERGENCY_COUNTRIES:
        disclaimer = ("Emergency calls (911, 112, 999, 000) are blocked on this number: Orbit provisions "
                      "dispatchable addresses for US and Canadian numbers only. Keep another way to reach "
                      "emergency services.")
    else:
        disclaimer = ("Emergency calls (911) are blocked on this number until a dispatchable emergency address is "
                      "provisioned for it. Register one with POST /api/v1/numbers/emergency-addresses and attach "
                      f"it with {attach}.")
    return {**state, "disclaimer": disclaimer}


def number_emergency_calling(number: OwnedNumber) -> dict:
    """``emergency_calling`` of an owned number; reads ``number.emergency`` (prefetch it for a list)."""
    try:
        assignment = number.emergency
    except EmergencyAssignment.DoesNotExist:
        assignment = None
    return emergency_calling(number_id=number.pk, country=number.phone_number.country,
                             has_voice="voice" in (number.capabilities or []), assignment=assignment)
