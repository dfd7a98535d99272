"""Tell an organisation about something that happened to its account: a webhook event and, when
the organisation has a contact address, an email. Both leave only after the caller's
transaction commits (the event is an outbox row; the mail is a Celery task queued on commit)."""
from __future__ import annotations

from django.db import transaction

from .models import Organization
from .webhooks.models import WebhookEvent
from .webhooks.services import webhook_event_emit, webhook_events_emit_many


def organization_notify(*, organization: Organization, event_type: str, data: dict, subject: str,
                        body: str) -> WebhookEvent:
    """Emit ``event_type`` (see webhooks/catalogue.py) and mail ``subject``/``body`` to the contact."""
    event = webhook_event_emit(organization=organization, event_type=event_type, data=data)
    _mail_contact_on_commit(organization=organization, subject=subject, body=body)
    return event


def webhook_events_emit(*, organization: Organization, events: list[tuple[str, dict]]) -> list[WebhookEvent]:
    """Many events of one organisation in a constant number of queries (a run touching hundreds of
    numbers); fanned out to the matching endpoints like ``webhook_event_emit``."""
    return webhook_events_emit_many(events=[(organization, event_type, data) for event_type, data in events])


def organization_notify_many(*, organization: Organization, events: list[tuple[str, dict]], subject: str,
                             body: str) -> list[WebhookEvent]:
    """``organization_notify`` for a batch: one webhook event per item, one email for all of them
    (also sent when ``events`` is empty: their events may have been emitted on the way)."""
    created = webhook_events_emit(organization=organization, events=events)
    _mail_contact_on_commit(organization=organization, subject=subject, body=body)
    return created


def _mail_contact_on_commit(*, organization: Organization, subject: str, body: str) -> None:
    """Queue the mail to the organisation's contact once the caller's transaction commits (none without one)."""
    if not organization.contact_email:
        return
    recipient = organization.contact_email

    def enqueue() -> None:
        from .tasks import send_organization_email

        send_organization_email.delay(recipient, subject, body)

    transaction.on_commit(enqueue)
