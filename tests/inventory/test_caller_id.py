"""Caller ID: CNAM listings (PUT/GET/DELETE /numbers/{id}/cnam, GET /numbers/cnam-listings, the carrier
round trip and the refresh job), spam labels and disputes (API and staff services)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from inventory.models import CnamListing, NumberSpamLabel, SpamDispute, SpamDisputeNote
from inventory.services import number_purchase
from inventory.services.caller_id import (cnam_listing_retry, cnam_listings_refresh, spam_dispute_assign,
                                          spam_dispute_note_add, spam_dispute_reject, spam_dispute_resolve,
                                          spam_dispute_submit, spam_labels_sweep)
from orbit_numbers.errors import Conflict, ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests.inventory.compliance_support import ensure_covered

DISPUTES = "/api/v1/numbers/spam-disputes"


def cnam(number_id: str) -> str:
    return f"/api/v1/numbers/{number_id}/cnam"


def labels_url(number_id: str) -> str:
    return f"/api/v1/numbers/{number_id}/spam-labels"


@pytest.fixture
def carrier(settings):
    """The simulator decides listings at once, flags no number, and refuses brands/blocked words."""
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_CNAM_LISTING_SECONDS": 0, "SIMULATOR_SPAM_FLAG_PERCENT": 0}
    return settings


@pytest.fixture
def slow_cnam(settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_CNAM_LISTING_SECONDS": 10_000}
    return settings


@pytest.fixture
def flag_everything(settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_SPAM_FLAG_PERCENT": 100}
    return settings


@pytest.fixture
def own(org, make_number):
    def make(country: str = "US", organization=None, **fields):
        row = make_number(country, **fields)
        ensure_covered(organization or org, country)  # the purchase gate: abroad, a covering profile first
        return number_purchase(organization=organization or org, phone_number=row.e164, country_code=country)

    return make


@pytest.fixture
def put_cnam(client, django_capture_on_commit_callbacks):
    """PUT a name and run what commits schedule (the submission task)."""

    def put(number_id: str, body, api=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (api or client).put(cnam(number_id), body, format="json")

    return put


def assert_422(response, field: str, *words: str) -> None:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"], error
    for word in words:
        assert word in error["details"][field], error


# --- CNAM listings -------------------------------------------------------------------------------------


def test_a_listing_is_submitted_after_commit_and_listed_with_a_webhook(carrier, own, put_cnam, client, org):
    number = own()
    response = put_cnam(number.id, {"display_name": "ACME Plumbing"})
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "pending"  # what the request committed
    listing = CnamListing.objects.get(number=number)
    assert listing.status == "listed" and listing.listed_at and listing.submission_attempts == 1
    data = client.get(cnam(number.id)).json()["data"]
    assert data["status"] == "listed" and data["display_name"] == "ACME Plumbing" and data["reject_reason"] is None
    assert data["phone_number"] == number.e164 and data["number_id"] == number.id
    event = WebhookEvent.objects.get(organization=org, event_type="cnam.listed")
    assert event.payload["display_name"] == "ACME Plumbing" and event.payload["number_id"] == number.id
    actions = list(AuditLog.objects.filter(object_id=listing.pk).values_list("action", flat=True))
    assert sorted(actions) == ["cnam_listing.carrier_update", "cnam_listing.set"]


@pytest.mark.parametrize(("name", "code"), [("Amazon Support", "BRAND_IMPERSONATION"),
                                            ("Pay Pal Help", "BRAND_IMPERSONATION"),
                                            ("Police Dept", "PROHIBITED_WORD")])
def test_the_carrier_rejects_brand_lookalikes_and_blocked_words(carrier, own, put_cnam, client, org, name, code):
    number = own()
    put_cnam(number.id, {"display_name": name})
    data = client.get(cnam(number.id)).json()["data"]
    assert data["status"] == "rejected" and data["reject_code"] == code and data["reject_reason"]
    assert WebhookEvent.objects.filter(organization=org, event_type="cnam.rejected").count() == 1


def test_pending_listings_are_decided_by_the_refresh_job(slow_cnam, own, put_cnam, org, settings):
    good, bad = own(), own()
    put_cnam(good.id, {"display_name": "Good Name"})
    put_cnam(bad.id, {"display_name": "Lottery Line"})
    assert set(CnamListing.objects.values_list("status", flat=True)) == {"pending"}
    assert cnam_listings_refresh().polled == 2  # still pending at the carrier
    assert set(CnamListing.objects.values_list("status", flat=True)) == {"pending"}
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_CNAM_LISTING_SECONDS": 0}
    call_command("refresh_cnam_listings")
    assert CnamListing.objects.get(number=good).status == "listed"
    assert CnamListing.objects.get(number=bad).status == "rejected"


def test_a_carrier_outage_retries_then_fails_and_staff_resubmit(carrier, own, put_cnam, settings,
                                                                django_capture_on_commit_callbacks):
    number = own()
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_FAIL_SUFFIXES": [number.e164[-4:]], "CNAM_SUBMIT_MAX_ATTEMPTS": 2}
    put_cnam(number.id, {"display_name": "Outage Test"})
    listing = CnamListing.objects.get(number=number)
    assert listing.status == "pending" and listing.submission_attempts == 1 and "unavailable" in listing.last_error
    assert cnam_listings_refresh().resubmitted == 0  # the task may still be running: not raced
    CnamListing.objects.filter(pk=listing.pk).update(updated_at=listing.updated_at.replace(year=2020))
    result = cnam_listings_refresh()
    assert result.resubmitted == 1 and result.failed == 1
    listing.refresh_from_db()
    assert listing.status == "failed" and listing.submission_attempts == 2
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_FAIL_SUFFIXES": []}
    with django_capture_on_commit_callbacks(execute=True):
        cnam_listing_retry(listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.status == "listed" and listing.submission_attempts == 1
    assert AuditLog.objects.filter(action="cnam_listing.retry", object_id=listing.pk).exists()
    with pytest.raises(Conflict):  # only rejected or failed listings are resubmitted
        cnam_listing_retry(listing_id=listing.pk)


def test_the_same_name_again_is_a_no_op_and_a_new_name_restarts(carrier, own, put_cnam):
    number = own()
    put_cnam(number.id, {"display_name": "First Name"})
    put_cnam(number.id, {"display_name": "First Name"})
    assert AuditLog.objects.filter(action="cnam_listing.set").count() == 1
    put_cnam(number.id, {"display_name": "Second Name"})
    listing = CnamListing.objects.get(number=number)
    assert listing.display_name == "Second Name" and listing.status == "listed" and listing.revision == 2


def test_an_answer_about_an_older_name_is_not_applied(slow_cnam, own, put_cnam, settings):
    number = own()
    put_cnam(number.id, {"display_name": "Old Name"})
    old = CnamListing.objects.get(number=number)
    put_cnam(number.id, {"display_name": "New Name"})
    from inventory.services.caller_id import cnam_listing_submit

    assert cnam_listing_submit(listing_id=old.pk, revision=old.revision).revision == old.revision + 1
    assert CnamListing.objects.get(number=number).submission_attempts == 1


@pytest.mark.parametrize("name", ["", " Leading", "Trailing ", "Sixteen chars xx", "Bad-Dash", "Émile",
                                  "new\nline", 42, None])
def test_bad_display_names_are_422(client, own, name):
    number = own()
    response = client.put(cnam(number.id), {"display_name": name}, format="json")
    assert_422(response, "display_name")
    assert not CnamListing.objects.exists()


def test_unknown_fields_and_missing_name_are_422(client, own):
    number = own()
    assert_422(client.put(cnam(number.id), {"display_name": "Fine", "extra": 1}, format="json"), "extra")
    assert_422(client.put(cnam(number.id), {}, format="json"), "display_name")


def test_cnam_only_for_us_and_canadian_voice_numbers(client, own, carrier, put_cnam):
    assert_422(client.put(cnam(own("GB").id), {"display_name": "Brit Co"}, format="json"), "number_id", "US")
    no_voice = own(cap_voice=False)
    assert_422(client.put(cnam(no_voice.id), {"display_name": "Quiet Co"}, format="json"), "number_id", "voice")
    assert put_cnam(own("CA").id, {"display_name": "Maple Co"}).status_code == 200


def test_get_without_a_listing_and_unknown_numbers_are_404(client, own):
    number = own()
    response = client.get(cnam(number.id))
    assert response.status_code == 404 and "no CNAM listing" in response.json()["error"]["message"]
    missing = "num_" + "0" * 20
    assert client.get(cnam(missing)).status_code == 404
    assert client.put(cnam(missing), {"display_name": "Nobody"}, format="json").status_code == 404
    assert client.delete(cnam(missing)).status_code == 404


def test_delete_removes_the_listing_at_the_carrier_and_here(carrier, own, put_cnam, client):
    number = own()
    put_cnam(number.id, {"display_name": "Gone Soon"})
    assert client.delete(cnam(number.id)).status_code == 204
    assert not CnamListing.objects.exists()
    assert AuditLog.objects.filter(action="cnam_listing.delete").count() == 1
    assert client.delete(cnam(number.id)).status_code == 404


def test_delete_when_the_carrier_does_not_answer_is_409_and_keeps_the_listing(carrier, own, put_cnam, client,
                                                                             settings):
    number = own()
    put_cnam(number.id, {"display_name": "Sticky Name"})
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_FAIL_SUFFIXES": [number.e164[-4:]]}
    response = client.delete(cnam(number.id))
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    assert CnamListing.objects.filter(number=number).exists()


def test_list_filters_by_status_and_is_strict(carrier, own, put_cnam, client):
    listed, rejected = own(), own()
    put_cnam(listed.id, {"display_name": "Listed Co"})
    put_cnam(rejected.id, {"display_name": "Google Fan"})
    response = client.get("/api/v1/numbers/cnam-listings")
    assert response.status_code == 200 and len(response.json()["data"]) == 2
    assert response.json()["meta"]["pagination"]["has_more"] is False
    only = client.get("/api/v1/numbers/cnam-listings", {"status": "rejected"}).json()["data"]
    assert [row["number_id"] for row in only] == [rejected.id]
    assert_422(client.get("/api/v1/numbers/cnam-listings", {"status": "bogus"}), "status")
    assert_422(client.get("/api/v1/numbers/cnam-listings", {"colour": "red"}), "colour")


def test_tenant_isolation(carrier, own, put_cnam, make_org, make_client):
    number = own()
    put_cnam(number.id, {"display_name": "Mine Only"})
    other = make_client(make_org("Other"))
    assert other.get(cnam(number.id)).status_code == 404
    assert other.put(cnam(number.id), {"display_name": "Stolen"}, format="json").status_code == 404
    assert other.delete(cnam(number.id)).status_code == 404
    assert other.get(labels_url(number.id)).status_code == 404
    assert other.get("/api/v1/numbers/cnam-listings").json()["data"] == []
    assert CnamListing.objects.get(number=number).display_name == "Mine Only"


def test_scopes(own, org, make_client):
    number = own()
    reader = make_client(org, scopes=["numbers:read"])
    nobody = make_client(org, scopes=["billing:read"])
    assert reader.put(cnam(number.id), {"display_name": "Nope"}, format="json").status_code == 403
    assert reader.delete(cnam(number.id)).status_code == 403
    assert reader.post(DISPUTES, {}, format="json").status_code == 403
    for url in (cnam(number.id), "/api/v1/numbers/cnam-listings", labels_url(number.id), DISPUTES):
        assert nobody.get(url).status_code == 403, url
    assert reader.get(labels_url(number.id)).status_code == 200


# --- spam labels and disputes --------------------------------------------------------------------------


def dispute_body(number, **changes) -> dict:
    return {"number_id": number.id, "analytics_provider": "hiya", "label": label_of(number, "hiya"),
            "reason": "We only call our own customers who asked for it.", "contact_email": "ops@acme.example",
            "traffic_description": "Appointment reminders, about 200 calls a day.", **changes}


def label_of(number, provider: str) -> str:
    from inventory.providers import get_adapter

    labels = {label.analytics_provider: label.label for label in get_adapter("telnyx").spam_labels(e164=number.e164)}
    return labels.get(provider, "Spam Risk")


def test_spam_labels_are_read_and_stored(flag_everything, own, client):
    number = own()
    data = client.get(labels_url(number.id)).json()["data"]
    assert data["check_status"] == "checked" and data["number_id"] == number.id
    assert {label["analytics_provider"] for label in data["labels"]} == {"hiya", "tns", "first_orion"}
    assert all(60 <= label["score"] <= 99 for label in data["labels"])
    assert NumberSpamLabel.objects.filter(number=number).count() == 3


def test_a_clean_number_and_a_foreign_number(carrier, own, client):
    assert client.get(labels_url(own().id)).json()["data"]["labels"] == []
    foreign = client.get(labels_url(own("GB").id)).json()["data"]
    assert foreign["check_status"] == "check-not-applicable" and foreign["labels"] == []


def test_an_unreachable_analytics_feed_shows_the_stored_labels(flag_everything, own, client, settings):
    number = own()
    client.get(labels_url(number.id))
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_FAIL_SUFFIXES": [number.e164[-4:]]}
    data = client.get(labels_url(number.id)).json()["data"]
    assert data["check_status"] == "check-failed" and len(data["labels"]) == 3 and data["checked_at"]


def test_file_a_dispute_then_409_for_a_second_open_one(flag_everything, own, client, org):
    number = own()
    response = client.post(DISPUTES, dispute_body(number), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["status"] == "open" and data["resolution"] is None and data["id"].startswith("spd_")
    again = client.post(DISPUTES, dispute_body(number), format="json")
    assert again.status_code == 409 and again.json()["error"]["details"]["dispute_id"] == data["id"]
    other_provider = dispute_body(number, analytics_provider="tns", label=label_of(number, "tns"))
    assert client.post(DISPUTES, other_provider, format="json").status_code == 201
    assert client.get(f"{DISPUTES}/{data['id']}").json()["data"]["id"] == data["id"]
    listed = client.get(DISPUTES, {"number_id": number.id, "status": "open"}).json()["data"]
    assert len(listed) == 2
    assert AuditLog.objects.filter(action="spam_dispute.file", organization=org).count() == 2


def test_a_number_the_provider_does_not_flag_is_422(carrier, own, client):
    number = own()
    assert_422(client.post(DISPUTES, dispute_body(number), format="json"), "analytics_provider", "not flagged")
    assert not SpamDispute.objects.exists()


def test_the_wrong_label_is_422(flag_everything, own, client):
    number = own()
    assert_422(client.post(DISPUTES, dispute_body(number, label="Totally Fine"), format="json"), "label")


@pytest.mark.parametrize(("field", "value"), [("analytics_provider", "robokiller"), ("contact_email", "not-an-email"),
                                              ("reason", "short"), ("traffic_description", ""),
                                              ("number_id", "num_bad"), ("label", "x" * 61), ("extra", 1)])
def test_bad_dispute_bodies_are_422(flag_everything, own, client, field, value):
    assert_422(client.post(DISPUTES, dispute_body(own(), **{field: value}), format="json"), field)


def test_dispute_listing_is_strict_and_tenant_scoped(flag_everything, own, client, make_org, make_client):
    number = own()
    dispute_id = client.post(DISPUTES, dispute_body(number), format="json").json()["data"]["id"]
    assert_422(client.get(DISPUTES, {"number_id": "nope"}), "number_id")
    assert_422(client.get(DISPUTES, {"status": "closed"}), "status")
    other = make_client(make_org("Other"))
    assert other.get(f"{DISPUTES}/{dispute_id}").status_code == 404
    assert other.get(DISPUTES).json()["data"] == []
    assert other.post(DISPUTES, dispute_body(number), format="json").status_code == 404


def test_staff_move_a_dispute_to_a_resolution_with_webhooks(flag_everything, own, client, org):
    number = own()
    dispute_id = client.post(DISPUTES, dispute_body(number), format="json").json()["data"]["id"]
    staff = User.objects.create_user("ops", is_staff=True)
    spam_dispute_assign(dispute_id=dispute_id, assignee=staff, acting_user=staff)
    spam_dispute_note_add(dispute_id=dispute_id, text="Called Hiya.", acting_user=staff)
    with pytest.raises(ValidationFailed):
        spam_dispute_note_add(dispute_id=dispute_id, text="  ", acting_user=staff)
    spam_dispute_submit(dispute_id=dispute_id, acting_user=staff)
    with pytest.raises(Conflict):
        spam_dispute_submit(dispute_id=dispute_id, acting_user=staff)
    with pytest.raises(ValidationFailed):
        spam_dispute_resolve(dispute_id=dispute_id, resolution="shrug", acting_user=staff)
    spam_dispute_resolve(dispute_id=dispute_id, resolution="label_removed", note="Hiya cleared it.", acting_user=staff)
    dispute = SpamDispute.objects.get(pk=dispute_id)
    assert dispute.status == "resolved" and dispute.resolution == "label_removed" and dispute.assigned_to == staff
    assert SpamDisputeNote.objects.get(dispute=dispute).text == "Called Hiya."
    assert not NumberSpamLabel.objects.filter(number=number, analytics_provider="hiya").exists()
    events = WebhookEvent.objects.filter(organization=org, event_type="spam_dispute.updated").order_by("created_at")
    assert [event.payload["status"] for event in events] == ["submitted", "resolved"]
    assert events.last().payload["resolution"] == "label_removed"
    with pytest.raises(Conflict):
        spam_dispute_reject(dispute_id=dispute_id, note="too late", acting_user=staff)
    actions = set(AuditLog.objects.filter(object_id=dispute_id).values_list("action", flat=True))
    assert {"spam_dispute.assign", "spam_dispute.note", "spam_dispute.submitted", "spam_dispute.resolved"} <= actions
    # A closed dispute no longer blocks a new one (the simulated provider still flags the number).
    assert client.post(DISPUTES, dispute_body(number), format="json").status_code == 201


def test_a_rejection_needs_a_reason(flag_everything, own, client):
    dispute_id = client.post(DISPUTES, dispute_body(own()), format="json").json()["data"]["id"]
    staff = User.objects.create_user("ops2", is_staff=True)
    with pytest.raises(ValidationFailed):
        spam_dispute_reject(dispute_id=dispute_id, note="", acting_user=staff)
    spam_dispute_reject(dispute_id=dispute_id, note="Traffic is unsolicited.", acting_user=staff)
    data = client.get(f"{DISPUTES}/{dispute_id}").json()["data"]
    assert data["status"] == "rejected" and data["resolution_note"] == "Traffic is unsolicited."


def test_the_sweep_reads_stale_numbers_first(flag_everything, own):
    first, second = own(), own()
    assert spam_labels_sweep() == {"checked": 2, "flagged": 2, "errors": 0}
    assert spam_labels_sweep() == {"checked": 0, "flagged": 0, "errors": 0}  # fresh: nothing to re-read
    assert NumberSpamLabel.objects.filter(number__in=[first, second]).count() == 6
