"""10DLC registration: brands and campaigns created and submitted through the API, vetted by the
simulated registry (pending → verified / rejected with the clock), the refresh job and command,
events, and what campaign_resolve and readiness read afterwards."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from inventory.models import Brand, Campaign, OwnedNumber, RegistrationStatus
from inventory.services import number_purchase
from inventory.services import ten_dlc as services
from inventory.services.orders import campaign_resolve
from orbit_numbers.errors import ProviderError, ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests.porting.readiness_support import install_checks

from .ten_dlc_support import (BRAND, BRANDS_URL, CAMPAIGN, CAMPAIGNS_URL, create_brand, create_campaign,
                              vetting_seconds)


def submit(client, kind: str, pk: str, body=None):
    return client.post(f"/api/v1/10dlc/{kind}/{pk}/submit", body if body is not None else {}, format="json")


def verified_brand(client, clock, settings, **changes) -> dict:
    brand = create_brand(client, **changes)
    assert submit(client, "brands", brand["id"]).json()["data"]["registration_status"] == "pending"
    clock.advance(seconds=vetting_seconds(settings) + 1)
    services.ten_dlc_vetting_refresh()
    return brand


def events(kind: str) -> list[dict]:
    return [e.payload for e in WebhookEvent.objects.filter(event_type=f"{kind}.status_changed").order_by("created_at")]


# --- brands -------------------------------------------------------------------------------------------


def test_create_a_draft_brand_then_read_and_list_it(client, org):
    data = create_brand(client, tax_id="123456789")
    assert data["registration_status"] == "draft" and data["identity_status"] == "PENDING"
    assert data["tax_id"] == "12-3456789" and data["tax_id_country"] == "US"
    assert data["rejection_code"] is None and data["submitted_at"] is None
    assert client.get(f"{BRANDS_URL}/{data['id']}").json()["data"]["legal_name"] == BRAND["legal_name"]
    listed = client.get(BRANDS_URL, {"status": "draft"}).json()
    assert [b["id"] for b in listed["data"]] == [data["id"]] and listed["meta"]["pagination"]["has_more"] is False
    assert client.get(BRANDS_URL, {"status": "verified"}).json()["data"] == []
    assert AuditLog.objects.filter(action="ten_dlc_brand.create", object_id=data["id"]).exists()


@pytest.mark.parametrize("changes, field", [
    ({"legal_name": ""}, "legal_name"),
    ({"entity_type": "LLC"}, "entity_type"),
    ({"vertical": "SPACE"}, "vertical"),
    ({"tax_id": "12-345"}, "tax_id"),
    ({"tax_id": ""}, "tax_id"),
    ({"entity_type": "SOLE_PROPRIETOR"}, "tax_id"),
    ({"entity_type": "PUBLIC_PROFIT"}, "stock_symbol"),
    ({"entity_type": "PUBLIC_PROFIT", "stock_symbol": "ACME"}, "stock_exchange"),
    ({"stock_symbol": "ACME"}, "stock_symbol"),
    ({"website": "ftp://acme.example.com"}, "website"),
    ({"website": ""}, "website"),
    ({"contact_email": "not-an-email"}, "contact_email"),
    ({"contact_phone": "+1415"}, "contact_phone"),
    ({"country": "XX"}, "country"),
    ({"postal_code": "7870"}, "postal_code"),
    ({"name": "Acme\x00"}, "name"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_brand_bodies_are_422(client, changes, field):
    response = client.post(BRANDS_URL, {**BRAND, **changes}, format="json")
    assert response.status_code == 422, response.json()
    assert field in response.json()["error"]["details"]
    assert not Brand.objects.exists()


def test_a_sole_proprietor_needs_no_tax_id_or_website_but_a_phone(client):
    body = {**BRAND, "entity_type": "SOLE_PROPRIETOR", "tax_id": "", "website": ""}
    assert client.post(BRANDS_URL, body, format="json").status_code == 201
    response = client.post(BRANDS_URL, {**body, "contact_phone": ""}, format="json")
    assert response.status_code == 422 and "contact_phone" in response.json()["error"]["details"]


def test_scopes_and_tenant_isolation(client, org, make_org, make_client):
    brand = create_brand(client)
    reader = make_client(org, scopes=["numbers:read"])
    assert reader.get(f"{BRANDS_URL}/{brand['id']}").status_code == 200
    assert reader.post(BRANDS_URL, BRAND, format="json").status_code == 403
    assert submit(reader, "brands", brand["id"]).status_code == 403
    assert reader.post(CAMPAIGNS_URL, {**CAMPAIGN, "brand_id": brand["id"]}, format="json").status_code == 403
    writer_only = make_client(org, scopes=["numbers:write"])
    assert writer_only.get(BRANDS_URL).status_code == 403
    other = make_client(make_org("Other"))
    assert other.get(f"{BRANDS_URL}/{brand['id']}").status_code == 404
    assert other.get(BRANDS_URL).json()["data"] == []
    assert submit(other, "brands", brand["id"]).status_code == 404
    response = other.post(CAMPAIGNS_URL, {**CAMPAIGN, "brand_id": brand["id"]}, format="json")
    assert response.status_code == 422 and "brand_id" in response.json()["error"]["details"]


def test_brand_vetting_progresses_pending_then_verified(client, org, clock, settings):
    brand = create_brand(client)
    response = submit(client, "brands", brand["id"])
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["registration_status"] == "pending" and data["submitted_at"] and data["vetted_at"] is None
    row = Brand.objects.get(pk=brand["id"])
    assert row.provider == "telnyx" and row.provider_ref.startswith("sim-telnyx-brand.")

    clock.advance(seconds=vetting_seconds(settings) - 5)
    result = services.ten_dlc_vetting_refresh()
    assert (result.polled, result.pending, result.verified) == (1, 1, 0)
    assert Brand.objects.get(pk=brand["id"]).registration_status == RegistrationStatus.PENDING
    assert events("brand") == []

    clock.advance(seconds=10)
    result = services.ten_dlc_vetting_refresh()
    assert (result.polled, result.verified) == (1, 1)
    data = client.get(f"{BRANDS_URL}/{brand['id']}").json()["data"]
    assert data["registration_status"] == "verified" and data["identity_status"] == "VERIFIED"
    assert data["vetted_at"] is not None
    assert events("brand") == [{"brand_id": brand["id"], "status": "verified", "previous_status": "pending"}]
    assert AuditLog.objects.filter(action="ten_dlc_brand.vetted", object_id=brand["id"]).count() == 1
    # Nothing pending any more: the job has nothing to ask.
    assert services.ten_dlc_vetting_refresh().polled == 0
    assert submit(client, "brands", brand["id"]).status_code == 409


def test_a_public_company_is_vetted_verified(client, clock, settings):
    brand = verified_brand(client, clock, settings, entity_type="PUBLIC_PROFIT", stock_symbol="acme",
                           stock_exchange="NASDAQ")
    row = Brand.objects.get(pk=brand["id"])
    assert row.identity_status == Brand.IdentityStatus.VETTED_VERIFIED and row.stock_symbol == "ACME"


def test_a_tax_id_ending_0000_is_rejected_and_can_be_submitted_again(client, org, clock, settings):
    brand = create_brand(client, tax_id="12-3450000")
    submit(client, "brands", brand["id"])
    assert submit(client, "brands", brand["id"]).status_code == 409  # already pending
    clock.advance(seconds=vetting_seconds(settings) + 1)
    assert services.ten_dlc_vetting_refresh().rejected == 1
    data = client.get(f"{BRANDS_URL}/{brand['id']}").json()["data"]
    assert data["registration_status"] == "rejected" and data["rejection_code"] == "TAX_ID_MISMATCH"
    assert "EIN" in data["rejection_reason"] and data["identity_status"] == "UNVERIFIED"
    assert events("brand") == [{"brand_id": brand["id"], "status": "rejected", "previous_status": "pending"}]
    again = submit(client, "brands", brand["id"]).json()["data"]
    assert again["registration_status"] == "pending" and again["rejection_code"] is None


def test_submit_refuses_bodies_and_unknown_brands(client):
    brand = create_brand(client)
    assert submit(client, "brands", brand["id"], {"force": True}).status_code == 422
    assert submit(client, "brands", "brd_nope").status_code == 404
    assert Brand.objects.get(pk=brand["id"]).registration_status == RegistrationStatus.DRAFT


def test_a_brand_staff_left_incomplete_is_422_on_submit(client, org):
    brand = Brand.objects.create(organization=org, name="Hand-made")
    response = submit(client, "brands", brand.pk)
    assert response.status_code == 422 and "legal_name" in response.json()["error"]["details"]
    assert Brand.objects.get(pk=brand.pk).registration_status == RegistrationStatus.DRAFT


def test_a_registry_outage_keeps_it_pending_and_the_job_submits_again(client, org, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter

    brand = create_brand(client)
    original = SimulatorAdapter.submit_ten_dlc_brand

    def down(self, *, brand):
        raise ProviderError("registry unavailable", provider_code="UNAVAILABLE", retryable=True)

    monkeypatch.setattr(SimulatorAdapter, "submit_ten_dlc_brand", down)
    data = submit(client, "brands", brand["id"]).json()["data"]
    row = Brand.objects.get(pk=brand["id"])
    assert data["registration_status"] == "pending" and row.provider_ref == ""
    assert row.last_error == "registry unavailable"
    assert services.ten_dlc_vetting_refresh().errors == 1  # still down
    monkeypatch.setattr(SimulatorAdapter, "submit_ten_dlc_brand", original)
    services.ten_dlc_vetting_refresh()
    row.refresh_from_db()
    assert row.provider_ref.startswith("sim-telnyx-brand.") and row.last_error == ""


def test_a_registry_refusal_rejects_it(client, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter

    def refuse(self, *, brand):
        raise ProviderError("telnyx: POST /10dlc/brand failed with HTTP 422: invalid EIN", provider_code="10015")

    monkeypatch.setattr(SimulatorAdapter, "submit_ten_dlc_brand", refuse)
    brand = create_brand(client)
    data = submit(client, "brands", brand["id"]).json()["data"]
    assert data["registration_status"] == "rejected" and data["rejection_code"] == "10015"
    assert "invalid EIN" in data["rejection_reason"]


def test_a_late_answer_about_an_older_submission_changes_nothing(client, org):
    brand = create_brand(client)
    submit(client, "brands", brand["id"])
    row = Brand.objects.get(pk=brand["id"])
    from datetime import timedelta

    from inventory.providers.base import TenDlcVetting

    stale = services._brand_apply(row.pk, row.submitted_at - timedelta(seconds=1),
                                  vetting=TenDlcVetting(status="rejected", reference="x", reject_code="OLD"))
    assert stale.registration_status == RegistrationStatus.PENDING and stale.rejection_code == ""


# --- campaigns ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, field", [
    ({"use_case": "SPAM"}, "use_case"),
    ({"description": "too short"}, "description"),
    ({"message_flow": "web"}, "message_flow"),
    ({"sample_messages": []}, "sample_messages"),
    ({"sample_messages": ["short"]}, "sample_messages.0"),
    ({"sample_messages": ["a sample message that is long enough"] * 6}, "sample_messages"),
    ({"sample_messages": ["Acme: track it at https://acme.example.com/t/1 now"]}, "sample_messages"),
    ({"opt_out_keywords": ["QUIT"]}, "opt_out_keywords"),
    ({"help_keywords": ["INFO"]}, "help_keywords"),
    ({"opt_out_keywords": ["STOP", "NO WAY"]}, "opt_out_keywords"),
    ({"opt_in_keywords": ["START"]}, "opt_in_message"),
    ({"opt_out_message": "Bye now, thanks for everything."}, "opt_out_message"),
    ({"help_message": "Call us."}, "help_message"),
    ({"use_case": "2FA", "embedded_link": True}, "embedded_link"),
    ({"embedded_link": "maybe"}, "embedded_link"),
    ({"brand_id": "brd_nope"}, "brand_id"),
    ({"status": "ACTIVE"}, "status"),
])
def test_bad_campaign_bodies_are_422(client, changes, field):
    brand = create_brand(client)
    response = client.post(CAMPAIGNS_URL, {**CAMPAIGN, "brand_id": brand["id"], **changes}, format="json")
    assert response.status_code == 422, response.json()
    assert field in response.json()["error"]["details"]
    assert not Campaign.objects.exists()


def test_campaign_defaults_and_a_link_with_embedded_link(client):
    brand = create_brand(client)
    data = create_campaign(client, brand["id"], embedded_link=True, opt_in_keywords=["start"],
                           opt_in_message="Acme: you are subscribed to order alerts. Reply STOP to opt out.",
                           sample_messages=["Acme: track your parcel at https://acme.example.com/t/1"])
    assert data["registration_status"] == "draft" and data["status"] == "PENDING"
    assert (data["opt_in_keywords"], data["opt_out_keywords"], data["help_keywords"]) == (["START"], ["STOP"],
                                                                                          ["HELP"])
    assert data["brand_id"] == brand["id"] and data["embedded_link"] is True


def test_a_campaign_needs_a_verified_brand(client, clock, settings):
    brand = create_brand(client)
    campaign = create_campaign(client, brand["id"])
    response = submit(client, "campaigns", campaign["id"])
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"brand_id": brand["id"], "brand_status": "draft"}
    submit(client, "brands", brand["id"])
    assert submit(client, "campaigns", campaign["id"]).status_code == 409  # brand still pending
    assert Campaign.objects.get(pk=campaign["id"]).registration_status == RegistrationStatus.DRAFT


def test_campaign_vetting_makes_it_active_and_attachable(client, org, make_number, clock, settings, monkeypatch):
    brand = verified_brand(client, clock, settings)
    campaign = create_campaign(client, brand["id"])
    data = submit(client, "campaigns", campaign["id"]).json()["data"]
    assert data["registration_status"] == "pending" and data["status"] == "PENDING"
    with pytest.raises(ValidationFailed):
        campaign_resolve(organization=org, campaign_id=campaign["id"])

    # Readiness sees the pending campaign as one to wait for, then as attachable once verified.
    install_checks(monkeypatch, modules=("campaign",))
    owned = number_purchase(organization=org, phone_number=make_number("US").e164, country_code="US")
    readiness = client.post("/api/v1/numbers/readiness", {"numbers": [owned.e164]}, format="json")
    assert readiness.json()["data"]["results"][0]["checks"]["campaign"]["status"] == "blocked"

    clock.advance(seconds=vetting_seconds(settings) + 1)
    assert services.ten_dlc_vetting_refresh().verified == 1
    data = client.get(f"{CAMPAIGNS_URL}/{campaign['id']}").json()["data"]
    assert data["registration_status"] == "verified" and data["status"] == "ACTIVE"
    assert events("campaign") == [{"campaign_id": campaign["id"], "status": "verified",
                                   "previous_status": "pending"}]
    assert campaign_resolve(organization=org, campaign_id=campaign["id"]).pk == campaign["id"]
    response = client.put(f"/api/v1/numbers/{owned.id}", {"campaign_id": campaign["id"]}, format="json")
    assert response.status_code == 200 and response.json()["data"]["campaign_id"] == campaign["id"]
    readiness = client.post("/api/v1/numbers/readiness", {"numbers": [owned.e164]}, format="json")
    assert readiness.json()["data"]["results"][0]["checks"]["campaign"]["status"] == "ok"


def test_a_banned_word_rejects_the_campaign_and_it_cannot_be_attached(client, org, make_number, clock, settings):
    brand = verified_brand(client, clock, settings)
    campaign = create_campaign(client, brand["id"], sample_messages=[
        "Acme: need cash fast? A payday advance is one reply away. Reply STOP to opt out."])
    submit(client, "campaigns", campaign["id"])
    clock.advance(seconds=vetting_seconds(settings) + 1)
    assert services.ten_dlc_vetting_refresh().rejected == 1
    data = client.get(f"{CAMPAIGNS_URL}/{campaign['id']}").json()["data"]
    assert (data["registration_status"], data["status"], data["rejection_code"]) == ("rejected", "REJECTED",
                                                                                     "PROHIBITED_CONTENT")
    assert events("campaign")[-1]["status"] == "rejected"
    owned = number_purchase(organization=org, phone_number=make_number("US").e164, country_code="US")
    response = client.put(f"/api/v1/numbers/{owned.id}", {"campaign_id": campaign["id"]}, format="json")
    assert response.status_code == 422 and "not ACTIVE" in response.json()["error"]["details"]["campaign_id"]
    assert OwnedNumber.objects.get(pk=owned.pk).campaign_id is None


def test_campaign_list_filters_by_status_and_brand(client, clock, settings):
    first = verified_brand(client, clock, settings)
    second = create_brand(client, name="Second")
    a = create_campaign(client, first["id"], name="A")
    b = create_campaign(client, second["id"], name="B")
    submit(client, "campaigns", a["id"])
    assert [c["id"] for c in client.get(CAMPAIGNS_URL, {"brand": second["id"]}).json()["data"]] == [b["id"]]
    assert [c["id"] for c in client.get(CAMPAIGNS_URL, {"status": "pending"}).json()["data"]] == [a["id"]]
    both = client.get(CAMPAIGNS_URL).json()["data"]
    assert {c["id"] for c in both} == {a["id"], b["id"]}
    assert client.get(CAMPAIGNS_URL, {"status": "ACTIVE"}).status_code == 422
    assert client.get(CAMPAIGNS_URL, {"colour": "x"}).status_code == 422


def test_the_command_polls_pending_registrations(client, clock, settings):
    brand = create_brand(client)
    submit(client, "brands", brand["id"])
    clock.advance(seconds=vetting_seconds(settings) + 1)
    out = io.StringIO()
    call_command("refresh_ten_dlc_vetting", stdout=out)
    assert "Polled 1: 1 verified, 0 rejected, 0 still pending; 0 error(s)." in out.getvalue()
    assert Brand.objects.get(pk=brand["id"]).registration_status == RegistrationStatus.VERIFIED


def test_the_beat_job_is_scheduled_and_routed_to_the_carrier_queue(db, settings):
    from inventory.tasks import refresh_ten_dlc_vetting

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-ten-dlc-vetting"]
    assert entry["task"] == refresh_ten_dlc_vetting.name
    assert settings.CELERY_TASK_ROUTES[refresh_ten_dlc_vetting.name] == {"queue": "carrier"}
    assert refresh_ten_dlc_vetting.apply().get() == {"polled": 0, "verified": 0, "rejected": 0, "pending": 0,
                                                     "errors": 0}


def test_a_campaign_of_a_brand_vetted_outside_orbit_cannot_be_submitted(client, org):
    brand = Brand.objects.create(organization=org, name="Legacy", identity_status=Brand.IdentityStatus.VERIFIED,
                                 registration_status=RegistrationStatus.VERIFIED)
    campaign = create_campaign(client, brand.pk)
    response = submit(client, "campaigns", campaign["id"])
    assert response.status_code == 409 and "outside Orbit" in response.json()["error"]["message"]
    assert Campaign.objects.get(pk=campaign["id"]).registration_status == RegistrationStatus.DRAFT


def test_the_contact_is_mailed_when_vetting_finishes(client, org, clock, settings,
                                                     django_capture_on_commit_callbacks):
    from django.core import mail

    org.contact_email = "ops@acme.example.com"
    org.save()
    brand = create_brand(client, tax_id="12-3450000")
    submit(client, "brands", brand["id"])
    clock.advance(seconds=vetting_seconds(settings) + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.ten_dlc_vetting_refresh()
    message = next(m for m in mail.outbox if "10DLC brand" in m.subject)
    assert message.to == ["ops@acme.example.com"] and "rejected" in message.subject
    assert "could not match the tax id" in message.body and brand["id"] in message.body


def test_registry_failures_are_logged_for_the_organisation(client, org, monkeypatch):
    from inventory.models import CarrierFailure
    from inventory.providers.simulator import SimulatorAdapter

    def down(self, *, brand):
        raise ProviderError("registry unavailable", provider_code="UNAVAILABLE", retryable=True)

    monkeypatch.setattr(SimulatorAdapter, "submit_ten_dlc_brand", down)
    brand = create_brand(client)
    submit(client, "brands", brand["id"])
    failure = CarrierFailure.objects.get(operation="ten_dlc_brand_submit")
    assert (failure.provider, failure.code, failure.organization) == ("telnyx", "UNAVAILABLE", org)


def test_the_simulated_delay_and_banned_words_are_settings(client, settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_TEN_DLC_VETTING_SECONDS": 0,
                      "SIMULATOR_TEN_DLC_BANNED_WORDS": ["SHIPPED"]}
    brand = create_brand(client)
    # No delay: the registry answers the submission with its verdict at once.
    assert submit(client, "brands", brand["id"]).json()["data"]["registration_status"] == "verified"
    campaign = create_campaign(client, brand["id"])
    data = submit(client, "campaigns", campaign["id"]).json()["data"]
    assert (data["registration_status"], data["rejection_code"]) == ("rejected", "PROHIBITED_CONTENT")


# --- edit (PATCH) -------------------------------------------------------------------------------------


def test_a_rejected_brand_is_corrected_with_patch_and_verified_on_resubmission(client, org, clock, settings):
    brand = create_brand(client, tax_id="12-3450000")
    submit(client, "brands", brand["id"])
    assert client.patch(f"{BRANDS_URL}/{brand['id']}", {"tax_id": "12-3456789"},
                        format="json").status_code == 409  # pending: the registry has it
    clock.advance(seconds=vetting_seconds(settings) + 1)
    services.ten_dlc_vetting_refresh()
    edited = client.patch(f"{BRANDS_URL}/{brand['id']}", {"tax_id": "123456789"}, format="json")
    assert edited.status_code == 200, edited.json()
    data = edited.json()["data"]
    assert data["tax_id"] == "12-3456789" and data["legal_name"] == BRAND["legal_name"]  # untouched fields kept
    assert data["registration_status"] == "rejected"
    audit = AuditLog.objects.get(action="ten_dlc_brand.update", object_id=brand["id"])
    assert audit.before == {"tax_id": "12-3450000"} and audit.after == {"tax_id": "12-3456789"}
    submit(client, "brands", brand["id"])
    clock.advance(seconds=vetting_seconds(settings) + 1)
    services.ten_dlc_vetting_refresh()
    assert client.get(f"{BRANDS_URL}/{brand['id']}").json()["data"]["registration_status"] == "verified"
    assert client.patch(f"{BRANDS_URL}/{brand['id']}", {"city": "Dallas"}, format="json").status_code == 409


@pytest.mark.parametrize("body, field", [
    ({"entity_type": "PUBLIC_PROFIT"}, "stock_symbol"),  # checked on the result, not only the fields sent
    ({"website": ""}, "website"),
    ({"tax_id": "12-345"}, "tax_id"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_brand_edits_are_422_and_change_nothing(client, body, field):
    brand = create_brand(client)
    response = client.patch(f"{BRANDS_URL}/{brand['id']}", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]
    assert Brand.objects.get(pk=brand["id"]).website == BRAND["website"]


def test_a_draft_campaign_is_edited_but_not_moved_to_another_brand(client, clock, settings):
    brand = verified_brand(client, clock, settings)
    campaign = create_campaign(client, brand["id"])
    moved = client.patch(f"{CAMPAIGNS_URL}/{campaign['id']}", {"brand_id": brand["id"]}, format="json")
    assert moved.status_code == 422 and "brand_id" in moved.json()["error"]["details"]
    edited = client.patch(f"{CAMPAIGNS_URL}/{campaign['id']}", {"name": "Shipping alerts"}, format="json")
    assert edited.status_code == 200 and edited.json()["data"]["name"] == "Shipping alerts"
    assert edited.json()["data"]["sample_messages"] == CAMPAIGN["sample_messages"]
    bad = client.patch(f"{CAMPAIGNS_URL}/{campaign['id']}", {"help_keywords": ["INFO"]}, format="json")
    assert bad.status_code == 422 and "help_keywords" in bad.json()["error"]["details"]


def test_edits_are_tenant_isolated_and_need_write(client, make_org, make_client):
    brand = create_brand(client)
    other = make_client(make_org("Other"))
    assert other.patch(f"{BRANDS_URL}/{brand['id']}", {"city": "Dallas"}, format="json").status_code == 404
    reader = make_client(Brand.objects.get(pk=brand["id"]).organization, scopes=["numbers:read"])
    assert reader.patch(f"{BRANDS_URL}/{brand['id']}", {"city": "Dallas"}, format="json").status_code == 403
