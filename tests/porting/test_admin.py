"""The LoA review console: queue, review screen with the LoA inline, approve/reject, the
staff-only LoA view, manual carrier updates, permissions, and no secrets on any page."""
from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from orbit_numbers.models import AuditLog
from porting.models import PortRequest
from tests.porting.conftest import PNG_BYTES

URL = "/api/v1/numbers/porting"
ACCOUNT_PIN = "88-account-PIN-13"
PORT_OUT_PIN = "port-out-PIN-99"


def change_url(port_request_id: str) -> str:
    """The admin's change page of a port request. Quoted as the admin quotes it: ids are
    "port_" + random characters, and the admin would read "_12…" as the escape of "\x12"."""
    return reverse("admin:porting_portrequest_change", args=[quote(port_request_id)])


@pytest.fixture
def staff(reviewer):
    browser = Client()
    browser.force_login(reviewer)
    return browser


@pytest.fixture
def pending(client, upload_loa):
    """A port-in with a PDF LoA, waiting for review."""
    return client.post(URL, {"numbers": ["+12015550124"], "currentCarrier": "Acme", "country": "US",
                             "loaFileUrl": upload_loa(client), "accountNumber": "ACC-9",
                             "accountPin": ACCOUNT_PIN, "authorizedSigner": "Jo Doe"},
                       format="json").json()["data"]["id"]


def test_group_holds_the_porting_permissions(db):
    codenames = set(Group.objects.get(name="porting-ops").permissions.values_list("codename", flat=True))
    assert {"review_loa", "view_portrequest", "change_portrequest", "view_portoutrequest"} <= codenames


