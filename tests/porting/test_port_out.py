"""Port-outs (single number and batch) and Port-Out Protection."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import OwnedNumber
from orbit_numbers.models import AuditLog
from porting.models import PortOutProtection, PortOutRequest

OUT = "/api/v1/numbers/porting/out"
PIN = "s3cret-Pin-42"


def single_body(**extra):
    return {"losing_carrier_account_number": "ORB-1", "authorized_person": "Jo Doe", "target_carrier_ocn": "6529",
            **extra}


def port_out_one(client, number, **extra):
    return client.post(f"/api/v1/numbers/{number.id}/port-out", single_body(**extra), format="json")


def protect(client, number, pin=PIN):
    return client.post(f"/api/v1/numbers/{number.id}/port-out-protection", {"port_out_pin": pin}, format="json")


# ----------------------------------------------------------------------------------- protection

def test_protection_set_read_rotate_disable(client, org, own_number):
    number = own_number(org)
    path = f"/api/v1/numbers/{number.id}/port-out-protection"
    assert client.get(path).json()["data"] == {"enabled": False, "set_at": None}
    created = protect(client, number)
    assert created.status_code == 201
    assert created.json()["data"]["enabled"] is True and created.json()["data"]["set_at"]
    assert client.get(path).json()["data"]["enabled"] is True
    stored = PortOutProtection.objects.get(number=number)
    assert stored.pin_hash.startswith("scrypt$") and PIN not in stored.pin_hash
    first_hash = stored.pin_hash
    rotated = client.post(path, {"port_out_pin": "another-pin", "current_port_out_pin": PIN}, format="json")
    assert rotated.status_code == 201
    stored.refresh_from_db()
    assert stored.pin_hash != first_hash  # rotated, fresh salt
    deleted = client.delete(path, {"port_out_pin": "another-pin"}, format="json")
    assert deleted.status_code == 200 and deleted.json()["data"] == {"enabled": False, "set_at": None}
    assert client.get(path).json()["data"]["enabled"] is False
    actions = list(AuditLog.objects.filter(object_id=number.id, action__startswith="port_out_protection")
                   .values_list("action", flat=True))
    assert sorted(actions) == ["port_out_protection.disable", "port_out_protection.enable",
                               "port_out_protection.rotate"]


def test_same_pin_on_two_numbers_gets_different_salts(client, org, own_number):
    first, second = own_number(org), own_number(org)
    protect(client, first)
    protect(client, second)
    hashes = PortOutProtection.objects.values_list("pin_hash", flat=True)
    assert len(set(hashes)) == 2


@pytest.mark.parametrize("body", [{"port_out_pin": "123"}, {"port_out_pin": "x" * 33}, {}, {"port_out_pin": 1234},
                                  {"port_out_pin": "1234", "extra": 1}])
def test_protection_pin_rules(client, org, own_number, body):
    number = own_number(org)
    response = client.post(f"/api/v1/numbers/{number.id}/port-out-protection", body, format="json")
    assert response.status_code == 422


def test_protection_edges_of_length_are_accepted(client, org, own_number):
    assert protect(client, own_number(org), "1234").status_code == 201
    assert protect(client, own_number(org), "x" * 32).status_code == 201


def test_protection_is_tenant_scoped_and_scoped(client, org, own_number, make_client, make_org):
    number = own_number(org)
    other = make_client(make_org("Other"))
    path = f"/api/v1/numbers/{number.id}/port-out-protection"
    assert other.get(path).status_code == 404
    assert protect(other, number).status_code == 404
    assert other.delete(path).status_code == 404
    reader = make_client(org, ["porting:read", "numbers:write"])
    assert reader.get(path).status_code == 200
    assert protect(reader, number).status_code == 403
    assert reader.delete(path).status_code == 403
    assert client.get("/api/v1/numbers/num_00000000000000000000/port-out-protection").status_code == 404


# ----------------------------------------------------------------------------------- single port-out

def test_single_port_out_is_201_with_provider_details(client, org, own_number, slow_carrier):
    number = own_number(org)
    response = port_out_one(client, number)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["provider"] == "telnyx" and data["provider_order_id"] and data["provider_status"] == "carrier_review"
    assert "foc_date" in data and data["number_id"] == number.id and data["status"] == "pending"
    assert data["target_carrier_ocn"] == "6529" and data["authorized_person"] == "Jo Doe"
    number.refresh_from_db()
    assert number.status == "porting_out"
    assert client.get(f"{OUT}/{data['id']}").json()["data"]["numbers"] == [
        {"number_id": number.id, "phone_number": number.e164}]


@pytest.mark.parametrize("body,field", [
    ({"losing_carrier_account_number": ""}, "losing_carrier_account_number"),
    ({"authorized_person": ""}, "authorized_person"),
    ({"target_carrier_ocn": "65"}, "target_carrier_ocn"),
    ({"target_carrier_ocn": "65-9"}, "target_carrier_ocn"),
    ({"extra": "x"}, "extra"),
])
def test_single_port_out_field_rules(client, org, own_number, body, field):
    number = own_number(org)
    response = client.post(f"/api/v1/numbers/{number.id}/port-out", {**single_body(), **body}, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]
    missing = {k: v for k, v in single_body().items() if k != "authorized_person"}
    assert client.post(f"/api/v1/numbers/{number.id}/port-out", missing, format="json").status_code == 422


def test_protected_number_needs_the_pin_before_any_carrier_call(client, org, own_number, monkeypatch, slow_carrier):
    from inventory.providers.simulator import SimulatorAdapter

    calls = []
    original = SimulatorAdapter.create_port_out
    monkeypatch.setattr(SimulatorAdapter, "create_port_out",
                        lambda self, **kw: calls.append(kw) or original(self, **kw))
    number = own_number(org)
    protect(client, number)
    missing = port_out_one(client, number)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "PORT_OUT_PIN_MISMATCH"
    wrong = port_out_one(client, number, port_out_pin="wrong-pin")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "PORT_OUT_PIN_MISMATCH"
    assert calls == []
    number.refresh_from_db()
    assert number.status == "active"
    assert port_out_one(client, number, port_out_pin=PIN).status_code == 201
    assert len(calls) == 1


def test_wrong_pins_lock_port_outs_for_a_while(client, org, own_number, settings, slow_carrier):
    number = own_number(org)
    protect(client, number)
    for _ in range(5):
        assert port_out_one(client, number, port_out_pin="bad-pin").status_code == 401
    locked = port_out_one(client, number, port_out_pin=PIN)  # even the right PIN waits out the lock
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "RATE_LIMITED"
    assert 1700 < int(locked["Retry-After"]) <= 1800
    assert AuditLog.objects.filter(action="port_out_protection.pin_mismatch", object_id=number.id).count() == 5
    assert AuditLog.objects.filter(action="port_out_protection.locked", object_id=number.id).count() == 1
    PortOutProtection.objects.filter(number=number).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert port_out_one(client, number, port_out_pin=PIN).status_code == 201


def test_failures_outside_the_window_do_not_add_up(client, org, own_number, slow_carrier):
    number = own_number(org)
    protect(client, number)
    for _ in range(4):
        port_out_one(client, number, port_out_pin="bad-pin")
    PortOutProtection.objects.filter(number=number).update(window_started_at=timezone.now() - timedelta(minutes=16))
    assert port_out_one(client, number, port_out_pin="bad-pin").status_code == 401
    assert PortOutProtection.objects.get(number=number).failed_attempts == 1
    assert port_out_one(client, number, port_out_pin=PIN).status_code == 201


def test_rotating_the_pin_does_not_clear_a_lock(client, org, own_number, slow_carrier):
    number = own_number(org)
    protect(client, number)
    PortOutProtection.objects.filter(number=number).update(locked_until=timezone.now() + timedelta(minutes=20))
    rotate = client.post(f"/api/v1/numbers/{number.id}/port-out-protection",
                         {"port_out_pin": "fresh-pin", "current_port_out_pin": PIN}, format="json")
    assert rotate.status_code == 429
    assert port_out_one(client, number, port_out_pin=PIN).status_code == 429
    assert PortOutProtection.objects.get(number=number).locked_until > timezone.now()


def test_single_port_out_isolation_and_state(client, org, own_number, make_client, make_org, slow_carrier):
    number = own_number(org)
    other = make_client(make_org("Other"))
    assert port_out_one(other, number).status_code == 404
    assert port_out_one(client, number).status_code == 201
    again = port_out_one(client, number)
    assert again.status_code == 409  # already porting out
    reader = make_client(org, ["porting:read"])
    assert port_out_one(reader, number).status_code == 403


def test_carrier_refusal_leaves_the_number_active(client, org, own_number, make_number):
    from inventory.services import number_purchase

    row = make_number("US", e164="+12015559999")
    # The simulator refuses to sell …9999 numbers too, so put one in the org directly.
    number = OwnedNumber.objects.create(organization=org, phone_number=row, e164=row.e164, monthly_cents=100)
    response = port_out_one(client, number)
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    number.refresh_from_db()
    assert number.status == "active" and PortOutRequest.objects.count() == 0
    assert number_purchase  # the normal path is exercised by own_number elsewhere


# ----------------------------------------------------------------------------------- batch port-out

def test_batch_port_out_lifecycle(client, org, own_number, settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 10_000}
    first, second = own_number(org), own_number(org)
    response = client.post(OUT, {"numbers": [first.e164, second.e164], "destinationCarrier": "Verizon",
                                 "newOwnerInfo": "Acme LLC, 1 Main St"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["status"] == "pending" and data["destination_carrier"] == "Verizon"
    assert sorted(n["phone_number"] for n in data["numbers"]) == sorted([first.e164, second.e164])
    assert set(OwnedNumber.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        "porting_out"}
    listed = client.get(OUT).json()
    assert [p["id"] for p in listed["data"]] == [data["id"]] and listed["meta"]["pagination"]["has_more"] is False
    assert client.post(f"{OUT}/{data['id']}/refresh").json()["data"]["status"] == "pending"

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    done = client.post(f"{OUT}/{data['id']}/refresh").json()["data"]
    assert done["status"] == "completed" and done["completed_at"]
    released = OwnedNumber.objects.filter(pk__in=[first.pk, second.pk])
    assert set(released.values_list("status", flat=True)) == {"released"}
    for number in released:
        assert number.phone_number.status == "assigned" and number.phone_number.aging_until is None
    assert client.get(f"/api/v1/numbers/{first.id}/port-out-protection").status_code == 404
    assert client.post(f"{OUT}/{data['id']}/refresh").status_code == 409
    assert client.delete(f"{OUT}/{data['id']}").status_code == 409


def test_batch_cancel_puts_numbers_back(client, org, own_number, slow_carrier):
    first, second = own_number(org), own_number(org)
    OwnedNumber.objects.filter(pk=second.pk).update(status="inactive")
    port_out_id = client.post(OUT, {"numbers": [first.e164, second.e164], "destinationCarrier": "Verizon"},
                              format="json").json()["data"]["id"]
    cancelled = client.delete(f"{OUT}/{port_out_id}")
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "active" and second.status == "inactive"  # each back to what it was
    assert client.delete(f"{OUT}/{port_out_id}").status_code == 409


def test_batch_rejected_by_carrier_puts_numbers_back(client, org, own_number, make_number, fast_carrier):
    number = own_number(org, e164="+12015550402")
    response = client.post(OUT, {"numbers": [number.e164], "destinationCarrier": "Verizon"}, format="json")
    data = response.json()["data"]
    assert data["status"] == "rejected" and data["rejection"]["code"] == "PASSCODE_PIN_INVALID"
    number.refresh_from_db()
    assert number.status == "active"


@pytest.mark.parametrize("body,field", [
    ({"numbers": []}, "numbers"),
    ({"numbers": "+12015550123"}, "numbers"),
    ({"numbers": [f"+1201555{n:04d}" for n in range(100, 151)]}, "numbers"),
    ({"numbers": ["+12015550123", "+12015550123"]}, "numbers"),
    ({"numbers": ["12015550123"]}, "numbers"),
    ({"destinationCarrier": ""}, "destinationCarrier"),
    ({"newOwnerInfo": "x" * 2001}, "newOwnerInfo"),
    ({"other": 1}, "other"),
])
def test_batch_field_rules(client, body, field):
    payload = {"numbers": ["+12015550123"], "destinationCarrier": "Verizon", **body}
    response = client.post(OUT, payload, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]


def test_batch_accepts_2000_chars_of_owner_info_and_snake_case(client, org, own_number, slow_carrier):
    number = own_number(org)
    response = client.post(OUT, {"numbers": [number.e164], "destination_carrier": "Verizon",
                                 "new_owner_info": "x" * 2000}, format="json")
    assert response.status_code == 201


def test_batch_numbers_must_be_yours_and_on_one_provider(client, org, own_number, make_org, slow_carrier):
    mine = own_number(org)
    theirs = own_number(make_org("Other", credit_cents=10_00))
    response = client.post(OUT, {"numbers": [mine.e164, theirs.e164], "destinationCarrier": "V"}, format="json")
    assert response.status_code == 422 and theirs.e164 in response.json()["error"]["details"]["numbers"]
    didww = own_number(org, provider="didww")
    mixed = client.post(OUT, {"numbers": [mine.e164, didww.e164], "destinationCarrier": "V"}, format="json")
    assert mixed.status_code == 422 and "same provider" in mixed.json()["error"]["details"]["numbers"]
    mine.refresh_from_db()
    assert mine.status == "active"


def test_batch_pin_covers_protected_numbers_only(client, org, own_number, slow_carrier):
    protected, plain = own_number(org), own_number(org)
    protect(client, protected)
    body = {"numbers": [protected.e164, plain.e164], "destinationCarrier": "V"}
    assert client.post(OUT, body, format="json").status_code == 401
    assert client.post(OUT, {**body, "port_out_pin": "nope-nope"}, format="json").status_code == 401
    assert client.post(OUT, {**body, "port_out_pin": PIN}, format="json").status_code == 201
    # Unprotected numbers need no PIN at all.
    other = own_number(org)
    assert client.post(OUT, {"numbers": [other.e164], "destinationCarrier": "V"}, format="json").status_code == 201


def test_port_out_detail_isolation_and_scopes(client, org, own_number, make_client, make_org, slow_carrier):
    number = own_number(org)
    port_out_id = client.post(OUT, {"numbers": [number.e164], "destinationCarrier": "V"},
                              format="json").json()["data"]["id"]
    other = make_client(make_org("Other"))
    assert other.get(f"{OUT}/{port_out_id}").status_code == 404
    assert other.post(f"{OUT}/{port_out_id}/refresh").status_code == 404
    assert other.delete(f"{OUT}/{port_out_id}").status_code == 404
    assert other.get(OUT).json()["data"] == []
    reader = make_client(org, ["porting:read"])
    assert reader.get(f"{OUT}/{port_out_id}").status_code == 200
    assert reader.post(OUT, {"numbers": [number.e164], "destinationCarrier": "V"}, format="json").status_code == 403
    assert reader.delete(f"{OUT}/{port_out_id}").status_code == 403
    assert client.get(OUT, {"status": "nope"}).status_code == 422
    assert [p["id"] for p in client.get(OUT, {"status": "pending"}).json()["data"]] == [port_out_id]


def test_two_aliases_of_the_pin_together_are_422(org, client, make_number):
    """pin and portOutPin are both port_out_pin: sending both is ambiguous, so it is refused."""
    from inventory.services import number_purchase

    number = number_purchase(organization=org, phone_number=make_number("US").e164)
    response = client.post(f"/api/v1/numbers/{number.id}/port-out-protection",
                           {"pin": "0000", "portOutPin": "0" * 33}, format="json")
    assert response.status_code == 422
    assert set(response.json()["error"]["details"]) == {"pin"}  # the later spelling of port_out_pin


def _status_changes(port_out_id: str) -> list[tuple[str, str]]:
    from orbit_numbers.webhooks.models import WebhookEvent

    return [(e.payload["previous_status"], e.payload["status"]) for e in WebhookEvent.objects.filter(
        event_type="port_out.status_changed", payload__port_out_id=port_out_id).order_by("created_at", "id")]


def test_a_cancelled_port_out_is_a_webhook_event(client, org, own_number, slow_carrier):
    submitted = client.post(OUT, {"numbers": [own_number(org).e164], "destinationCarrier": "Verizon"}, format="json")
    port_out_id = submitted.json()["data"]["id"]
    assert _status_changes(port_out_id) == []  # submitted: no transition yet
    assert client.delete(f"{OUT}/{port_out_id}").status_code == 200
    assert _status_changes(port_out_id) == [("pending", "cancelled")]


def test_carrier_outcomes_of_a_port_out_are_webhook_events(client, org, own_number, fast_carrier):
    completed = client.post(OUT, {"numbers": [own_number(org).e164], "destinationCarrier": "Verizon"},
                            format="json").json()["data"]
    assert completed["status"] == "completed" and _status_changes(completed["id"]) == [("pending", "completed")]
    rejected = client.post(OUT, {"numbers": [own_number(org, e164="+12015550402").e164],
                                 "destinationCarrier": "Verizon"}, format="json").json()["data"]
    assert rejected["status"] == "rejected" and _status_changes(rejected["id"]) == [("pending", "rejected")]


def test_a_completed_port_out_releases_the_number_with_an_event(client, org, own_number, fast_carrier):
    from orbit_numbers.webhooks.models import WebhookEvent

    number = own_number(org)
    completed = client.post(OUT, {"numbers": [number.e164], "destinationCarrier": "Verizon"}, format="json")
    assert completed.json()["data"]["status"] == "completed"
    [event] = WebhookEvent.objects.filter(organization=org, event_type="number.released")
    assert event.payload["number_id"] == number.pk and event.payload["reason"] == "ported_out"
    assert event.payload["billing_ends_at"] is not None
