"""No carrier call inside a transaction: dispatch claims around every porting write that calls a
carrier, the poller that asks first and applies to an unchanged request, and the sweep that
settles the claims of processes that died mid-dispatch."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import OwnedNumber
from inventory.providers.simulator import SimulatorAdapter
from orbit_numbers.errors import ProviderError
from orbit_numbers.models import AuditLog
from porting import services
from porting.models import PortOutRequest, PortRequest
from porting.services import port_in as port_in_module
from porting.services import port_out as port_out_module

URL = "/api/v1/numbers/porting"


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the service gets to clean up)."""


@pytest.fixture
def guard(settings):
    """guard() from then on refuses any carrier call inside a transaction (the fixtures that buy
    numbers run before it is switched on)."""

    def switch_on():
        settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": "raise"}

    return switch_on


def submitted(client, upload_loa, number="+12015550124") -> str:
    return client.post(URL, {"numbers": [number], "currentCarrier": "Acme", "country": "US",
                             "loaFileUrl": upload_loa(client)}, format="json").json()["data"]["id"]


def approved(client, upload_loa, reviewer, number="+12015550124") -> str:
    port_id = submitted(client, upload_loa, number)
    services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    return port_id


def age_claims(model) -> None:
    model.objects.exclude(dispatch_token="").update(dispatch_claimed_at=timezone.now() - timedelta(hours=1))


def port_out(client, number, **headers):
    return client.post(f"/api/v1/numbers/{number.id}/port-out", {
        "losing_carrier_account_number": "ORB-1", "authorized_person": "Jo Doe", "target_carrier_ocn": "6529"},
        format="json", **headers)


# ---------------------------------------------------------------- no transaction around a carrier call