def test_queue_lists_requests_waiting_for_review(staff, pending, client):
    other = client.post(URL, {"numbers": ["+12015550126"], "currentCarrier": "Acme"}, format="json").json()["data"]
    page = staff.get("/admin/porting/portrequest/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert pending in html and other["id"] not in html  # manual-mode request has no LoA to review yet


def test_review_screen_embeds_pdf_and_hides_the_pin(staff, pending):
    page = staff.get(f"/admin/porting/portrequest/{pending}/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<iframe" in html and f"/admin/porting/portrequest/{pending}/loa/" in html
    assert "+12015550124" in html and "ACC-9" in html and "provided (never shown)" in html
    assert ACCOUNT_PIN not in html


def test_review_screen_shows_images_inline(staff, client, upload_loa):
    port_id = client.post(URL, {"numbers": ["+12015550128"], "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client, PNG_BYTES, "scan.png")},
                          format="json").json()["data"]["id"]
    html = staff.get(f"/admin/porting/portrequest/{port_id}/review/").content.decode()
    assert "<img" in html and "<iframe" not in html


def test_staff_loa_view_serves_the_file_inline(staff, pending):
    response = staff.get(f"/admin/porting/portrequest/{pending}/loa/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # The review screen may frame it (the CSP's frame-ancestors wins over X-Frame-Options in browsers).
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "object-src 'self'" in policy and "script-src 'self'" in policy
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_review_screen_may_frame_its_own_origin(staff, pending):
    policy = staff.get(f"/admin/porting/portrequest/{pending}/review/")["Content-Security-Policy"]
    assert "frame-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_approve_dispatches_and_is_audited(staff, pending, reviewer, slow_carrier):
    response = staff.post(f"/admin/porting/portrequest/{pending}/review/",
                          {"action": "approve", "approve-note": "Signature matches"})
    assert response.status_code == 302
    port_request = PortRequest.objects.get(pk=pending)
    assert port_request.status == "carrier_review" and port_request.reviewed_by == reviewer
    assert port_request.provider_order_id
    audit = AuditLog.objects.get(action="port_in.loa_approve", object_id=pending)
    assert audit.acting_user == reviewer and ACCOUNT_PIN not in str(audit.before) + str(audit.after)


def test_reject_needs_code_and_note_and_is_audited(staff, pending, reviewer):
    incomplete = staff.post(f"/admin/porting/portrequest/{pending}/review/",
                            {"action": "reject", "reject-code": "LOA_ILLEGIBLE"})
    assert incomplete.status_code == 200 and PortRequest.objects.get(pk=pending).status == "validating_loa"
    bogus = staff.post(f"/admin/porting/portrequest/{pending}/review/",
                       {"action": "reject", "reject-code": "MADE_UP", "reject-note": "x"})
    assert bogus.status_code == 200 and PortRequest.objects.get(pk=pending).status == "validating_loa"
    done = staff.post(f"/admin/porting/portrequest/{pending}/review/",
                      {"action": "reject", "reject-code": "LOA_ILLEGIBLE", "reject-note": "Page 2 is cut off"})
    assert done.status_code == 302
    port_request = PortRequest.objects.get(pk=pending)
    assert port_request.status == "rejected" and port_request.reject_code == "LOA_ILLEGIBLE"
    assert port_request.rejected_by == "staff" and port_request.reject_reason == "Page 2 is cut off"
    assert AuditLog.objects.get(action="port_in.loa_reject", object_id=pending).acting_user == reviewer


def test_approving_twice_shows_an_error_not_a_crash(staff, pending, slow_carrier):
    staff.post(f"/admin/porting/portrequest/{pending}/review/", {"action": "approve"})
    again = staff.post(f"/admin/porting/portrequest/{pending}/review/", {"action": "approve"}, follow=True)
    assert again.status_code == 200
    assert "Only requests validating their LoA can be approved" in again.content.decode()


def test_review_needs_the_review_permission(pending, db):
    plain = User.objects.create_user("plain", "p@example.com", "pw-plain-123", is_staff=True)
    plain.user_permissions.add(Permission.objects.get(codename="view_portrequest"))
    browser = Client()
    browser.force_login(plain)
    assert browser.get("/admin/porting/portrequest/review/").status_code == 403
    assert browser.get(f"/admin/porting/portrequest/{pending}/review/").status_code == 403
    assert browser.post(f"/admin/porting/portrequest/{pending}/review/", {"action": "approve"}).status_code == 403
    assert browser.get(f"/admin/porting/portrequest/{pending}/loa/").status_code == 200  # may look, not decide
    assert PortRequest.objects.get(pk=pending).status == "validating_loa"
    anonymous = Client().get(f"/admin/porting/portrequest/{pending}/loa/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_staff_without_view_permission_cannot_open_the_loa(pending, db):
    nobody = User.objects.create_user("nobody", "n@example.com", "pw-nobody-123", is_staff=True)
    browser = Client()
    browser.force_login(nobody)
    assert browser.get(f"/admin/porting/portrequest/{pending}/loa/").status_code == 403


def test_change_page_and_list_never_show_secrets(staff, pending, client, org, own_number, reviewer):
    number = own_number(org)
    client.post(f"/api/v1/numbers/{number.id}/port-out-protection", {"port_out_pin": PORT_OUT_PIN}, format="json")
    pages = [
        staff.get(change_url(pending)),
        staff.get("/admin/porting/portrequest/"),
        staff.get("/admin/porting/portoutprotection/"),
    ]
    protection_id = number.port_out_protection.pk
    pages.append(staff.get(f"/admin/porting/portoutprotection/{protection_id}/change/"))
    stored_hash = number.port_out_protection.pin_hash
    encrypted = PortRequest.objects.get(pk=pending).account_pin_encrypted
    for page in pages:
        assert page.status_code == 200, page
        html = page.content.decode()
        assert ACCOUNT_PIN not in html and PORT_OUT_PIN not in html
        assert stored_hash not in html and encrypted not in html


def test_carrier_update_screen_for_manual_handling(staff, pending, settings):
    settings.ORBIT = {**settings.ORBIT, "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"],
                                                              "telnyx": "didww"}}  # an API-less carrier
    staff.post(f"/admin/porting/portrequest/{pending}/review/", {"action": "approve"})
    assert PortRequest.objects.get(pk=pending).handling == "manual"
    change = staff.get(change_url(pending)).content.decode()
    assert "Record carrier update" in change
    form = staff.get(f"/admin/porting/portrequest/{pending}/carrier-update/")
    assert form.status_code == 200
    response = staff.post(f"/admin/porting/portrequest/{pending}/carrier-update/",
                          {"status": "foc_scheduled", "foc_date": "2030-01-15", "provider_order_id": "T-1"})
    assert response.status_code == 302
    port_request = PortRequest.objects.get(pk=pending)
    assert port_request.status == "foc_scheduled" and str(port_request.foc_date) == "2030-01-15"
    assert AuditLog.objects.filter(action="port_in.carrier_update", object_id=pending).exists()


def test_carrier_update_lands_on_the_change_page_whatever_the_id(staff, org):
    """Ids are random: one starting "port_" + two hex digits was read back by the admin as an
    escaped character, so the redirect after a carrier update (and the test above, 1 run in ~10)
    landed on "does not exist"."""
    port_request = PortRequest.objects.create(
        id="port_12abcdefghjkmnpqrstv", organization=org, numbers=["+12015550124"], country="US",
        provider="didww", current_carrier="Acme", status="carrier_review", handling="manual")
    response = staff.post(f"/admin/porting/portrequest/{port_request.pk}/carrier-update/",
                          {"status": "foc_assigned"}, follow=True)
    assert response.redirect_chain == [(change_url(port_request.pk), 302)]
    assert response.status_code == 200 and "port_12abcdefghjkmnpqrstv" in response.content.decode()
    assert PortRequest.objects.get(pk=port_request.pk).status == "foc_assigned"
    review = staff.get(f"/admin/porting/portrequest/{port_request.pk}/review/").content.decode()
    assert f'href="{change_url(port_request.pk)}"' in review
