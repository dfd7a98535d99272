"""The whole port-in path on the simulated carrier, from the check to billed, active numbers,
plus the by-hand paths (no country; a carrier without a porting API)."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from billing.models import LedgerEntry
from inventory.models import InventoryStatus, OwnedNumber, PhoneNumber
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from porting import services
from porting.models import PortRequest
from porting.tasks import poll_open_port_requests

URL = "/api/v1/numbers/porting"


def test_check_to_completion_on_the_simulator(client, org, upload_loa, reviewer, settings, stub_server,
                                              django_capture_on_commit_callbacks, make_webhook_endpoint):
    from tests.httpstub import Reply

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    make_webhook_endpoint(org, f"{stub_server.url}/hooks", events=["number.ported"])
    stub_server.on("POST", "/hooks", Reply(200, {}))
    numbers = ["+12015550124", "+12015550126"]

    check = client.post(f"{URL}/check", {"numbers": numbers}, format="json").json()["data"]["results"]
    assert all(r["eligible"] for r in check)

    port_id = client.post(URL, {"numbers": numbers, "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client), "accountNumber": "ACC-1", "accountPin": "2468",
                                "authorizedSigner": "Jo Doe"}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer, note="Looks right")
    assert PortRequest.objects.get(pk=port_id).status == "carrier_review"

    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_open_port_requests()
    assert counts["port_in"] == 1 and counts["changed"] == 1

    data = client.get(f"{URL}/{port_id}").json()["data"]
    assert data["status"] == "completed" and data["completedAt"]
    owned = OwnedNumber.objects.filter(organization=org, e164__in=numbers).order_by("e164")
    assert [n.status for n in owned] == ["active", "active"]
    assert {n.source for n in owned} == {"port_in"}
    for number in owned:
        assert number.phone_number.status == InventoryStatus.ASSIGNED and number.phone_number.provider == "telnyx"
        assert hasattr(number, "route")
    # First month billed at completion.
    fees = LedgerEntry.objects.filter(wallet__organization=org, kind="monthly_fee")
    assert sorted(f.reference for f in fees) == sorted(f"number:{n.id}" for n in owned)
    assert PortRequest.objects.get(pk=port_id).charge_status == "charged"
    # number.ported, once per number, delivered after commit.
    events = WebhookEvent.objects.filter(organization=org, event_type="number.ported")
    assert sorted(e.payload["phone_number"] for e in events) == numbers
    assert {d.status for e in events for d in e.deliveries.all()} == {"delivered"}
    assert len(stub_server.seen("POST", "/hooks")) == 2
    # Every status transition was an event: a chain from submitted to completed, as the timeline recorded it.
    changes = [e.payload for e in WebhookEvent.objects.filter(event_type="porting.status_changed")
               .order_by("created_at", "id")]
    assert {c["port_request_id"] for c in changes} == {port_id}
    assert changes[0]["previous_status"] == "submitted" and changes[-1]["status"] == "completed"
    assert all(later["previous_status"] == earlier["status"] for earlier, later in zip(changes, changes[1:]))
    assert {"validating_loa", "carrier_review"} <= {c["status"] for c in changes}
    # The numbers are now the customer's: listed by the inventory API, and no longer portable in.
    timeline = client.get(f"{URL}/{port_id}/timeline").json()["data"]
    assert [s["state"] for s in timeline["stages"]] == ["done"] * 6
    assert not any(r["eligible"] for r in client.post(f"{URL}/check", {"numbers": numbers},
                                                      format="json").json()["data"]["results"])
    actions = set(AuditLog.objects.filter(object_id=port_id).values_list("action", flat=True))
    assert {"port_in.submit", "port_in.loa_approve", "port_in.status", "port_in.complete"} <= actions


def test_completion_with_a_short_wallet_still_completes_and_defers_the_charge(client, make_org, make_client,
                                                                              upload_loa, reviewer, fast_carrier):
    broke = make_org("Broke", credit_cents=0)
    api = make_client(broke)
    port_id = api.post(URL, {"numbers": ["+12015550124"], "currentCarrier": "Acme", "country": "US",
                             "loaFileUrl": upload_loa(api)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    api.post(f"{URL}/{port_id}/refresh")
    port_request = PortRequest.objects.get(pk=port_id)
    assert port_request.status == "completed" and port_request.charge_status == "deferred"
    assert OwnedNumber.objects.get(e164="+12015550124").status == "active"
    assert not LedgerEntry.objects.filter(wallet__organization=broke, kind="monthly_fee").exists()
    assert AuditLog.objects.filter(action="port_in.charge_deferred", object_id=port_id).exists()


def test_a_number_we_sold_before_is_reused_on_port_in(client, org, make_number, upload_loa, reviewer, fast_carrier):
    row = make_number("US", e164="+12015550124", provider="devotel", monthly_cents=175,
                      status=InventoryStatus.AVAILABLE)
    port_id = client.post(URL, {"numbers": [row.e164], "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    client.post(f"{URL}/{port_id}/refresh")
    row.refresh_from_db()
    assert row.status == "assigned" and row.provider == "telnyx"
    assert OwnedNumber.objects.get(phone_number=row).monthly_cents == 175
    assert PhoneNumber.objects.filter(e164=row.e164).count() == 1


def test_regulated_country_numbers_arrive_on_regulatory_hold(client, upload_loa, reviewer, fast_carrier):
    # GB is regulated for port-ins (the shipped requirements table); the organisation has no profile.
    port_id = client.post(URL, {"numbers": ["+442079460123"], "currentCarrier": "BT", "country": "GB",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    client.post(f"{URL}/{port_id}/refresh")
    number = OwnedNumber.objects.get(e164="+442079460123")
    assert number.status == "regulatory_hold" and number.phone_number.provider == "didww"


def test_hand_processing_needs_staff_to_pick_the_country(client, upload_loa, reviewer, slow_carrier):
    port_id = client.post(URL, {"numbers": ["+442079460123"], "currentCarrier": "BT",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    with pytest.raises(ValidationFailed):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    with pytest.raises(ValidationFailed):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer, country="US")
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer, country="gb")
    data = client.get(f"{URL}/{port_id}").json()["data"]
    assert data["country"] == "GB" and data["provider"] == "didww" and data["status"] == "carrier_review"


def test_carrier_without_porting_api_is_handled_by_hand(client, org, upload_loa, reviewer, settings):
    settings.ORBIT = {**settings.ORBIT, "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"],
                                                              "didww": "didww"}}
    port_id = client.post(URL, {"numbers": ["+442079460123"], "currentCarrier": "BT", "country": "GB",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    data = client.get(f"{URL}/{port_id}").json()["data"]
    assert data["status"] == "carrier_review" and data["carrierHandling"] == "manual"
    refresh = client.post(f"{URL}/{port_id}/refresh")
    assert refresh.status_code == 409 and "by hand" in refresh.json()["error"]["message"]
    assert poll_open_port_requests()["port_in"] == 0  # the poller leaves it to staff

    services.port_request_record_carrier_update(port_request_id=port_id, acting_user=reviewer,
                                                status="foc_assigned", foc_date=None,
                                                provider_order_id="DIDWW-PORT-77")
    services.port_request_record_carrier_update(port_request_id=port_id, acting_user=reviewer, status="completed")
    data = client.get(f"{URL}/{port_id}").json()["data"]
    assert data["status"] == "completed" and data["providerOrderId"] == "DIDWW-PORT-77"
    assert OwnedNumber.objects.get(e164="+442079460123").organization == org
    # Cancelling a manual request that is with the carrier says staff will do it.
    other = client.post(URL, {"numbers": ["+442079460124"], "currentCarrier": "BT", "country": "GB",
                              "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=other, acting_user=reviewer)
    assert client.delete(f"{URL}/{other}").json()["data"]["status"] == "cancelled"


def test_manual_rejection_needs_a_code(upload_loa, client, reviewer, settings):
    settings.ORBIT = {**settings.ORBIT, "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"],
                                                              "didww": "didww"}}
    port_id = client.post(URL, {"numbers": ["+442079460123"], "currentCarrier": "BT", "country": "GB",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    with pytest.raises(ValidationFailed):
        services.port_request_record_carrier_update(port_request_id=port_id, acting_user=reviewer, status="rejected")
    services.port_request_record_carrier_update(port_request_id=port_id, acting_user=reviewer, status="rejected",
                                                reject_code="NUMBER_NOT_ACTIVE", note="Line disconnected")
    rejection = client.get(f"{URL}/{port_id}").json()["data"]["rejection"]
    assert rejection["code"] == "NUMBER_NOT_ACTIVE" and "disconnected" in rejection["explanation"]


def test_carrier_refusing_the_order_keeps_the_request_in_review(client, upload_loa, reviewer):
    from orbit_numbers.errors import Conflict

    port_id = client.post(URL, {"numbers": ["+12015559999"], "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    with pytest.raises(Conflict):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    assert PortRequest.objects.get(pk=port_id).status == "validating_loa"


def test_poll_command(client, upload_loa, reviewer, fast_carrier, capsys):
    port_id = client.post(URL, {"numbers": ["+12015550124"], "currentCarrier": "Acme", "country": "US",
                                "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    call_command("poll_port_requests")
    assert "Polled 1 port-in" in capsys.readouterr().out
    assert PortRequest.objects.get(pk=port_id).status == "completed"


def test_beat_schedule_polls_port_requests(settings):
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "porting.tasks.poll_open_port_requests" in entries


def test_poller_survives_a_failing_carrier_and_polls_port_outs(client, org, own_number, upload_loa, reviewer,
                                                              settings, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter
    from orbit_numbers.errors import ProviderError

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    ids = []
    for number in ("+12015550124", "+12015550126"):
        port_id = client.post(URL, {"numbers": [number], "currentCarrier": "Acme", "country": "US",
                                    "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
        ids.append(port_id)
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 10_000}
    owned = own_number(org)
    port_out_id = client.post(f"{URL}/out", {"numbers": [owned.e164], "destinationCarrier": "V"},
                              format="json").json()["data"]["id"]
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    broken = PortRequest.objects.get(pk=ids[0]).provider_order_id
    original = SimulatorAdapter.port_in_status

    def flaky(self, *, provider_order_id):
        if provider_order_id == broken:
            raise ProviderError("telnyx: timed out", provider_code="UNAVAILABLE", retryable=True)
        return original(self, provider_order_id=provider_order_id)

    monkeypatch.setattr(SimulatorAdapter, "port_in_status", flaky)
    counts = poll_open_port_requests()
    assert counts == {"port_in": 1, "port_out": 1, "changed": 2, "errors": 1}
    assert PortRequest.objects.get(pk=ids[0]).status == "carrier_review"
    assert PortRequest.objects.get(pk=ids[1]).status == "completed"
    from porting.models import PortOutRequest
    assert PortOutRequest.objects.get(pk=port_out_id).status == "completed"
    owned.refresh_from_db()
    assert owned.status == "released"
