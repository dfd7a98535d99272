"""Idempotency-Key: replay, conflict, per-tenant keys, what is not remembered, purge after the TTL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone

from orbit_numbers.api.idempotency import request_fingerprint

from orbit_numbers.models import AuditLog, IdempotencyRecord
from orbit_numbers.services import idempotency_records_purge
from orbit_numbers.tasks import purge_idempotency_records

pytestmark = pytest.mark.urls("tests.orbit_numbers.testing_urls")
ECHO = "/api/v1/_test/echo"
BODY = {"phone_number": "+14155552671"}


def executions(org) -> int:
    return AuditLog.objects.filter(organization=org, action="test.echo").count()


def post(client, body, key):
    return client.post(ECHO, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_same_body_replays_status_and_body(org, client):
    first = post(client, BODY, "order-1")
    again = post(client, BODY, "order-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["data"] == first.json()["data"]
    assert again["Idempotent-Replayed"] == "true"
    assert executions(org) == 1


def test_replay_ignores_json_key_order_and_whitespace(org, client):
    post(client, {"phone_number": "+14155552671", "note": "x"}, "order-2")
    replay = client.post(ECHO, '{ "note": "x",  "phone_number": "+14155552671" }',
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-2")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert executions(org) == 1


def test_same_key_different_body_is_409(org, client):
    post(client, BODY, "order-3")
    response = post(client, {"phone_number": "+14155552672"}, "order-3")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert executions(org) == 1


def test_keys_are_per_organisation(org, client, make_org, make_client):
    other = make_org("Globex")
    assert post(client, BODY, "shared-key").status_code == 201
    assert post(make_client(other), {"phone_number": "+14155550199"}, "shared-key").status_code == 201
    assert executions(org) == 1 and executions(other) == 1


def test_keys_are_shared_by_every_key_of_an_organisation(org, client, make_client):
    post(client, BODY, "order-4")
    assert post(make_client(org), BODY, "order-4")["Idempotent-Replayed"] == "true"
    assert executions(org) == 1


def test_without_a_key_every_request_executes(org, client):
    client.post(ECHO, BODY, format="json")
    client.post(ECHO, BODY, format="json")
    assert executions(org) == 2


def test_client_errors_are_remembered_and_replayed(org, client):
    first = post(client, {"phone_number": "+14155552671", "note": "conflict"}, "order-5")
    again = post(client, {"phone_number": "+14155552671", "note": "conflict"}, "order-5")
    assert first.status_code == again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    assert again["Idempotent-Replayed"] == "true"


def test_server_errors_are_not_remembered(org, client):
    client.raise_request_exception = False
    body = {"phone_number": "+14155552671", "note": "crash"}
    assert post(client, body, "order-6").status_code == 500
    assert not IdempotencyRecord.objects.filter(key="order-6").exists()
    assert post(client, body, "order-6").status_code == 500  # re-executed, not a replay


def test_a_request_still_running_is_409_conflict(org, client):
    # The first request with this key has been recorded but has not finished yet.
    same_request = RequestFactory().post(ECHO, data=BODY, content_type="application/json")
    IdempotencyRecord.objects.create(organization=org, key="order-7", fingerprint=request_fingerprint(same_request))
    response = post(client, BODY, "order-7")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert executions(org) == 0


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_bad_key_is_422(client, key):
    response = post(client, BODY, key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_records_older_than_the_ttl_are_purged_and_the_key_is_reusable(org, client):
    post(client, BODY, "old-key")
    post(client, BODY, "fresh-key")
    ttl = timedelta(hours=settings.ORBIT["IDEMPOTENCY_TTL_HOURS"])
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=timezone.now() - ttl - timedelta(minutes=1))
    IdempotencyRecord.objects.filter(key="fresh-key").update(created_at=timezone.now() - ttl + timedelta(minutes=5))
    assert purge_idempotency_records.delay().get() == 1  # the Celery beat task (eager in tests)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh-key"]
    # After the purge the old key starts a new request, even with another body.
    assert post(client, {"phone_number": "+14155552672"}, "old-key").status_code == 201
    assert idempotency_records_purge() == 0
