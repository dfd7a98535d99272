"""Regulation: the requirements table on the API, compliance profiles (API and services), staff review in the
console, the expiry sweep. The purchase gate itself is tested with each purchase path (test_numbers, test_bulk,
test_orders, test_reservations)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inventory import tasks
from inventory.models import ComplianceProfile, OwnedNumber
from inventory.services import (compliance_profile_approve, compliance_profile_reject, compliance_profiles_expire,
                                ported_number_activate)
from orbit_numbers.errors import Conflict, ValidationFailed
from orbit_numbers.files.services import file_store
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests.inventory.compliance_support import make_profile

REQUIREMENTS = "/api/v1/numbers/regulatory-requirements"
PROFILES = "/api/v1/numbers/compliance-profiles"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32
DE_FIELDS = {"business_name": "Acme GmbH", "contact_name": "Erika Mustermann",
             "street_address": "Friedrichstrasse 123", "city": "Berlin", "postal_code": "10117"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded documents go to a per-test directory, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path


def upload(organization, content: bytes = PDF, name: str = "doc.pdf"):
    return file_store(organization=organization, upload=SimpleUploadedFile(name, content), purpose="compliance")


def error(response, status: int, code: str = "VALIDATION_ERROR") -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"].get("details") or {}


def de_local_body(organization, **changes) -> dict:
    body = {"name": "Acme DE", "country": "DE", "line_types": ["local"], "actions": ["purchase"],
            "fields": dict(DE_FIELDS),
            "documents": [{"type": "proof_of_local_address", "file_id": upload(organization).pk},
                          {"type": "business_registration", "file_id": upload(organization).pk}]}
    body.update(changes)
    return body


# --- the requirements table ------------------------------------------------------------------------------


def test_requirements_of_a_country_by_type_and_action(client):
    response = client.get(REQUIREMENTS, {"country": "DE", "type": "local", "action": "purchase"})
    assert response.status_code == 200, response.content
    [entry] = response.json()["data"]
    assert (entry["country"], entry["type"], entry["action"]) == ("DE", "local", "purchase")
    assert entry["regulated"] is True and entry["profile_required"] is True
    assert [d["type"] for d in entry["documents"]] == ["proof_of_local_address", "business_registration"]
    assert all(d["accepted_formats"] == ["pdf", "jpeg", "png"] and d["source"] == "profile"
               for d in entry["documents"])
    postal = next(f for f in entry["fields"] if f["name"] == "postal_code")
    assert postal["pattern"] == "^[0-9]{5}$" and postal["example"] == "10115"

    everything = client.get(REQUIREMENTS, {"country": "de"}).json()["data"]
    assert {(e["type"], e["action"]) for e in everything} == {
        (t, a) for t in ("local", "mobile", "toll_free") for a in ("purchase", "port_in")}


def test_us_needs_nothing_to_buy_and_an_loa_and_bill_with_each_port_request(client):
    data = client.get(REQUIREMENTS, {"country": "US", "type": "local"}).json()["data"]
    by_action = {entry["action"]: entry for entry in data}
    assert by_action["purchase"]["regulated"] is False and by_action["purchase"]["documents"] == []
    port_in = by_action["port_in"]
    assert port_in["regulated"] is True and port_in["profile_required"] is False
    assert [(d["type"], d["source"]) for d in port_in["documents"]] == [("loa", "port_request"),
                                                                        ("bill_copy", "port_request")]


@pytest.mark.parametrize("country", ["US", "CA", "GB", "DE", "FR", "NL", "ES", "AU"])
def test_every_shipped_country_has_all_line_types_and_both_actions(client, country):
    data = client.get(REQUIREMENTS, {"country": country, "limit": 100}).json()["data"]
    assert len(data) == 6 and all(entry["note"] for entry in data)


def test_a_country_without_entries_requires_nothing(client):
    response = client.get(REQUIREMENTS, {"country": "JP"})
    assert response.status_code == 200 and response.json()["data"] == []


@pytest.mark.parametrize("params, field", [
    ({}, "country"),
    ({"country": "XX"}, "country"),
    ({"country": "DEU"}, "country"),
    ({"country": "DE", "type": "short_code"}, "type"),
    ({"country": "DE", "type": "landline"}, "type"),
    ({"country": "DE", "action": "port_out"}, "action"),
    ({"country": "DE", "action": ""}, "action"),
    ({"country": "DE", "colour": "red"}, "colour"),
])
def test_bad_requirement_queries_are_422(client, params, field):
    assert field in error(client.get(REQUIREMENTS, params), 422)


def test_requirements_need_numbers_read(org, make_client):
    assert make_client(org, ["numbers:read"]).get(REQUIREMENTS, {"country": "DE"}).status_code == 200
    error(make_client(org, ["porting:read"]).get(REQUIREMENTS, {"country": "DE"}), 403, "FORBIDDEN")
    from rest_framework.test import APIClient

    error(APIClient().get(REQUIREMENTS, {"country": "DE"}), 401, "UNAUTHORIZED")


# --- profiles: create, update, submit ----------------------------------------------------------------------


def test_create_a_draft_then_submit_it(client, org):
    response = client.post(PROFILES, de_local_body(org), format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["id"].startswith("cp_") and data["status"] == "draft" and data["country"] == "DE"
    assert data["fields"] == DE_FIELDS and data["rejection_reason"] is None and data["submitted_at"] is None
    assert {d["type"] for d in data["documents"]} == {"proof_of_local_address", "business_registration"}
    assert all(d["content_type"] == "application/pdf" for d in data["documents"])

    submitted = client.post(f"{PROFILES}/{data['id']}/submit", format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["data"]["status"] == "submitted" and submitted.json()["data"]["submitted_at"]
    assert AuditLog.objects.filter(object_id=data["id"], action__in=[
        "compliance_profile.create", "compliance_profile.submit"]).count() == 2
    # Submitted: no more edits, no second submission.
    error(client.put(f"{PROFILES}/{data['id']}", {"name": "Other"}, format="json"), 409, "CONFLICT")
    error(client.post(f"{PROFILES}/{data['id']}/submit", format="json"), 409, "CONFLICT")


def test_submit_lists_exactly_what_is_missing(client, org):
    body = de_local_body(org, fields={"business_name": "Acme GmbH", "city": "Berlin"},
                         documents=[{"type": "business_registration", "file_id": upload(org).pk}])
    profile_id = client.post(PROFILES, body, format="json").json()["data"]["id"]
    details = error(client.post(f"{PROFILES}/{profile_id}/submit", format="json"), 422)
    assert set(details) == {"fields.contact_name", "fields.street_address", "fields.postal_code",
                            "documents.proof_of_local_address"}
    assert ComplianceProfile.objects.get(pk=profile_id).status == "draft"

    # Adding mobile widens what is asked: an identity document.
    client.put(f"{PROFILES}/{profile_id}", {"line_types": ["local", "mobile"], "fields": DE_FIELDS, "documents": [
        {"type": "business_registration", "file_id": upload(org).pk},
        {"type": "proof_of_local_address", "file_id": upload(org).pk}]}, format="json")
    details = error(client.post(f"{PROFILES}/{profile_id}/submit", format="json"), 422)
    assert set(details) == {"documents.identity_document"}


@pytest.mark.parametrize("changes, field", [
    ({"fields": {"postal_code": "1011"}}, "fields.postal_code"),
    ({"fields": {"favourite_colour": "blue"}}, "fields.favourite_colour"),
    ({"fields": {"city": ["Berlin"]}}, "fields"),
    ({"documents": [{"type": "passport_photo", "file_id": "file_x"}]}, "documents[0].type"),
    ({"documents": [{"type": "business_registration", "file_id": "file_nope"}]}, "documents[0].file_id"),
    ({"documents": [{"type": "business_registration"}]}, "documents"),
    ({"documents": [{"type": "business_registration", "file_id": "f", "colour": "red"}]}, "documents"),
    ({"line_types": []}, "line_types"),
    ({"line_types": ["short_code"]}, "line_types"),
    ({"actions": ["port_out"]}, "actions"),
    ({"country": "XX"}, "country"),
    ({"valid_until": "2001-01-01T00:00:00Z"}, "valid_until"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_profile_bodies_are_422(client, org, changes, field):
    details = error(client.post(PROFILES, de_local_body(org, **changes), format="json"), 422)
    assert any(key == field or key.startswith(field) for key in details), details
    assert not ComplianceProfile.objects.filter(organization=org).exists()


def test_documents_must_be_the_callers_files_in_an_accepted_format(client, org, make_org):
    theirs = upload(make_org("Other"))
    body = de_local_body(org, documents=[{"type": "business_registration", "file_id": theirs.pk}])
    assert "documents[0].file_id" in error(client.post(PROFILES, body, format="json"), 422)
    heic = upload(org, HEIC, "scan.heic")
    body = de_local_body(org, documents=[{"type": "business_registration", "file_id": heic.pk}])
    details = error(client.post(PROFILES, body, format="json"), 422)
    assert "image/heic" in details["documents[0].file_id"]


def test_a_rejected_profile_can_be_fixed_and_resubmitted(client, org):
    profile_id = client.post(PROFILES, de_local_body(org), format="json").json()["data"]["id"]
    client.post(f"{PROFILES}/{profile_id}/submit", format="json")
    compliance_profile_reject(profile_id=profile_id, reason="The address proof is older than 3 months.")
    data = client.get(f"{PROFILES}/{profile_id}").json()["data"]
    assert data["status"] == "rejected" and data["rejection_reason"] == "The address proof is older than 3 months."
    fixed = client.put(f"{PROFILES}/{profile_id}", {"documents": [
        {"type": "proof_of_local_address", "file_id": upload(org).pk},
        {"type": "business_registration", "file_id": upload(org).pk}]}, format="json")
    assert fixed.status_code == 200 and fixed.json()["data"]["status"] == "rejected"
    again = client.post(f"{PROFILES}/{profile_id}/submit", format="json").json()["data"]
    assert again["status"] == "submitted" and again["rejection_reason"] is None


def test_list_filters_and_tenant_isolation(client, org, make_org, make_client):
    draft = make_profile(org, "DE", status="draft")
    approved = make_profile(org, "FR")
    expired = make_profile(org, "FR", valid_until=timezone.now() - timedelta(days=1))
    other = make_profile(make_org("Other"), "DE")

    def ids(**params):
        response = client.get(PROFILES, params)
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["data"]}

    assert ids() == {draft.pk, approved.pk, expired.pk}
    assert ids(status="approved") == {approved.pk}
    assert ids(status="expired") == {expired.pk}
    assert ids(country="de") == {draft.pk}
    assert client.get(f"{PROFILES}/{expired.pk}").json()["data"]["status"] == "expired"
    assert "status" in error(client.get(PROFILES, {"status": "pending"}), 422)
    assert "country" in error(client.get(PROFILES, {"country": "ZZ"}), 422)
    assert "colour" in error(client.get(PROFILES, {"colour": "red"}), 422)
    # Another tenant's profile does not exist for this caller.
    error(client.get(f"{PROFILES}/{other.pk}"), 404, "NOT_FOUND")
    error(client.put(f"{PROFILES}/{other.pk}", {"name": "Mine"}, format="json"), 404, "NOT_FOUND")
    error(client.post(f"{PROFILES}/{other.pk}/submit", format="json"), 404, "NOT_FOUND")


def test_profiles_scopes(org, make_client):
    reader, writer = make_client(org, ["numbers:read"]), make_client(org, ["numbers:write"])
    profile = make_profile(org, "DE", status="draft")
    assert reader.get(PROFILES).status_code == 200 and reader.get(f"{PROFILES}/{profile.pk}").status_code == 200
    error(reader.post(PROFILES, de_local_body(org), format="json"), 403, "FORBIDDEN")
    error(reader.put(f"{PROFILES}/{profile.pk}", {"name": "x"}, format="json"), 403, "FORBIDDEN")
    error(reader.post(f"{PROFILES}/{profile.pk}/submit", format="json"), 403, "FORBIDDEN")
    error(writer.get(PROFILES), 403, "FORBIDDEN")
    assert writer.post(PROFILES, de_local_body(org), format="json").status_code == 201


# --- staff review ---------------------------------------------------------------------------------------------


def test_approval_leaves_a_held_number_with_an_unpaid_renewal_suspended(org, make_number):
    """Approval lifts the regulatory hold, not the unpaid renewal: that number comes out suspended."""
    paid, unpaid = [ported_number_activate(organization=org, e164=make_number("DE").e164, provider="didww",
                                           provider_order_id=f"o{i}") for i in range(2)]
    OwnedNumber.objects.filter(pk=unpaid.pk).update(renewal_failed_at=timezone.now())
    profile = make_profile(org, "DE", status="submitted", line_types=["local"], actions=["port_in"])

    compliance_profile_approve(profile_id=profile.pk)
    statuses = dict(OwnedNumber.objects.values_list("pk", "status"))
    assert (statuses[paid.pk], statuses[unpaid.pk]) == ("active", "suspended")


def test_approval_releases_the_held_numbers_it_covers_and_sends_a_webhook(org, make_org, make_number):
    held = [ported_number_activate(organization=org, e164=make_number("DE").e164, provider="didww",
                                   provider_order_id=f"o{i}") for i in range(2)]
    mobile = ported_number_activate(organization=org, e164=make_number("DE", "mobile").e164, provider="didww",
                                    provider_order_id="o-mobile")
    elsewhere = make_org("Elsewhere")
    theirs = ported_number_activate(organization=elsewhere, e164=make_number("DE").e164, provider="didww",
                                    provider_order_id="o-theirs")
    assert {n.status for n in [*held, mobile, theirs]} == {"regulatory_hold"}
    profile = make_profile(org, "DE", status="submitted", line_types=["local"], actions=["port_in"])

    result = compliance_profile_approve(profile_id=profile.pk)
    assert sorted(pk for pk, _ in result.activated) == sorted(n.pk for n in held)
    statuses = dict(OwnedNumber.objects.values_list("pk", "status"))
    assert [statuses[n.pk] for n in held] == ["active", "active"]
    assert statuses[mobile.pk] == "regulatory_hold" and statuses[theirs.pk] == "regulatory_hold"
    assert set(OwnedNumber.objects.filter(pk__in=[n.pk for n in held]).values_list(
        "compliance_profile_id", flat=True)) == {profile.pk}
    profile.refresh_from_db()
    assert profile.status == "approved" and profile.reviewed_at is not None
    assert profile.valid_until > timezone.now() + timedelta(days=364)

    event = WebhookEvent.objects.get(organization=org, event_type="compliance.approved")
    assert event.payload["profile_id"] == profile.pk and event.payload["status"] == "approved"
    assert sorted(n["phone_number"] for n in event.payload["numbers_activated"]) == sorted(n.e164 for n in held)
    assert AuditLog.objects.filter(action="compliance_profile.approve", object_id=profile.pk).count() == 1
    assert AuditLog.objects.filter(action="number.regulatory_release").count() == 2
    with pytest.raises(Conflict):
        compliance_profile_approve(profile_id=profile.pk)


def test_rejection_needs_a_reason_and_sends_a_webhook(org):
    profile = make_profile(org, "DE", status="submitted")
    with pytest.raises(ValidationFailed):
        compliance_profile_reject(profile_id=profile.pk, reason="  ")
    compliance_profile_reject(profile_id=profile.pk, reason="Blurred scan.")
    event = WebhookEvent.objects.get(organization=org, event_type="compliance.rejected")
    assert event.payload == {"profile_id": profile.pk, "status": "rejected", "rejection_reason": "Blurred scan."}
    with pytest.raises(Conflict):
        compliance_profile_reject(profile_id=profile.pk, reason="Again.")
    with pytest.raises(Conflict):
        compliance_profile_approve(profile_id=make_profile(org, "FR", status="draft").pk)


@pytest.fixture
def reviewer(db):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("reviewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="inventory", codename__in=[
        "view_complianceprofile", "change_complianceprofile", "review_complianceprofile"]))
    return user


def test_review_screen_approves_and_rejects(client, org, reviewer, make_number):
    from django.test import Client

    staff = Client()
    staff.force_login(reviewer)
    approve_me = make_profile(org, "DE", status="submitted")
    document = approve_me.documents.create(document_type="business_registration", file=upload(org))
    held = ported_number_activate(organization=org, e164=make_number("DE").e164, provider="didww",
                                  provider_order_id="o1")

    queue = staff.get(reverse("admin:inventory_complianceprofile_review_queue"))
    assert queue.status_code == 200 and approve_me.pk in queue.content.decode()
    url = reverse("admin:inventory_complianceprofile_review", args=[approve_me.pk])
    page = staff.get(url)
    assert page.status_code == 200 and "business_registration" in page.content.decode()
    download = staff.get(reverse("admin:inventory_complianceprofile_document", args=[approve_me.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert staff.post(url, {"action": "approve", "approve-valid_until": ""}).status_code == 302
    approve_me.refresh_from_db()
    held.refresh_from_db()
    assert approve_me.status == "approved" and approve_me.reviewed_by == reviewer and held.status == "active"

    reject_me = make_profile(org, "FR", status="submitted")
    url = reverse("admin:inventory_complianceprofile_review", args=[reject_me.pk])
    assert staff.post(url, {"action": "reject", "reject-reason": ""}).status_code == 200  # the form says why
    reject_me.refresh_from_db()
    assert reject_me.status == "submitted"
    staff.post(url, {"action": "reject", "reject-reason": "Kbis older than 3 months."})
    reject_me.refresh_from_db()
    assert reject_me.status == "rejected" and reject_me.rejection_reason == "Kbis older than 3 months."


def test_review_needs_the_review_permission(org):
    from django.test import Client

    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_complianceprofile"))
    staff = Client()
    staff.force_login(viewer)
    profile = make_profile(org, "DE", status="submitted")
    assert staff.get(reverse("admin:inventory_complianceprofile_review_queue")).status_code == 403
    url = reverse("admin:inventory_complianceprofile_review", args=[profile.pk])
    assert staff.post(url, {"action": "approve"}).status_code == 403
    profile.refresh_from_db()
    assert profile.status == "submitted"


# --- expiry ---------------------------------------------------------------------------------------------------


def test_expiry_sweep_by_task_and_command(org, capsys):
    past = timezone.now() - timedelta(minutes=1)
    due = [make_profile(org, "DE", valid_until=past), make_profile(org, "FR", valid_until=past)]
    current = make_profile(org, "GB")
    assert tasks.expire_compliance_profiles() == 2
    assert set(ComplianceProfile.objects.filter(status="expired").values_list("pk", flat=True)) == {
        p.pk for p in due}
    current.refresh_from_db()
    assert current.status == "approved"
    assert AuditLog.objects.filter(action="compliance_profile.expire").count() == 2
    make_profile(org, "NL", valid_until=past)
    call_command("expire_compliance_profiles")
    assert "Expired 1 compliance profile(s)." in capsys.readouterr().out
    assert compliance_profiles_expire() == []


def test_expiry_task_is_routed_to_housekeeping_and_scheduled():
    from django.conf import settings

    assert settings.CELERY_TASK_ROUTES["inventory.tasks.expire_compliance_profiles"] == {"queue": "housekeeping"}
    assert any(entry["task"] == "inventory.tasks.expire_compliance_profiles"
               for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_staff_edit_the_requirements_table_in_the_console(org):
    from django.test import Client

    from inventory.models import RegulatoryRequirement

    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))
    requirement = RegulatoryRequirement.objects.get(country="GB", line_type="local", action="purchase")
    url = reverse("admin:inventory_regulatoryrequirement_change", args=[requirement.pk])
    assert staff.get(reverse("admin:inventory_regulatoryrequirement_changelist"), {"q": "GB"}).status_code == 200
    form = {"country": "GB", "line_type": "local", "action": "purchase", "note": "Ofcom",
            "fields": '[{"name": "city", "label": "City", "pattern": "^\\\\S.+$"}]'}
    bad = staff.post(url, {**form, "documents": '[{"type": "Proof!", "name": "x", "accepted_formats": ["gif"]}]'})
    assert bad.status_code == 200 and "type must be a lower-case code" in bad.content.decode()
    good = staff.post(url, {**form, "documents": '[{"type": "proof_of_address", "name": "Proof of address", '
                                                 '"accepted_formats": ["pdf"]}]'})
    assert good.status_code == 302
    requirement.refresh_from_db()
    assert [d["type"] for d in requirement.documents] == ["proof_of_address"] and requirement.profile_required
    assert AuditLog.objects.filter(action="admin.inventory.regulatoryrequirement.change").exists()
