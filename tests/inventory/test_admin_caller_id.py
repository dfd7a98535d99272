"""The console's caller-ID screens: CNAM listings (attention first, retry) and spam disputes (open
first; assign, note, resolve, reject through the services), each action behind its permission."""
from __future__ import annotations

import pytest
from django.utils import timezone

from inventory.models import CnamListing, NumberSpamLabel, SpamDispute, SpamDisputeNote
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401

LISTINGS = "/admin/inventory/cnamlisting/"
DISPUTES = "/admin/inventory/spamdispute/"


@pytest.fixture
def owned(org, make_number):
    def make():
        return number_purchase(organization=org, phone_number=make_number("US").e164)

    return make


def listing(number, status: str, name: str = "ACME") -> CnamListing:
    return CnamListing.objects.create(organization=number.organization, number=number, e164=number.e164,
                                      provider="telnyx", display_name=name, status=status)


def dispute(number, provider: str = "hiya") -> SpamDispute:
    now = timezone.now()
    NumberSpamLabel.objects.create(number=number, analytics_provider=provider, label="Spam Risk", score=80,
                                   flagged_at=now, checked_at=now)
    return SpamDispute.objects.create(organization=number.organization, number=number, e164=number.e164,
                                      analytics_provider=provider, label="Spam Risk", reason="reason text",
                                      contact_email="a@b.example", traffic_description="reminder calls")


def test_listings_needing_attention_come_first(superuser_client, owned):  # noqa: F811
    listed = listing(owned(), "listed", "LISTED ONE")
    rejected = listing(owned(), "rejected", "REJECTED ONE")
    pending = listing(owned(), "pending", "PENDING ONE")
    html = superuser_client.get(LISTINGS).content.decode()
    positions = [html.index(row.display_name) for row in (pending, rejected, listed)]
    assert positions == sorted(positions)


def test_support_retries_a_rejected_listing(make_staff, owned, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_CNAM_LISTING_SECONDS": 0}
    row = listing(owned(), "rejected")
    client = make_staff("support")
    assert "retry_submission" in action_names(client.get(LISTINGS).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LISTINGS, {"action": "retry_submission", "_selected_action": [row.pk], "index": 0})
    row.refresh_from_db()
    assert row.status == "listed"
    assert AuditLog.objects.get(action="cnam_listing.retry").acting_user == client.user


def test_finance_may_not_retry_or_work_disputes(make_staff):  # noqa: F811
    client = make_staff("finance")
    assert "retry_submission" not in action_names(client.get(LISTINGS).content.decode())
    assert action_names(client.get(DISPUTES).content.decode()) & {"assign_to_me", "reject"} == set()


def test_open_disputes_come_first_and_staff_resolve_them(make_staff, owned, org):  # noqa: F811
    closed = dispute(owned())
    closed.status, closed.resolution = "resolved", "label_upheld"
    closed.save()
    open_one = dispute(owned())
    client = make_staff("support")
    html = client.get(DISPUTES).content.decode()
    assert html.index(open_one.pk) < html.index(closed.pk)
    client.post(DISPUTES, {"action": "assign_to_me", "_selected_action": [open_one.pk], "index": 0})
    client.post(DISPUTES, {"action": "add_note", "_selected_action": [open_one.pk], "index": 0, "apply": "1",
                           "text": "Opened a ticket with Hiya."})
    page = client.post(DISPUTES, {"action": "reject", "_selected_action": [open_one.pk], "index": 0, "apply": "1",
                                  "note": ""})
    assert page.status_code == 200 and b"required" in page.content.lower()  # the form asks for a reason
    client.post(DISPUTES, {"action": "resolve_removed", "_selected_action": [open_one.pk], "index": 0,
                           "apply": "1", "note": "Hiya removed the label."})
    open_one.refresh_from_db()
    assert open_one.assigned_to == client.user and open_one.status == "resolved"
    assert open_one.resolution == "label_removed" and open_one.resolution_note == "Hiya removed the label."
    assert SpamDisputeNote.objects.get(dispute=open_one).author == client.user
    assert not NumberSpamLabel.objects.filter(number=open_one.number).exists()
    event = WebhookEvent.objects.get(organization=org, event_type="spam_dispute.updated")
    assert event.payload["status"] == "resolved"
    # A closed dispute cannot move again: the console says so and nothing changes.
    client.post(DISPUTES, {"action": "mark_submitted", "_selected_action": [closed.pk], "index": 0, "apply": "1",
                           "note": ""})
    closed.refresh_from_db()
    assert closed.status == "resolved"


def test_detail_pages_render_read_only(superuser_client, owned):  # noqa: F811
    row = listing(owned(), "pending")
    case = dispute(owned())
    assert superuser_client.get(f"{LISTINGS}{row.pk}/change/").status_code == 200
    assert superuser_client.get(f"{DISPUTES}{case.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/inventory/numberspamlabel/").status_code == 200
