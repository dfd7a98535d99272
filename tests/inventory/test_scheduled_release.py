"""Scheduled releases: set and cancel (PUT and the bulk endpoint), executed once by the beat job or
the command, even by two workers at once."""
from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections, transaction

from billing.services import ledger_reconcile
from inventory.models import CarrierRelease, OwnedNumber
from inventory.services import number_purchase, number_release
from inventory.services.lifecycle import numbers_release_scheduled
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent

NUMBERS = "/api/v1/numbers"
BULK = f"{NUMBERS}/scheduled-release"


def events(organization, event_type: str) -> list[dict]:
    return [e.payload for e in WebhookEvent.objects.filter(organization=organization, event_type=event_type)
            .order_by("created_at", "id")]


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def buy(org, make_number):
    def make(organization=None):
        return number_purchase(organization=organization or org, phone_number=make_number().e164)

    return make


def test_put_schedules_shows_and_the_command_releases_once(org, client, buy, clock,
                                                           django_capture_on_commit_callbacks):
    org.contact_email = "ops@acme.example"
    org.save(update_fields=["contact_email"])
    number = buy()
    when = (clock.now + timedelta(days=3)).replace(microsecond=0)  # the API renders whole seconds
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(f"{NUMBERS}/{number.pk}", {"release_at": iso(when), "label": "going"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["release_at"] == iso(when) and response.json()["data"]["label"] == "going"
    assert client.get(f"{NUMBERS}/{number.pk}").json()["data"]["release_at"] == iso(when)
    assert events(org, "number.release_scheduled") == [
        {"number_id": number.pk, "phone_number": number.e164, "release_at": when.isoformat()}]
    assert "release scheduled" in mail.outbox[-1].subject

    clock.set(when - timedelta(seconds=1))
    out = StringIO()
    call_command("release_scheduled", stdout=out)
    assert "Released 0 scheduled number(s)." in out.getvalue()
    number.refresh_from_db()
    assert number.status == "active"

    clock.set(when + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("release_scheduled", stdout=out)
    assert f"Released 1 scheduled number(s). {number.e164}" in out.getvalue()
    number.refresh_from_db()
    assert number.status == "released" and number.released_at == clock.now
    assert [e["reason"] for e in events(org, "number.released")] == ["scheduled"]
    assert "released as scheduled" in mail.outbox[-1].body
    assert CarrierRelease.objects.filter(e164=number.e164).count() == 1
    assert AuditLog.objects.filter(action="number.release", object_id=number.pk).count() == 1

    call_command("release_scheduled", stdout=out)  # again: nothing left to do
    assert AuditLog.objects.filter(action="number.release", object_id=number.pk).count() == 1
    assert ledger_reconcile() == []


def test_put_null_cancels_before_the_time(org, client, buy, clock):
    number = buy()
    when = clock.now + timedelta(hours=2)
    client.put(f"{NUMBERS}/{number.pk}", {"release_at": iso(when)}, format="json")
    response = client.put(f"{NUMBERS}/{number.pk}", {"release_at": None}, format="json")
    assert response.status_code == 200 and response.json()["data"]["release_at"] is None
    assert events(org, "number.release_cancelled") == [{"number_id": number.pk, "phone_number": number.e164}]
    # Cancelling what is not scheduled changes nothing and says nothing.
    client.put(f"{NUMBERS}/{number.pk}", {"release_at": None}, format="json")
    assert len(events(org, "number.release_cancelled")) == 1

    clock.set(when + timedelta(hours=1))
    assert numbers_release_scheduled().released == []
    number.refresh_from_db()
    assert number.status == "active"


@pytest.mark.parametrize("value, message", [
    ("2000-01-01T00:00:00Z", "future"), ("yesterday", "format"), (12, "format"), ("", "format")])
def test_put_refuses_a_bad_release_at(client, buy, value, message):
    number = buy()
    response = client.put(f"{NUMBERS}/{number.pk}", {"release_at": value}, format="json")
    assert response.status_code == 422
    assert "release_at" in response.json()["error"]["details"]
    assert message.lower() in str(response.json()["error"]).lower()
    number.refresh_from_db()
    assert number.release_at is None


def test_put_refuses_the_past_by_the_clock(client, buy, clock):
    number = buy()
    when = clock.now + timedelta(minutes=5)
    clock.advance(minutes=10)
    response = client.put(f"{NUMBERS}/{number.pk}", {"release_at": iso(when)}, format="json")
    assert response.status_code == 422 and "future" in response.json()["error"]["details"]["release_at"]


def test_put_refuses_a_number_porting_out(client, buy, clock):
    number = buy()
    OwnedNumber.objects.filter(pk=number.pk).update(status="porting_out")
    response = client.put(f"{NUMBERS}/{number.pk}", {"release_at": iso(clock.now + timedelta(days=1))},
                          format="json")
    assert response.status_code == 422 and "porting out" in response.json()["error"]["details"]["release_at"]


def test_bulk_schedules_all_and_replays_with_the_same_key(org, client, buy, clock):
    numbers = [buy() for _ in range(3)]
    when = (clock.now + timedelta(days=10)).replace(microsecond=0)
    body = {"number_ids": [n.pk for n in reversed(numbers)], "release_at": iso(when)}
    first = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="sched-1")
    assert first.status_code == 200, first.json()
    assert [item["id"] for item in first.json()["data"]] == body["number_ids"]
    assert {item["release_at"] for item in first.json()["data"]} == {iso(when)}
    assert OwnedNumber.objects.filter(release_at=when).count() == 3
    assert len(events(org, "number.release_scheduled")) == 3

    replay = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="sched-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert len(events(org, "number.release_scheduled")) == 3
    assert client.post(BULK, {**body, "release_at": None}, format="json",
                       HTTP_IDEMPOTENCY_KEY="sched-1").status_code == 409

    cancel = client.post(BULK, {"number_ids": [numbers[0].pk], "release_at": None}, format="json")
    assert cancel.status_code == 200 and cancel.json()["data"][0]["release_at"] is None
    assert [e["number_id"] for e in events(org, "number.release_cancelled")] == [numbers[0].pk]

    clock.set(when + timedelta(seconds=1))
    assert sorted(numbers_release_scheduled().released) == sorted(n.e164 for n in numbers[1:])


def test_bulk_is_all_or_none_and_names_every_bad_id(org, client, buy, make_org, clock):
    good, released, porting = buy(), buy(), buy()
    number_release(organization=org, number_id=released.pk)
    OwnedNumber.objects.filter(pk=porting.pk).update(status="porting_out")
    foreign = buy(make_org("Other", credit_cents=10_000))
    ids = [good.pk, "num_unknown", released.pk, porting.pk, foreign.pk, good.pk]
    response = client.post(BULK, {"number_ids": ids, "release_at": iso(clock.now + timedelta(days=1))},
                           format="json")
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert set(details) == {f"number_ids.{index}" for index in (1, 2, 3, 4, 5)}
    assert "porting out" in details["number_ids.3"] and "twice" in details["number_ids.5"]
    assert foreign.pk in details["number_ids.4"]
    assert not OwnedNumber.objects.filter(release_at__isnull=False).exists()
    assert not WebhookEvent.objects.filter(event_type="number.release_scheduled").exists()


def test_a_porting_out_number_may_still_have_its_schedule_cancelled(org, client, buy, clock):
    number = buy()
    OwnedNumber.objects.filter(pk=number.pk).update(status="porting_out", release_at=clock.now + timedelta(days=1))
    response = client.post(BULK, {"number_ids": [number.pk], "release_at": None}, format="json")
    assert response.status_code == 200
    clock.advance(days=2)
    assert numbers_release_scheduled().released == []


@pytest.mark.parametrize("body, field", [
    ({"number_ids": [], "release_at": None}, "number_ids"),
    ({"number_ids": ["num_x"] * 1001, "release_at": None}, "number_ids"),
    ({"number_ids": "num_x", "release_at": None}, "number_ids"),
    ({"number_ids": [None], "release_at": None}, "number_ids"),
    ({"number_ids": ["num_x"]}, "release_at"),
    ({"release_at": None}, "number_ids"),
    ({"number_ids": ["num_x"], "release_at": "2001-01-01T00:00:00Z"}, "release_at"),
    ({"number_ids": ["num_x"], "release_at": "soon"}, "release_at"),
    ({"number_ids": ["num_x"], "release_at": None, "extra": 1}, "extra"),
])
def test_bulk_refuses_bad_bodies(client, body, field):
    response = client.post(BULK, body, format="json")
    assert response.status_code == 422, response.json()
    assert any(key == field or key.startswith(f"{field}.") for key in response.json()["error"]["details"])


def test_bulk_needs_numbers_write(org, make_client, buy, clock):
    reader = make_client(org, scopes=["numbers:read"])
    number = buy()
    response = reader.post(BULK, {"number_ids": [number.pk], "release_at": iso(clock.now + timedelta(days=1))},
                           format="json")
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_release_fires_once_on_two_workers(make_org, make_number):
    from django.utils import timezone

    organization = make_org("Two workers", credit_cents=100_000)
    numbers = [number_purchase(organization=organization, phone_number=make_number().e164) for _ in range(12)]
    due = timezone.now() + timedelta(hours=1)
    OwnedNumber.objects.filter(pk__in=[n.pk for n in numbers]).update(release_at=due)
    barrier = threading.Barrier(2)
    released: list[list[str]] = []

    def worker():
        try:
            barrier.wait()
            released.append(numbers_release_scheduled(now=due, batch_size=3).released)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [e164 for run in released for e164 in run]
    assert sorted(everything) == sorted(n.e164 for n in numbers)  # each exactly once, between them
    assert OwnedNumber.objects.filter(status="released").count() == 12
    assert AuditLog.objects.filter(action="number.release").count() == 12
    assert CarrierRelease.objects.count() == 12
    assert WebhookEvent.objects.filter(event_type="number.released").count() == 12
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_holds_is_skipped_not_waited_for(make_org, make_number):
    from django.utils import timezone

    organization = make_org("Held", credit_cents=100_000)
    held, free = (number_purchase(organization=organization, phone_number=make_number().e164) for _ in range(2))
    due = timezone.now() + timedelta(hours=1)
    OwnedNumber.objects.filter(pk__in=[held.pk, free.pk]).update(release_at=due)
    locked, finish = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OwnedNumber.objects.select_for_update().get(pk=held.pk)
                locked.set()
                finish.wait(10)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    try:
        assert numbers_release_scheduled(now=due).released == [free.e164]
    finally:
        finish.set()
        thread.join()
    assert numbers_release_scheduled(now=due).released == [held.e164]


def test_the_endpoint_is_typed_with_every_status(db, served_schema):
    from django.urls import include, path

    from tests.orbit_numbers.test_schema import generate, json_body, parameters, resolve, validate_schema

    schema, problems = generate([path("api/v1/", include("inventory.api.lifecycle"))])
    assert problems == ""
    validate_schema(schema)
    operation = schema["paths"]["/api/v1/numbers/scheduled-release"]["post"]
    assert operation["operationId"] == "numbers_scheduled_release" and operation["tags"] == ["numbers"]
    assert {int(status) for status in operation["responses"]} == {200, 400, 401, 403, 409, 413, 422, 429}
    assert "Idempotency-Key" in parameters(operation, "header")
    data = resolve(schema, json_body(schema, operation, 200)["properties"]["data"])
    assert data["type"] == "array" and resolve(schema, data["items"])["properties"]["release_at"]["nullable"]
    # The served schema has it too, and the number's representation documents the lifecycle fields.
    served = served_schema["paths"]["/api/v1/numbers/scheduled-release"]["post"]
    assert served["operationId"] == "numbers_scheduled_release"
    number = resolve(served_schema, resolve(served_schema, json_body(
        served_schema, served_schema["paths"]["/api/v1/numbers/{number_id}"]["get"], 200))["properties"]["data"])
    assert {"auto_renew", "release_at", "paid_until", "renewal_failed_at"} <= set(number["properties"])
    assert "suspended" in resolve(served_schema, number["properties"]["status"])["enum"]
