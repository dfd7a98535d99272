"""The webhook event catalogue: every event type Orbit Numbers sends, what it means and the keys
of its ``data``. The one list the Webhooks API validates event filters against, the OpenAPI
schema enumerates and the docs page renders. Emitting an event not listed here is a bug (a test
greps the emitters).

Every delivery is the envelope ``{"id", "type", "created_at", "data"}``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    data: tuple[str, ...]  # the keys of the event's ``data``


_NUMBER = ("number_id", "phone_number")

CATALOGUE: tuple[EventType, ...] = (
    # Numbers: purchase, renewals, suspension, release.
    EventType("number.purchased", "A number was bought (single purchase, buy-bulk, an order or a finalized hold).",
              (*_NUMBER, "source", "monthly_cents", "setup_cents")),
    EventType("number.renewed", "A monthly renewal was paid from the wallet.",
              (*_NUMBER, "paid_until", "cycles", "charged_cents")),
    EventType("number.renewal_failed", "A monthly renewal could not be paid; the number is suspended.",
              (*_NUMBER, "paid_until", "monthly_cents", "balance_cents", "release_after")),
    EventType("number.suspended", "The number is suspended for an unpaid renewal: inbound routing is paused.",
              (*_NUMBER, "reason", "release_after")),
    EventType("number.reactivated", "A suspended number's renewal was paid: it is active again.",
              (*_NUMBER, "paid_until")),
    EventType("number.release_scheduled", "A release was scheduled (or rescheduled) for the number.",
              (*_NUMBER, "release_at")),
    EventType("number.release_cancelled", "A scheduled release was cancelled.", _NUMBER),
    EventType("number.released", "The number was released: by you, on schedule, unpaid after grace, not "
              "renewed, by staff, or ported out (data.reason).",
              (*_NUMBER, "reason", "billing_ends_at")),
    EventType("number.reassigned", "The number moved between organisations (staff, or a parent organisation).",
              (*_NUMBER, "from_organization_id", "to_organization_id")),
    EventType("number.reclaimed", "Staff brought a released number back to its last owner.", _NUMBER),
    EventType("number.ported", "A port-in completed: the number is yours and active.",
              (*_NUMBER, "status", "port_request_id", "ported_at")),
    EventType("number.reputation_dropped", "The number's reputation score fell below the floor or dropped sharply.",
              (*_NUMBER, "score", "previous_score")),
    EventType("number.reputation_recovered", "The number's reputation score recovered.",
              (*_NUMBER, "score", "previous_score")),
    # Trial numbers.
    EventType("trial.number_lent", "A trial number was lent to the organisation, free until it expires.",
              (*_NUMBER, "expires_at")),
    EventType("trial.number_expiring", "A trial number expires soon; convert it to keep it.", (*_NUMBER, "expires_at")),
    EventType("trial.number_reclaimed", "A trial ended and its number was taken back.", _NUMBER),
    EventType("trial.number_converted", "A trial number was converted into a paid number (same number).",
              (*_NUMBER, "monthly_cents")),
    # Holds.
    EventType("reservation.expired", "A bulk reservation's hold ran out before it was finalized.",
              ("reservation_id", "quantity_reserved")),
    # Porting.
    EventType("porting.status_changed", "A port-in request moved to another status.",
              ("port_request_id", "status", "previous_status")),
    EventType("port_out.status_changed", "A port-out request moved to another status.",
              ("port_out_id", "status", "previous_status")),
    # Compliance, caller ID, 10DLC.
    EventType("compliance.approved", "A compliance profile was approved.", ("profile_id", "status", "country", "line_types", "actions", "valid_until", "numbers_activated")),
    EventType("compliance.rejected", "A compliance profile was rejected.", ("profile_id", "status", "rejection_reason")),
    EventType("cnam.listed", "A CNAM (caller name) listing is live.",
              ("id", *_NUMBER, "display_name", "status", "reject_code", "reject_reason")),
    EventType("cnam.rejected", "A CNAM listing was rejected.",
              ("id", *_NUMBER, "display_name", "status", "reject_code", "reject_reason")),
    EventType("spam_dispute.updated", "A spam-label dispute changed status.",
              ("id", *_NUMBER, "analytics_provider", "label", "status", "resolution", "resolution_note")),
    EventType("brand.status_changed", "A 10DLC brand's vetting finished: verified or rejected.",
              ("brand_id", "status", "previous_status")),
    EventType("campaign.status_changed", "A 10DLC campaign's vetting finished: verified or rejected.",
              ("campaign_id", "status", "previous_status")),
    # Wallet.
    EventType("wallet.topped_up", "A top-up was confirmed and credited.", ("top_up_id", "amount_cents", "balance_cents")),
    EventType("wallet.low_balance", "The wallet fell below the organisation's low-balance threshold.",
              ("balance_cents", "threshold_cents")),
    # Webhooks themselves.
    EventType("webhook.test", "A test event you asked for (POST /webhooks/{id}/test).", ("message",)),
    EventType("webhook.endpoint_disabled", "An endpoint was disabled after failing for too long (sent to the "
              "organisation's other endpoints and its contact email).", ("endpoint_id", "url", "failing_since")),
)

EVENT_TYPES: dict[str, EventType] = {event.name: event for event in CATALOGUE}


def is_known_event(name: str) -> bool:
    return name in EVENT_TYPES


# The schema's enums: every event type, and what an endpoint's ``events`` filter may list.
EVENT_NAMES: tuple[str, ...] = tuple(event.name for event in CATALOGUE)
EVENT_FILTERS: tuple[str, ...] = ("*", *EVENT_NAMES)
