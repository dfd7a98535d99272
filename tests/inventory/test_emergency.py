"""E911: dispatchable addresses validated and normalised by the carrier, attached to voice numbers,
provisioned after commit (pending → provisioned | failed), retried by staff; block and disclaim on
every owned-number representation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import CarrierFailure, EmergencyAddress, EmergencyAssignment, OwnedNumber
from inventory.providers.simulator import SimulatorAdapter
from inventory.services import (emergency_provisioning_perform, emergency_provisioning_recheck,
                                emergency_provisioning_retry, number_purchase)
from orbit_numbers.errors import ProviderError
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import ensure_covered

URL = "/api/v1/numbers/emergency-addresses"
AUSTIN = {"caller_name": "Alfred Foster", "business_name": "Toy-O'Kon", "street_number": "600",
          "street_name": "congress avenue", "unit": "suite 300", "city": "AUSTIN", "state": "Texas",
          "postal_code": "787011234", "country": "US"}
CLEAN = {"caller_name": "Jane Roe", "street_number": "1", "street_name": "Market St", "city": "San Francisco",
         "state": "CA", "postal_code": "94105", "country": "US"}


@pytest.fixture(autouse=True)
def guard_raises(settings):
    settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": "raise"}


@pytest.fixture
def buy(org, make_number):
    def buy(organization=None, *, country="US", e164=None, **fields):
        row = make_number(country, e164=e164, **fields)
        ensure_covered(organization or org, country)  # the purchase gate: abroad, a covering profile first
        return number_purchase(organization=organization or org, phone_number=row.e164, country_code=country)
    return buy


def create(client, body=None, **changes):
    return client.post(URL, {**(body or CLEAN), **changes}, format="json")


def address_id(client, body=None) -> str:
    response = create(client, body)
    assert response.status_code == 201, response.json()
    return response.json()["data"]["id"]


# --- addresses --------------------------------------------------------------------------------------


def test_create_stores_the_carriers_normalised_form_and_says_what_it_corrected(client, org):
    response = create(client, AUSTIN)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["street_name"], data["unit"], data["city"], data["state"], data["postal_code"]) == (
        "Congress Ave", "Ste 300", "Austin", "TX", "78701-1234")
    assert data["validation"] == "corrected"
    assert set(data["corrected_fields"]) == {"street_name", "unit", "city", "state", "postal_code"}
    assert {"field": "state", "submitted": "Texas", "corrected": "TX"} in data["suggestions"]
    assert data["carrier_reference"].startswith("sim-msag-") and data["numbers_count"] == 0
    stored = EmergencyAddress.objects.get(pk=data["id"])
    assert stored.organization == org and stored.submitted["street_name"] == "congress avenue"
    assert AuditLog.objects.filter(action="emergency_address.create", object_id=stored.pk).exists()


def test_an_address_already_clean_is_valid_without_suggestions(client):
    data = create(client).json()["data"]
    assert (data["validation"], data["corrected_fields"], data["suggestions"]) == ("valid", [], [])


def test_canadian_address_is_normalised(client):
    data = create(client, {"caller_name": "Bob", "street_number": "24", "street_name": "Sussex Drive",
                           "city": "ottawa", "state": "Ontario", "postal_code": "k1m1m4", "country": "CA"}).json()
    assert (data["data"]["street_name"], data["data"]["state"], data["data"]["postal_code"]) == (
        "Sussex Dr", "ON", "K1M 1M4")


@pytest.mark.parametrize("changes, field, words", [
    ({"postal_code": "10001"}, "postal_code", "belongs to NY"),
    ({"street_name": "Nowhere Street"}, "street_name", "Master Street Address Guide"),
    ({"state": "Atlantis"}, "state", "not a US state"),
    ({"postal_code": "9410"}, "postal_code", "5 digits"),
    ({"street_number": "One"}, "street_number", "house number"),
])
def test_an_address_the_carrier_cannot_validate_is_422_with_its_reason(client, changes, field, words):
    response = create(client, **changes)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "EMERGENCY_ADDRESS_INVALID" and words in error["details"][field]
    assert not EmergencyAddress.objects.exists()


def test_canadian_postal_code_of_another_province_is_refused(client):
    response = create(client, {"caller_name": "Bob", "street_number": "24", "street_name": "Sussex Dr",
                               "city": "Ottawa", "state": "QC", "postal_code": "K1M 1M4", "country": "CA"})
    assert response.status_code == 422 and "postal_code" in response.json()["error"]["details"]


@pytest.mark.parametrize("body, field", [
    ({**CLEAN, "country": "GB"}, "country"),
    ({**CLEAN, "colour": "red"}, "colour"),
    ({k: v for k, v in CLEAN.items() if k != "city"}, "city"),
    ({**CLEAN, "caller_name": ""}, "caller_name"),
    ({**CLEAN, "street_name": "x" * 101}, "street_name"),
    ({**CLEAN, "city": "San\nFrancisco"}, "city"),
])
def test_bad_bodies_are_validation_errors(client, body, field):
    response = client.post(URL, body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR" and field in response.json()["error"]["details"]


def test_carrier_down_is_a_conflict_and_a_logged_failure(client, monkeypatch):
    def down(self, *, address):
        raise ProviderError("telnyx: timed out", provider_code="UNAVAILABLE", retryable=True)

    monkeypatch.setattr(SimulatorAdapter, "validate_emergency_address", down)
    response = create(client)
    assert response.status_code == 409 and response["Retry-After"] == "60"
    assert CarrierFailure.objects.get().operation == "e911_validate"


def test_list_filters_retrieve_and_tenant_isolation(client, make_org, make_client):
    first = address_id(client)
    second = address_id(client, AUSTIN)
    listed = client.get(URL).json()
    assert [a["id"] for a in listed["data"]] == [second, first] and listed["meta"]["pagination"]["has_more"] is False
    assert [a["id"] for a in client.get(URL, {"validation": "corrected"}).json()["data"]] == [second]
    assert [a["id"] for a in client.get(URL, {"postal_code": "94105"}).json()["data"]] == [first]
    assert client.get(URL, {"colour": "red"}).status_code == 422
    assert client.get(URL, {"validation": "maybe"}).status_code == 422
    assert client.get(f"{URL}/{first}").json()["data"]["city"] == "San Francisco"

    other = make_client(make_org("Other"))
    assert other.get(URL).json()["data"] == []
    assert other.get(f"{URL}/{first}").status_code == 404
    assert other.delete(f"{URL}/{first}").status_code == 404
    assert EmergencyAddress.objects.filter(pk=first).exists()


def test_scopes(client, org, make_client):
    first = address_id(client)
    reader = make_client(org, scopes=["numbers:read"])
    nobody = make_client(org, scopes=["billing:read"])
    assert reader.get(URL).status_code == 200
    assert reader.post(URL, CLEAN, format="json").status_code == 403
    assert reader.delete(f"{URL}/{first}").status_code == 403
    assert nobody.get(URL).status_code == 403 and nobody.get(f"{URL}/{first}").status_code == 403


def test_delete_unused_address(client):
    first = address_id(client)
    assert client.delete(f"{URL}/{first}").status_code == 204
    assert client.get(f"{URL}/{first}").status_code == 404
    assert AuditLog.objects.filter(action="emergency_address.delete", object_id=first).exists()


# --- attaching and provisioning -----------------------------------------------------------------------


def attach(client, number, address, capture):
    with capture(execute=True):
        return client.put(f"/api/v1/numbers/{number.pk}/emergency-address", {"address_id": address}, format="json")


def test_attach_provisions_after_commit_and_unblocks_emergency_calling(
        client, buy, django_capture_on_commit_callbacks):
    number = buy()
    before = client.get(f"/api/v1/numbers/{number.pk}").json()["data"]["emergency"]
    assert before["calling"] == "blocked" and before["status"] is None and before["address_id"] is None
    assert "blocked" in before["disclaimer"] and "emergency-address" in before["disclaimer"]

    address = address_id(client)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.put(f"/api/v1/numbers/{number.pk}/emergency-address", {"address_id": address},
                              format="json")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "pending" and response.json()["data"]["calling"] == "blocked"
    assert "blocked" in response.json()["data"]["disclaimer"]
    assert len(queued) == 1
    queued[0]()  # the provisioning task, after commit

    emergency = client.get(f"/api/v1/numbers/{number.pk}").json()["data"]["emergency"]
    assert emergency == {**emergency, "calling": "enabled", "status": "provisioned", "address_id": address}
    assignment = EmergencyAssignment.objects.get()
    assert assignment.carrier_reference and assignment.provisioned_at is not None
    assert EmergencyAddress.objects.get().carrier_address_ids == {"telnyx": assignment.carrier_reference}
    assert set(AuditLog.objects.filter(object_id=number.pk).values_list("action", flat=True)) >= {
        "number.emergency_address_set", "number.emergency_provisioned"}
    assert client.get(f"{URL}/{address}").json()["data"]["numbers_count"] == 1

    # Attaching it again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        again = client.put(f"/api/v1/numbers/{number.pk}/emergency-address", {"address_id": address}, format="json")
    assert again.json()["data"]["status"] == "provisioned" and queued == []


def test_address_in_use_cannot_be_deleted(client, buy, django_capture_on_commit_callbacks):
    number = buy()
    address = address_id(client)
    attach(client, number, address, django_capture_on_commit_callbacks)
    response = client.delete(f"{URL}/{address}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    assert response.json()["error"]["details"]["numbers"] == [number.e164]
    assert EmergencyAddress.objects.filter(pk=address).exists()


def test_a_released_number_does_not_keep_its_address_in_use(client, buy, django_capture_on_commit_callbacks):
    number = buy()
    address = address_id(client)
    attach(client, number, address, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/numbers/{number.pk}").status_code == 204
    assert client.delete(f"{URL}/{address}").status_code == 204


def test_provisioning_refused_by_the_carrier_fails_with_its_reason_and_staff_retry(
        client, buy, settings, django_capture_on_commit_callbacks):
    number = buy()
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_E911_FAIL_SUFFIXES": [number.e164[-4:]]}
    address = address_id(client)
    attach(client, number, address, django_capture_on_commit_callbacks)
    emergency = client.get(f"/api/v1/numbers/{number.pk}").json()["data"]["emergency"]
    assert (emergency["calling"], emergency["status"]) == ("blocked", "failed")
    assert "refused" in emergency["disclaimer"]
    assignment = EmergencyAssignment.objects.get()
    assert assignment.error_code == "E911_PSAP_REJECTED" and "PSAP" in assignment.error_message
    failure = CarrierFailure.objects.get()
    assert (failure.operation, failure.e164, failure.organization_id) == ("e911_provision", number.e164,
                                                                          number.organization_id)

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_E911_FAIL_SUFFIXES": []}
    with django_capture_on_commit_callbacks(execute=True):
        retried, skipped = emergency_provisioning_retry(assignment_ids=[assignment.pk, 999999])
    assert (retried, skipped) == ([assignment.pk], [999999])
    assignment.refresh_from_db()
    assert assignment.status == "provisioned" and assignment.error_code == ""
    assert AuditLog.objects.filter(action="number.emergency_retry", object_id=number.pk).exists()
    # Nothing to retry once provisioned.
    assert emergency_provisioning_retry(assignment_ids=[assignment.pk]) == ([], [assignment.pk])


def test_detach_blocks_at_once_and_removes_at_the_carrier(client, buy, django_capture_on_commit_callbacks,
                                                          monkeypatch):
    number = buy()
    address = address_id(client)
    attach(client, number, address, django_capture_on_commit_callbacks)
    removed = []
    monkeypatch.setattr(SimulatorAdapter, "remove_emergency_address", lambda self, *, e164: removed.append(e164))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.delete(f"/api/v1/numbers/{number.pk}/emergency-address")
    assert response.status_code == 200
    assert (response.json()["data"]["calling"], response.json()["data"]["status"],
            response.json()["data"]["address_id"]) == ("blocked", None, None)
    queued[0]()
    assert removed == [number.e164] and not EmergencyAssignment.objects.exists()
    assert client.delete(f"/api/v1/numbers/{number.pk}/emergency-address").status_code == 404
    assert client.delete(f"{URL}/{address}").status_code == 204


def test_a_newer_request_wins_over_a_late_carrier_answer(client, buy, django_capture_on_commit_callbacks):
    number = buy()
    first, second = address_id(client), address_id(client, AUSTIN)
    with django_capture_on_commit_callbacks(execute=False):
        client.put(f"/api/v1/numbers/{number.pk}/emergency-address", {"address_id": first}, format="json")
    old_token = EmergencyAssignment.objects.get().request_token
    attach(client, number, second, django_capture_on_commit_callbacks)
    assignment = EmergencyAssignment.objects.get()
    assert emergency_provisioning_perform(assignment_id=assignment.pk, token=old_token) == "stale"
    assignment.refresh_from_db()
    assert (assignment.address_id, assignment.status) == (second, "provisioned")


def test_recheck_sends_requests_stuck_in_flight_again(client, buy, django_capture_on_commit_callbacks):
    number = buy()
    address = address_id(client)
    with django_capture_on_commit_callbacks(execute=False):
        client.put(f"/api/v1/numbers/{number.pk}/emergency-address", {"address_id": address}, format="json")
    assert emergency_provisioning_recheck() == 0  # too recent
    EmergencyAssignment.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert emergency_provisioning_recheck() == 1  # Celery runs eager in the suite
    assert EmergencyAssignment.objects.get().status == "provisioned"


def test_attach_refusals(client, org, buy, make_org, make_client, django_capture_on_commit_callbacks):
    voice = buy()
    address = address_id(client)
    no_voice = buy(cap_voice=False)
    OwnedNumber.objects.filter(pk=no_voice.pk).update(capabilities=["sms"])
    gb = buy(country="GB")
    put = lambda number_id, body: client.put(f"/api/v1/numbers/{number_id}/emergency-address", body, format="json")  # noqa: E731
    assert put(no_voice.pk, {"address_id": address}).json()["error"]["details"] == {
        "number_id": "the number has no voice capability; emergency calling needs voice"}
    assert "number_id" in put(gb.pk, {"address_id": address}).json()["error"]["details"]
    assert put(voice.pk, {"address_id": "ea_nope"}).json()["error"]["details"] == {
        "address_id": "no such emergency address in your organisation"}
    assert put(voice.pk, {}).status_code == 422
    assert put(voice.pk, {"address_id": address, "extra": 1}).status_code == 422
    assert put("num_00000000000000000000", {"address_id": address}).status_code == 404

    other_org = make_org("Other")
    other = make_client(other_org)
    assert other.put(f"/api/v1/numbers/{voice.pk}/emergency-address", {"address_id": address},
                     format="json").status_code == 404
    assert other.get(f"/api/v1/numbers/{voice.pk}/emergency-address").status_code == 404
    # Another organisation's address is not yours to attach.
    theirs = address_id(other)
    assert put(voice.pk, {"address_id": theirs}).status_code == 422
    reader = make_client(org, scopes=["numbers:read"])
    assert reader.put(f"/api/v1/numbers/{voice.pk}/emergency-address", {"address_id": address},
                      format="json").status_code == 403
    assert reader.delete(f"/api/v1/numbers/{voice.pk}/emergency-address").status_code == 403
    assert reader.get(f"/api/v1/numbers/{voice.pk}/emergency-address").status_code == 200
    assert not EmergencyAssignment.objects.exists()


def test_representation_of_numbers_that_cannot_call_emergency_services(client, buy):
    gb = buy(country="GB")
    emergency = client.get(f"/api/v1/numbers/{gb.pk}").json()["data"]["emergency"]
    assert emergency["calling"] == "blocked" and "US and Canadian numbers only" in emergency["disclaimer"]
    sms_only = buy()
    OwnedNumber.objects.filter(pk=sms_only.pk).update(capabilities=["sms"])
    emergency = client.get(f"/api/v1/numbers/{sms_only.pk}").json()["data"]["emergency"]
    assert emergency["calling"] == "blocked" and "no voice capability" in emergency["disclaimer"]


def test_numbers_list_reads_emergency_state_in_constant_queries(
        client, buy, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    address = address_id(client)
    attach(client, buy(), address, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/numbers").json()["data"]) == 1
    for _ in range(5):
        attach(client, buy(), address, django_capture_on_commit_callbacks)
    buy()
    with CaptureQueriesContext(connection) as large:
        data = client.get("/api/v1/numbers").json()["data"]
    assert len(data) == 7 and sum(n["emergency"]["calling"] == "enabled" for n in data) == 6
    assert len(large) == len(small)


def test_the_simulated_carrier_takes_its_time(settings, monkeypatch):
    from inventory.providers import simulator
    from inventory.providers.base import EmergencyAddressData

    slept = []
    monkeypatch.setattr(simulator.time, "sleep", slept.append)
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_LATENCY_MS": 250}
    adapter = SimulatorAdapter("telnyx")
    address = EmergencyAddressData(**{k: v for k, v in CLEAN.items()})
    assert adapter.validate_emergency_address(address=address).valid
    assert adapter.provision_emergency_address(e164="+14155550123", address=address).status == "provisioned"
    adapter.remove_emergency_address(e164="+14155550123")
    assert slept == [0.25, 0.25, 0.25]
