"""The account PIN and the port-out PIN never appear in a response, a log line, an audit row,
an idempotency record or a webhook — through every porting path that carries them."""
from __future__ import annotations

import json
import logging

from orbit_numbers.models import AuditLog, IdempotencyRecord
from orbit_numbers.webhooks.models import WebhookEvent
from porting import pins, services
from porting.models import PortRequest

ACCOUNT_PIN = "acct-PIN-5512"
NEW_ACCOUNT_PIN = "acct-PIN-7781"
PORT_OUT_PIN = "po-PIN-30303"
SECRETS = (ACCOUNT_PIN, NEW_ACCOUNT_PIN, PORT_OUT_PIN)
URL = "/api/v1/numbers/porting"


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_pins_never_leak_anywhere(client, org, own_number, upload_loa, reviewer, fast_carrier, caplog,
                                  django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    bodies = []

    def call(method, path, body=None, **extra):
        response = getattr(client, method)(path, body, format="json", **extra)
        bodies.append(response.content.decode())
        return response

    # Port-in with an account PIN, rejected by the carrier, supplemented with a new PIN, completed.
    port_id = call("post", URL, {"numbers": ["+12015550401"], "currentCarrier": "Acme", "country": "US",
                                 "loaFileUrl": upload_loa(client), "accountPin": ACCOUNT_PIN},
                   HTTP_IDEMPOTENCY_KEY="port-1").json()["data"]["id"]
    call("post", URL, {"numbers": ["+12015550402"], "currentCarrier": "Acme", "pin": "123"})  # snake alias
    call("post", URL, {"numbers": ["bad"], "currentCarrier": "Acme", "accountPin": ACCOUNT_PIN})  # 422 path
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    call("post", f"{URL}/{port_id}/refresh")
    with django_capture_on_commit_callbacks(execute=True):
        call("post", f"{URL}/{port_id}/supplement", {"accountPin": NEW_ACCOUNT_PIN}, HTTP_IDEMPOTENCY_KEY="sup-1")
        call("post", f"{URL}/{port_id}/refresh")
    call("get", f"{URL}/{port_id}")
    call("get", f"{URL}/{port_id}/timeline")
    call("get", URL)
    assert PortRequest.objects.get(pk=port_id).status == "completed"

    # Port-out protection: set, wrong PIN, right PIN, batch.
    number = own_number(org)
    path = f"/api/v1/numbers/{number.id}/port-out-protection"
    call("post", path, {"port_out_pin": PORT_OUT_PIN})
    call("post", path, {"port_out_pin": PORT_OUT_PIN[:2]})  # 422: too short
    call("get", path)
    body = {"losing_carrier_account_number": "A", "authorized_person": "Jo", "target_carrier_ocn": "6529"}
    call("post", f"/api/v1/numbers/{number.id}/port-out", {**body, "port_out_pin": PORT_OUT_PIN + "x"})
    call("post", f"/api/v1/numbers/{number.id}/port-out", {**body, "port_out_pin": PORT_OUT_PIN},
         HTTP_IDEMPOTENCY_KEY="out-1")
    call("get", "/api/v1/numbers/porting/out")

    for text in bodies:
        assert_clean(text)
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(str(record.args))
    for audit in AuditLog.objects.all():
        assert_clean(json.dumps([audit.before, audit.after]))
    for record in IdempotencyRecord.objects.all():
        assert_clean(json.dumps(record.response_body))
    for event in WebhookEvent.objects.all():
        assert_clean(json.dumps(event.payload))
    stored = PortRequest.objects.get(pk=port_id)
    assert_clean(stored.account_pin_encrypted)
    assert pins.account_pin_decrypt(stored.account_pin_encrypted) == NEW_ACCOUNT_PIN


def test_account_pin_reaches_the_carrier_in_clear(client, upload_loa, reviewer, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter

    seen = {}
    original = SimulatorAdapter.create_port_in

    def spy(self, *, numbers, details):
        seen.update(details)
        return original(self, numbers=numbers, details=details)

    monkeypatch.setattr(SimulatorAdapter, "create_port_in", spy)
    port_id = client.post(URL, {"numbers": ["+12015550124"], "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client), "accountPin": ACCOUNT_PIN},
                          format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    assert seen["account_pin"] == ACCOUNT_PIN
    assert seen["loa"]["data"].startswith(b"%PDF-") and seen["loa"]["content_type"] == "application/pdf"


def test_pin_encryption_round_trip_and_key_change(settings):
    token = pins.account_pin_encrypt("1234")
    assert token and "1234" not in token and pins.account_pin_decrypt(token) == "1234"
    assert pins.account_pin_encrypt("") == "" and pins.account_pin_decrypt("") == ""
    settings.ORBIT = {**settings.ORBIT, "PORTING_ENCRYPTION_KEY": "A" * 43 + "="}
    assert pins.account_pin_decrypt(token) == ""  # a rotated key cannot read old ciphertext


def test_port_out_pin_hash_is_scrypt_and_salted():
    first, second = pins.port_out_pin_hash("4321"), pins.port_out_pin_hash("4321")
    assert first.startswith("scrypt$") and first != second
    assert pins.port_out_pin_matches("4321", first) and not pins.port_out_pin_matches("4322", first)
    assert not pins.port_out_pin_matches("", first) and not pins.port_out_pin_matches("4321", "")
