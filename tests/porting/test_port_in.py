"""Port-in requests through the API: submit, LoA, list/get, timeline, refresh, supplement, cancel."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from porting import services
from porting.models import PortInNumber, PortRequest
from tests.bodies import post_unread
from tests.porting.conftest import PDF_BYTES, PNG_BYTES

URL = "/api/v1/numbers/porting"
PIN = "7431-secret"


def submit(client, **body):
    body.setdefault("numbers", ["+12015550123"])
    body.setdefault("currentCarrier", "Acme Telecom")
    return client.post(URL, body, format="json")


def loa_upload(client, port_id, data=PDF_BYTES, name="loa.pdf"):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post(f"{URL}/{port_id}/loa", {"file": handle}, format="multipart")


def sign(client, port_id, **body):
    body = {"signerName": "Jo Doe", "signerEmail": "jo@example.com", "acknowledgement": True, **body}
    return client.post(f"{URL}/{port_id}/loa/sign", body, format="json")


# ----------------------------------------------------------------------------------- submit

def test_submit_with_loa_url_waits_for_loa_review(client, upload_loa):
    response = submit(client, country="US", loaFileUrl=upload_loa(client), accountNumber="ACC-1", accountPin=PIN,
                      authorizedSigner="Jo Doe", serviceAddress={"line1": "1 Main St", "city": "Newark",
                                                                 "state": "NJ", "postalCode": "07102",
                                                                 "countryCode": "US"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["id"].startswith("port_")
    assert data["status"] == "validating_loa" and data["mode"] == "loa_url"
    assert data["loaSignatureStatus"] == "signed" and data["loaSignedBy"] == "Jo Doe"
    assert data["provider"] == "telnyx" and data["country"] == "US" and data["handProcessing"] is False
    assert data["accountPinProvided"] is True and "accountPin" not in data
    assert data["serviceAddress"]["postalCode"] == "07102"
    assert PIN not in response.content.decode()
    stored = PortRequest.objects.get(pk=data["id"])
    assert stored.account_pin_encrypted and PIN not in stored.account_pin_encrypted


def test_submit_accepts_a_single_string_and_snake_case_aliases(client, upload_loa):
    response = client.post(URL, {"numbers": "+12015550123", "current_carrier": "Acme", "authorization_name": "Jo",
                                 "account_number": "A-1", "pin": PIN, "loa_file_url": upload_loa(client),
                                 "country": "us",
                                 "service_address": {"line1": "1 Main", "city": "X", "postal_code": "07102",
                                                     "country_code": "US"}}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["numbers"] == ["+12015550123"] and data["currentCarrier"] == "Acme"
    assert data["authorizedSigner"] == "Jo" and data["accountNumber"] == "A-1" and data["accountPinProvided"]
    assert data["country"] == "US" and data["serviceAddress"]["postalCode"] == "07102"
    assert client.post(URL, {"numbers": ["+12015550124"], "carrier": "Acme"}, format="json").status_code == 201


def test_submit_without_loa_is_manual_mode(client):
    data = submit(client, country="US").json()["data"]
    assert data["status"] == "submitted" and data["mode"] == "manual" and data["loaSignatureStatus"] == "missing"


def test_submit_without_country_is_kept_for_hand_processing(client, upload_loa):
    data = submit(client, loaFileUrl=upload_loa(client)).json()["data"]
    assert data["handProcessing"] is True and data["country"] is None and data["provider"] is None
    assert data["status"] == "validating_loa"  # staff still review the LoA; they pick the country


def test_non_us_numbers_port_through_didww(client):
    data = submit(client, numbers=["+442079460123"], country="GB").json()["data"]
    assert data["provider"] == "didww"


@pytest.mark.parametrize("body,field", [
    ({"numbers": None}, "numbers"),
    ({"numbers": []}, "numbers"),
    ({"numbers": ["2015550123"]}, "numbers"),
    ({"numbers": ["+12015550123", "+12015550123"]}, "numbers"),
    ({"numbers": 12015550123}, "numbers"),
    ({"currentCarrier": ""}, "currentCarrier"),
    ({"country": "XX"}, "country"),
    ({"country": "GB"}, "numbers"),  # a US number is not a GB number
    ({"serviceAddress": {"city": "X", "postalCode": "1", "countryCode": "US"}}, "serviceAddress.line1"),
    ({"serviceAddress": {"line1": "1", "city": "X", "postalCode": "1", "countryCode": "US", "floor": 3}},
     "serviceAddress.floor"),
    ({"colour": "red"}, "colour"),
    ({"carrier": "Dup"}, "carrier"),  # alias and canonical together: the alias is an unknown field
    ({"accountPin": "x" * 65}, "accountPin"),
])
def test_bad_submissions_are_422(client, body, field):
    body = {"numbers": ["+12015550123"], "currentCarrier": "Acme", **body}
    if body["numbers"] is None:
        del body["numbers"]
    response = client.post(URL, body, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]


@pytest.mark.parametrize("url", [
    "https://storage.googleapis.com/orbit/loa.pdf?X-Goog-Signature=deadbeef",
    "https://example.com/loa.pdf",
    "http://testserver/api/v1/files/file_00000000000000000000/content?token=forged",
])
def test_foreign_or_forged_loa_urls_are_invalid_origin(client, url):
    response = submit(client, country="US", loaFileUrl=url)
    assert response.status_code == 422 and response.json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    assert PortRequest.objects.count() == 0


def test_tampered_expired_and_other_tenants_loa_urls_are_invalid_origin(client, make_client, make_org, upload_loa,
                                                                       settings):
    other = make_client(make_org("Other"))
    foreign = upload_loa(other)
    assert submit(client, loaFileUrl=foreign).json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    mine = upload_loa(client)
    assert submit(client, loaFileUrl=mine[:-3] + "abc").json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    settings.ORBIT = {**settings.ORBIT, "FILE_URL_TTL_SECONDS": -1}
    assert submit(client, loaFileUrl=mine).json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"


def test_numbers_already_on_orbit_are_409(client, org, own_number):
    owned = own_number(org)
    response = submit(client, numbers=[owned.e164, "+12015550125"])
    assert response.status_code == 409 and owned.e164 in response.json()["error"]["message"]
    assert "already one of your numbers" in response.json()["error"]["message"]
    assert response.json()["error"]["details"]["reasons"] == {owned.e164: "YOUR_NUMBER"}


def test_one_open_port_per_number_across_tenants(client, make_client, make_org):
    assert submit(client, numbers=["+12015550123"]).status_code == 201
    again = submit(client, numbers=["+12015550123"])
    assert again.status_code == 409 and again.json()["error"]["details"]["reasons"] == {
        "+12015550123": "YOUR_OPEN_PORT_IN"}
    other = make_client(make_org("Other"))
    response = submit(other, numbers=["+12015550124", "+12015550123"])
    assert response.status_code == 409 and "+12015550123" in response.json()["error"]["message"]
    assert PortRequest.objects.count() == 1


def test_another_tenants_numbers_and_ports_are_409_not_eligible_alike(client, org, own_number, make_client,
                                                                      make_org):
    """Submitting another tenant's hosted number or a number it is porting in gets one answer that
    says neither: not which, not whose."""
    hosted = own_number(org)
    assert submit(client, numbers=["+12015550123"]).status_code == 201
    other = make_client(make_org("Other"))
    answers = [submit(other, numbers=[e164]).json()["error"] for e164 in (hosted.e164, "+12015550123")]
    for error, e164 in zip(answers, (hosted.e164, "+12015550123")):
        assert error["code"] == "CONFLICT"
        assert error["details"] == {"numbers": e164, "reasons": {e164: "NOT_ELIGIBLE"}}
        assert error["message"] == f"Cannot port in {e164}: This number is not eligible to port to Orbit."
    assert PortRequest.objects.count() == 1


def test_a_race_on_the_open_port_constraint_names_nothing_either(client, make_client, make_org, monkeypatch):
    """If another tenant's port opens between the check and the insert, the constraint answers,
    in the same words."""
    from porting.services import port_in

    assert submit(client, numbers=["+12015550123"]).status_code == 201
    real, calls = port_in.port_in_blockers, []

    def blind_at_first(**kwargs):  # the check before the insert sees nothing yet
        calls.append(kwargs)
        return {} if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(port_in, "port_in_blockers", blind_at_first)
    response = submit(make_client(make_org("Other")), numbers=["+12015550123"])
    assert response.status_code == 409
    assert response.json()["error"]["details"]["reasons"] == {"+12015550123": "NOT_ELIGIBLE"}
    assert len(calls) == 2


def test_a_file_uploaded_for_another_purpose_is_no_loa(client, upload_loa, reviewer):
    from tests.porting.conftest import pdf_file

    invoice = client.post("/api/v1/files/upload", {"file": pdf_file("bill.pdf"), "purpose": "invoice"},
                          format="multipart").json()["data"]["url"]
    refused = submit(client, country="US", loaFileUrl=invoice)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    assert PortRequest.objects.count() == 0
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_reject(port_request_id=port_id, acting_user=reviewer, code="LOA_UNSIGNED")
    loa_file_id = PortRequest.objects.get(pk=port_id).loa_file_id
    again = client.post(f"{URL}/{port_id}/supplement", {"loaFileUrl": invoice}, format="json")
    assert again.status_code == 422 and again.json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    stored = PortRequest.objects.get(pk=port_id)
    assert stored.status == "rejected" and stored.loa_file_id == loa_file_id


def test_cancelled_or_expired_rejections_free_the_number(client):
    first = submit(client).json()["data"]["id"]
    client.delete(f"{URL}/{first}")
    second = submit(client).json()["data"]["id"]
    PortRequest.objects.filter(pk=second).update(status="rejected", rejected_at=timezone.now() - timedelta(days=8))
    assert submit(client).status_code == 201


def test_submit_is_idempotent(client):
    first = client.post(URL, {"numbers": ["+12015550123"], "currentCarrier": "A"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(URL, {"numbers": ["+12015550123"], "currentCarrier": "A"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["data"]["id"] == first.json()["data"]["id"]
    other = client.post(URL, {"numbers": ["+12015550124"], "currentCarrier": "A"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"


def test_scopes(make_client, org):
    reader = make_client(org, ["porting:read"])
    writer = make_client(org, ["porting:write"])
    assert submit(reader).status_code == 403
    port_id = submit(writer).json()["data"]["id"]
    assert writer.get(URL).status_code == 403
    assert reader.get(f"{URL}/{port_id}").status_code == 200
    assert reader.get(f"{URL}/{port_id}/timeline").status_code == 200
    assert reader.delete(f"{URL}/{port_id}").status_code == 403
    assert sign(reader, port_id).status_code == 403
    assert reader.post(f"{URL}/{port_id}/refresh").status_code == 403
    assert reader.post(f"{URL}/{port_id}/supplement", {}, format="json").status_code == 403


# ----------------------------------------------------------------------------------- LoA (manual mode)

def test_manual_mode_upload_then_sign(client):
    port_id = submit(client, country="US").json()["data"]["id"]
    uploaded = loa_upload(client, port_id)
    assert uploaded.status_code == 201
    assert uploaded.json()["data"]["loaSignatureStatus"] == "draft" and uploaded.json()["data"]["loaFileId"]
    signed = sign(client, port_id)
    assert signed.status_code == 200
    data = signed.json()["data"]
    assert data["loaSignatureStatus"] == "signed" and data["status"] == "validating_loa"
    assert data["loaSignedBy"] == "Jo Doe" and data["authorizedSigner"] == "Jo Doe"


def test_sign_rules(client):
    port_id = submit(client).json()["data"]["id"]
    assert sign(client, port_id).status_code == 409  # nothing uploaded yet
    loa_upload(client, port_id, PNG_BYTES, "scan.png")
    assert sign(client, port_id, acknowledgement=False).status_code == 422
    assert sign(client, port_id, signerEmail="not-an-email").status_code == 422
    assert sign(client, port_id, signerName="").status_code == 422
    assert sign(client, port_id, extra=1).status_code == 422
    assert client.post(f"{URL}/{port_id}/loa/sign", {"signer_name": "A", "email": "a@b.co", "acknowledged": True},
                       format="json").status_code == 200
    assert sign(client, port_id).status_code == 409  # already signed


def test_loa_upload_rules(client):
    port_id = submit(client).json()["data"]["id"]
    assert loa_upload(client, port_id, b"GIF89a not allowed", "loa.pdf").status_code == 422
    missing = client.post(f"{URL}/{port_id}/loa", {}, format="multipart")
    assert missing.status_code == 422
    assert client.post(f"{URL}/{port_id}/loa", {"file": "x"}, format="json").status_code == 415


def test_an_loa_body_over_the_upload_limit_is_413_before_it_is_read(client):
    port_id = submit(client).json()["data"]["id"]
    response = post_unread(client, f"{URL}/{port_id}/loa", content_length=27 * 1024 * 1024)
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert PortRequest.objects.get(pk=port_id).loa_file_id is None


def test_replacing_a_signed_loa_goes_back_to_draft(client, upload_loa):
    port_id = submit(client, loaFileUrl=upload_loa(client)).json()["data"]["id"]
    data = loa_upload(client, port_id).json()["data"]
    assert data["status"] == "submitted" and data["loaSignatureStatus"] == "draft"


def test_loa_cannot_change_once_with_the_carrier(client, upload_loa, reviewer, slow_carrier):
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    assert loa_upload(client, port_id).status_code == 409
    assert sign(client, port_id).status_code == 409


# ----------------------------------------------------------------------------------- list / get / isolation

def test_list_is_paginated_filtered_and_tenant_scoped(client, make_client, make_org):
    ids = [submit(client, numbers=[f"+1201555012{n}"]).json()["data"]["id"] for n in range(3)]
    other = make_client(make_org("Other"))
    submit(other, numbers=["+12015550199"])
    first = client.get(URL, {"limit": 2})
    assert first.status_code == 200
    assert [p["id"] for p in first.json()["data"]] == ids[::-1][:2]
    pagination = first.json()["meta"]["pagination"]
    assert pagination["has_more"] is True
    second = client.get(URL, {"limit": 2, "cursor": pagination["cursor"]})
    assert [p["id"] for p in second.json()["data"]] == [ids[0]]
    assert second.json()["meta"]["pagination"] == {"cursor": None, "has_more": False}
    client.delete(f"{URL}/{ids[1]}")
    assert [p["id"] for p in client.get(URL, {"status": "cancelled"}).json()["data"]] == [ids[1]]
    assert client.get(URL, {"status": "lost"}).status_code == 422
    assert client.get(URL, {"cursor": "garbage"}).status_code == 422


def test_another_tenants_request_is_404_everywhere(client, make_client, make_org):
    port_id = submit(client).json()["data"]["id"]
    other = make_client(make_org("Other"))
    assert other.get(f"{URL}/{port_id}").status_code == 404
    assert other.get(f"{URL}/{port_id}/timeline").status_code == 404
    assert loa_upload(other, port_id).status_code == 404
    assert sign(other, port_id).status_code == 404
    assert other.post(f"{URL}/{port_id}/refresh").status_code == 404
    assert other.post(f"{URL}/{port_id}/supplement", {}, format="json").status_code == 404
    assert other.delete(f"{URL}/{port_id}").status_code == 404
    assert client.get(f"{URL}/port_00000000000000000000").status_code == 404
    assert PortRequest.objects.get(pk=port_id).status == "submitted"


# ----------------------------------------------------------------------------------- timeline / refresh

def test_timeline_counts_days_and_marks_stages(client, upload_loa):
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    PortRequest.objects.filter(pk=port_id).update(submitted_at=timezone.now() - timedelta(days=3, hours=2))
    data = client.get(f"{URL}/{port_id}/timeline").json()["data"]
    assert data["elapsedDays"] == 3 and data["status"] == "validating_loa"
    states = {s["stage"]: s["state"] for s in data["stages"]}
    assert states == {"submitted": "done", "validating_loa": "current", "carrier_review": "upcoming",
                      "foc_assigned": "upcoming", "foc_scheduled": "upcoming", "completed": "upcoming"}
    assert data["stages"][0]["enteredAt"] and data["rejection"] is None and data["focDate"] is None
    assert [h["status"] for h in data["history"]] == ["submitted", "validating_loa"]


def test_refresh_follows_the_carrier_stage_by_stage(client, upload_loa, reviewer, settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 100}
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    assert client.post(f"{URL}/{port_id}/refresh").status_code == 409  # not with the carrier yet
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    port_request = PortRequest.objects.get(pk=port_id)
    assert port_request.status == "carrier_review" and port_request.provider_order_id

    def age_order(seconds):
        prefix, created_ms, reject, digest = port_request.provider_order_id.split(".")
        created = int(timezone.now().timestamp() * 1000) - seconds * 1000
        PortRequest.objects.filter(pk=port_id).update(provider_order_id=f"{prefix}.{created}.{reject}.{digest}")

    assert client.post(f"{URL}/{port_id}/refresh").json()["data"]["status"] == "carrier_review"
    age_order(150)
    data = client.post(f"{URL}/{port_id}/refresh").json()["data"]
    assert data["status"] == "foc_assigned" and data["focDate"]
    age_order(250)
    assert client.post(f"{URL}/{port_id}/refresh").json()["data"]["status"] == "foc_scheduled"
    timeline = client.get(f"{URL}/{port_id}/timeline").json()["data"]
    assert timeline["focDate"] and [s["state"] for s in timeline["stages"]] == [
        "done", "done", "done", "done", "current", "upcoming"]


def test_refresh_when_the_carrier_is_down_is_409(client, upload_loa, reviewer, slow_carrier, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter
    from orbit_numbers.errors import ProviderError

    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)

    def down(self, **kwargs):
        raise ProviderError("telnyx: timed out", provider_code="UNAVAILABLE", retryable=True)

    monkeypatch.setattr(SimulatorAdapter, "port_in_status", down)
    response = client.post(f"{URL}/{port_id}/refresh")
    assert response.status_code == 409 and "did not answer" in response.json()["error"]["message"]
    assert PortRequest.objects.get(pk=port_id).status == "carrier_review"


# ----------------------------------------------------------------------------------- rejection / supplement

def rejected_by_carrier(client, upload_loa, reviewer, number="+12015550401"):
    port_id = submit(client, numbers=[number], country="US", loaFileUrl=upload_loa(client),
                     accountNumber="WRONG").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    assert client.post(f"{URL}/{port_id}/refresh").json()["data"]["status"] == "rejected"
    return port_id


def test_carrier_rejection_is_explained(client, upload_loa, reviewer, fast_carrier):
    port_id = rejected_by_carrier(client, upload_loa, reviewer)
    data = client.get(f"{URL}/{port_id}").json()["data"]
    assert data["status"] == "rejected"
    rejection = client.get(f"{URL}/{port_id}/timeline").json()["data"]["rejection"]
    assert rejection["code"] == "ACCOUNT_NUMBER_MISMATCH" and rejection["rejectedBy"] == "carrier"
    assert "account number" in rejection["explanation"].lower()
    assert "supplement" in rejection["recommendedAction"].lower()
    assert rejection["canSupplement"] is True and rejection["supplementDeadline"]


def test_supplement_resubmits_without_restarting_the_foc_clock(client, upload_loa, reviewer, fast_carrier):
    port_id = rejected_by_carrier(client, upload_loa, reviewer)
    original = PortRequest.objects.get(pk=port_id).submitted_at
    response = client.post(f"{URL}/{port_id}/supplement", {"accountNumber": "ACC-RIGHT", "accountPin": PIN,
                                                          "note": "fixed account"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["supplementCount"] == 1 and data["accountNumber"] == "ACC-RIGHT" and data["rejection"] is None
    assert data["status"] == "carrier_review"
    # The fast simulated carrier accepts the corrected order at the next poll.
    assert client.post(f"{URL}/{port_id}/refresh").json()["data"]["status"] == "completed"
    assert PortRequest.objects.get(pk=port_id).submitted_at == original
    assert PIN not in response.content.decode()


def test_supplement_only_for_rejected_requests_within_seven_days(client, upload_loa, reviewer, fast_carrier):
    open_id = submit(client, numbers=["+12015550150"]).json()["data"]["id"]
    assert client.post(f"{URL}/{open_id}/supplement", {}, format="json").status_code == 409
    port_id = rejected_by_carrier(client, upload_loa, reviewer)
    PortRequest.objects.filter(pk=port_id).update(rejected_at=timezone.now() - timedelta(days=7, minutes=1))
    response = client.post(f"{URL}/{port_id}/supplement", {"accountNumber": "X"}, format="json")
    assert response.status_code == 409 and "window closed" in response.json()["error"]["message"]
    assert client.post(f"{URL}/{port_id}/supplement", {"numbers": ["+12015550111"]},
                       format="json").status_code == 422  # numbers cannot change in a supplement


def test_supplement_after_staff_rejection_goes_back_to_review(client, upload_loa, reviewer):
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_reject(port_request_id=port_id, acting_user=reviewer, code="LOA_ILLEGIBLE",
                                     note="Blurred scan")
    rejection = client.get(f"{URL}/{port_id}").json()["data"]["rejection"]
    assert rejection["code"] == "LOA_ILLEGIBLE" and rejection["rejectedBy"] == "staff"
    assert rejection["carrierNote"] == "Blurred scan"
    response = client.post(f"{URL}/{port_id}/supplement", {"loaFileUrl": upload_loa(client)}, format="json")
    assert response.json()["data"]["status"] == "validating_loa"
    bad = client.post(f"{URL}/{port_id}/supplement", {"loaFileUrl": "https://x.test/a.pdf"}, format="json")
    assert bad.status_code == 409  # no longer rejected


def test_supplement_with_a_foreign_loa_url_is_invalid_origin(client, upload_loa, reviewer):
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_reject(port_request_id=port_id, acting_user=reviewer, code="LOA_UNSIGNED")
    response = client.post(f"{URL}/{port_id}/supplement", {"loaFileUrl": "https://x.test/a.pdf"}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "LOA_URL_INVALID_ORIGIN"
    assert PortRequest.objects.get(pk=port_id).status == "rejected"


# ----------------------------------------------------------------------------------- cancel

def test_cancel_frees_numbers_and_is_final(client, upload_loa, reviewer, slow_carrier):
    port_id = submit(client, country="US", loaFileUrl=upload_loa(client)).json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    response = client.delete(f"{URL}/{port_id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "cancelled" and data["cancelledAt"]
    assert not PortInNumber.objects.filter(port_request_id=port_id, active=True).exists()
    assert client.delete(f"{URL}/{port_id}").status_code == 409
    assert client.post(f"{URL}/{port_id}/refresh").status_code == 409