def test_port_in_flows_call_the_carrier_outside_any_transaction(client, upload_loa, reviewer, settings, guard):
    guard()
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 10_000}
    port_id = approved(client, upload_loa, reviewer)
    assert PortRequest.objects.get(pk=port_id).status == "carrier_review"
    assert client.post(f"{URL}/{port_id}/refresh").status_code == 200
    assert services.port_requests_poll()["errors"] == 0
    cancelled = client.delete(f"{URL}/{port_id}", HTTP_IDEMPOTENCY_KEY="cancel-in-1")
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
    replay = client.delete(f"{URL}/{port_id}", HTTP_IDEMPOTENCY_KEY="cancel-in-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"


def test_supplement_at_the_carrier_outside_any_transaction(client, upload_loa, reviewer, fast_carrier, guard):
    guard()
    port_id = approved(client, upload_loa, reviewer, number="+12015550401")
    assert client.post(f"{URL}/{port_id}/refresh").json()["data"]["status"] == "rejected"
    response = client.post(f"{URL}/{port_id}/supplement", {"accountNumber": "RIGHT"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="supp-1")
    assert response.status_code == 200 and response.json()["data"]["status"] != "rejected"
    row = PortRequest.objects.get(pk=port_id)
    assert row.account_number == "RIGHT" and row.supplement_count == 1 and not row.is_dispatching


def test_port_out_flows_call_the_carrier_outside_any_transaction(client, org, own_number, slow_carrier, guard):
    number, other = own_number(org), own_number(org)
    guard()
    created = port_out(client, number, HTTP_IDEMPOTENCY_KEY="pout-1")
    assert created.status_code == 201, created.json()
    replay = port_out(client, number, HTTP_IDEMPOTENCY_KEY="pout-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == created.json()
    batch = client.post(f"{URL}/out", {"numbers": [other.e164], "destinationCarrier": "V"}, format="json")
    assert batch.status_code == 201
    port_out_id = batch.json()["data"]["id"]
    assert client.post(f"{URL}/out/{port_out_id}/refresh").status_code == 200
    assert client.delete(f"{URL}/out/{port_out_id}").json()["data"]["status"] == "cancelled"
    other.refresh_from_db()
    assert other.status == "active" and PortOutRequest.objects.filter(dispatch_token="").count() == 2


def test_carrier_refusal_under_the_guard_leaves_nothing_claimed(client, upload_loa, reviewer, guard):
    from orbit_numbers.errors import Conflict

    guard()
    port_id = submitted(client, upload_loa, "+12015559999")
    with pytest.raises(Conflict):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    row = PortRequest.objects.get(pk=port_id)
    assert row.status == "validating_loa" and not row.is_dispatching


# ---------------------------------------------------------------- claims keep other writes away

def test_a_claimed_request_refuses_other_writes_and_the_poller_leaves_it(client, upload_loa, reviewer,
                                                                          fast_carrier):
    port_id = approved(client, upload_loa, reviewer)
    PortRequest.objects.filter(pk=port_id).update(dispatch_token="someone", dispatch_action="cancel",
                                                  dispatch_claimed_at=timezone.now())
    response = client.delete(f"{URL}/{port_id}")
    assert response.status_code == 409 and response["Retry-After"] == "60"
    assert client.post(f"{URL}/{port_id}/refresh").status_code == 409
    assert services.port_requests_poll()["port_in"] == 0
    assert PortRequest.objects.get(pk=port_id).status == "carrier_review"


def test_poller_does_not_apply_a_stale_answer(client, upload_loa, reviewer, fast_carrier, monkeypatch):
    port_id = approved(client, upload_loa, reviewer)
    original = SimulatorAdapter.port_in_status

    def cancelled_meanwhile(self, *, provider_order_id):
        answer = original(self, provider_order_id=provider_order_id)  # "completed"
        PortRequest.objects.filter(pk=port_id).update(status="cancelled")
        return answer

    monkeypatch.setattr(SimulatorAdapter, "port_in_status", cancelled_meanwhile)
    assert services.port_requests_poll() == {"port_in": 1, "port_out": 0, "changed": 1, "errors": 0}
    assert PortRequest.objects.get(pk=port_id).status == "cancelled"
    assert not OwnedNumber.objects.filter(e164="+12015550124").exists()


# ---------------------------------------------------------------- crashes between the phases

def test_port_out_crash_after_the_carrier_accepted_is_recovered(client, org, own_number, slow_carrier,
                                                                monkeypatch):
    number = own_number(org)

    def crash(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(port_out_module, "_port_out_dispatched", crash)
    with pytest.raises(Crash):
        port_out(client, number)
    stranded = PortOutRequest.objects.get()
    assert stranded.is_dispatching and not stranded.provider_order_id
    monkeypatch.undo()
    assert services.port_dispatch_claims_sweep()["recovered"] == 0  # not stale yet
    age_claims(PortOutRequest)
    assert services.port_dispatch_claims_sweep()["recovered"] == 1
    stranded.refresh_from_db()
    assert stranded.provider_order_id.startswith("sim-") and not stranded.is_dispatching
    assert stranded.status == "pending"
    assert AuditLog.objects.filter(action="port_out.dispatch_recovered", object_id=stranded.pk).exists()


def test_port_out_crash_before_the_carrier_answered_is_withdrawn(client, org, own_number, slow_carrier,
                                                                 monkeypatch):
    number = own_number(org)

    def crash(self, **kwargs):
        raise Crash()

    monkeypatch.setattr(SimulatorAdapter, "create_port_out", crash)
    with pytest.raises(Crash):
        port_out(client, number)
    number.refresh_from_db()
    assert number.status == "porting_out"
    monkeypatch.undo()
    age_claims(PortOutRequest)
    assert services.port_dispatch_claims_sweep()["withdrawn"] == 1
    number.refresh_from_db()
    withdrawn = PortOutRequest.objects.get()
    assert number.status == "active"
    assert withdrawn.status == "rejected" and withdrawn.reject_code == "NOT_DISPATCHED"
    assert port_out(client, number).status_code == 201  # the customer can submit again


def test_port_in_crash_after_the_carrier_accepted_is_recovered(client, upload_loa, reviewer, slow_carrier,
                                                               monkeypatch):
    port_id = submitted(client, upload_loa)

    def crash(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(port_in_module, "_dispatched", crash)
    with pytest.raises(Crash):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    assert PortRequest.objects.get(pk=port_id).is_dispatching
    monkeypatch.undo()
    age_claims(PortRequest)
    assert services.port_dispatch_claims_sweep()["recovered"] == 1
    row = PortRequest.objects.get(pk=port_id)
    assert row.status == "carrier_review" and row.provider_order_id and not row.is_dispatching
    assert row.reviewed_by == reviewer


def test_port_in_crash_before_the_carrier_answered_is_dispatched_again(client, upload_loa, reviewer, slow_carrier,
                                                                       monkeypatch):
    port_id = submitted(client, upload_loa)

    def crash(self, **kwargs):
        raise Crash()

    monkeypatch.setattr(SimulatorAdapter, "create_port_in", crash)
    with pytest.raises(Crash):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    monkeypatch.undo()
    age_claims(PortRequest)
    assert services.port_dispatch_claims_sweep()["redispatched"] == 1
    row = PortRequest.objects.get(pk=port_id)
    assert row.status == "carrier_review" and row.provider_order_id and not row.is_dispatching


def test_port_in_carrier_without_lookups_goes_to_manual_handling(client, upload_loa, reviewer, slow_carrier,
                                                                 monkeypatch):
    port_id = submitted(client, upload_loa)
    monkeypatch.setattr(port_in_module, "_dispatched", lambda *args, **kwargs: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        services.port_request_loa_approve(port_request_id=port_id, acting_user=reviewer)
    monkeypatch.undo()

    def cannot_look_up(self, **kwargs):
        raise ProviderError("no lookups", provider_code="NOT_SUPPORTED")

    monkeypatch.setattr(SimulatorAdapter, "find_port_in", cannot_look_up)
    age_claims(PortRequest)
    assert services.port_dispatch_claims_sweep()["manual"] == 1
    row = PortRequest.objects.get(pk=port_id)
    assert row.status == "carrier_review" and row.handling == "manual" and not row.is_dispatching
    assert port_id in row.events.last().note


def test_interrupted_cancel_is_released_and_can_be_retried(client, upload_loa, reviewer, slow_carrier, monkeypatch):
    port_id = approved(client, upload_loa, reviewer)

    def crash(self, **kwargs):
        raise Crash()

    monkeypatch.setattr(SimulatorAdapter, "cancel_port_in", crash)
    with pytest.raises(Crash):
        client.delete(f"{URL}/{port_id}")
    monkeypatch.undo()
    assert client.delete(f"{URL}/{port_id}").status_code == 409  # still claimed
    age_claims(PortRequest)
    assert services.port_dispatch_claims_sweep()["released"] == 1
    assert PortRequest.objects.get(pk=port_id).status == "carrier_review"
    assert client.delete(f"{URL}/{port_id}").json()["data"]["status"] == "cancelled"


def test_a_stalled_dispatch_applies_nothing_and_keeps_the_order_the_sweep_adopted(client, org, own_number,
                                                                                   slow_carrier, monkeypatch):
    number = own_number(org)
    original = SimulatorAdapter.create_port_out
    cancelled = []

    def slow_then_swept(self, **kwargs):
        order = original(self, **kwargs)
        age_claims(PortOutRequest)  # the process stalls past the claim; the sweep settles it meanwhile
        assert services.port_dispatch_claims_sweep()["recovered"] == 1
        return order

    monkeypatch.setattr(SimulatorAdapter, "create_port_out", slow_then_swept)
    monkeypatch.setattr(SimulatorAdapter, "cancel_port_out", lambda self, **kwargs: cancelled.append(kwargs))
    response = port_out(client, number)
    assert response.status_code == 409
    recovered = PortOutRequest.objects.get()
    assert recovered.provider_order_id and recovered.status == "pending" and cancelled == []
    number.refresh_from_db()
    assert number.status == "porting_out"


def test_sweep_command_and_beat_task(db, settings, capsys):
    from django.core.management import call_command

    call_command("sweep_port_dispatches")
    assert "recovered 0" in capsys.readouterr().out
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "porting.tasks.sweep_stale_port_dispatches" in entries
