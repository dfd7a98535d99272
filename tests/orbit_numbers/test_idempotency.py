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


def test_stored_replays_do_not_spend_the_named_rate_limit(org, client):
    """The echo view allows 3 POSTs a minute; retries of a stored request are answered anyway."""
    assert post(client, BODY, "retry-1").status_code == 201
    for _ in range(5):
        replay = post(client, BODY, "retry-1")
        assert replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"
    # Fresh requests still count: two more fit in the budget, the next one is refused.
    assert post(client, {"phone_number": "+14155552672"}, "new-1").status_code == 201
    assert post(client, {"phone_number": "+14155552673"}, "new-2").status_code == 201
    refused = post(client, {"phone_number": "+14155552674"}, "new-3")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"


# Crash safety: the record commits with the effect; a stale in-progress key is taken over.

PHASED = "/api/v1/_test/phased-echo"


@pytest.fixture
def lease_taken_over(monkeypatch):
    """A retry takes the key over while this request runs, just before its response is stored."""
    from orbit_numbers.api import idempotency

    real_store = idempotency._store

    def taken_over_meanwhile(claim, response):
        IdempotencyRecord.objects.filter(pk=claim.record_id).update(lease_token="someone-else")
        return real_store(claim, response)

    monkeypatch.setattr(idempotency, "_store", taken_over_meanwhile)


def test_an_in_progress_key_past_its_lease_is_taken_over_by_the_retry(org, client):
    same_request = RequestFactory().post(ECHO, data=BODY, content_type="application/json")
    IdempotencyRecord.objects.create(organization=org, key="crashed", fingerprint=request_fingerprint(same_request),
                                     lease_token="dead", leased_until=timezone.now() - timedelta(seconds=1))
    response = post(client, BODY, "crashed")
    assert response.status_code == 201
    assert executions(org) == 1
    record = IdempotencyRecord.objects.get(key="crashed")
    assert record.status_code == 201 and record.lease_token != "dead"
    assert post(client, BODY, "crashed")["Idempotent-Replayed"] == "true"


def test_a_record_from_before_leases_counts_as_expired(org, client):
    same_request = RequestFactory().post(ECHO, data=BODY, content_type="application/json")
    IdempotencyRecord.objects.create(organization=org, key="legacy", fingerprint=request_fingerprint(same_request))
    assert post(client, BODY, "legacy").status_code == 201


def test_a_request_still_running_is_409_conflict_with_retry_after(org, client):
    # The first request with this key has been recorded, its lease is live, it has not finished.
    same_request = RequestFactory().post(ECHO, data=BODY, content_type="application/json")
    IdempotencyRecord.objects.create(organization=org, key="running", fingerprint=request_fingerprint(same_request),
                                     lease_token="alive", leased_until=timezone.now() + timedelta(seconds=30))
    response = post(client, BODY, "running")
    assert response.status_code == 409
    assert 1 <= int(response["Retry-After"]) <= 30
    assert executions(org) == 0


def test_a_crash_while_storing_the_response_rolls_the_effect_back(org, client, monkeypatch):
    """The record is written in the effect's transaction: no effect without its stored response."""
    from orbit_numbers.api import idempotency

    def crash(claim, response):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(idempotency, "_store", crash)
    client.raise_request_exception = False
    assert post(client, BODY, "store-crash").status_code == 500
    assert executions(org) == 0


def test_a_request_whose_lease_was_taken_over_cannot_commit_its_effect(org, client, lease_taken_over):
    response = post(client, BODY, "stolen")
    assert response.status_code == 409
    assert executions(org) == 0


def test_phased_effect_commits_its_response_and_survives_a_crash_after_it(org, client, monkeypatch):
    from tests.orbit_numbers.testing_urls import PhasedEchoViewSet

    def crash():
        raise RuntimeError("worker killed after the commit")

    monkeypatch.setattr(PhasedEchoViewSet, "after_effect", staticmethod(crash))
    first = client.post(PHASED, BODY, format="json", HTTP_IDEMPOTENCY_KEY="phased-1")
    # The handler failed after the effect committed: the client still gets the first response.
    assert first.status_code == 201
    audit_id = first.json()["data"]["audit_id"]
    monkeypatch.setattr(PhasedEchoViewSet, "after_effect", None)
    again = client.post(PHASED, BODY, format="json", HTTP_IDEMPOTENCY_KEY="phased-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["audit_id"] == audit_id
    assert executions(org) == 1


def test_phased_effect_refused_when_the_lease_was_taken_over(org, client, lease_taken_over):
    response = client.post(PHASED, BODY, format="json", HTTP_IDEMPOTENCY_KEY="phased-2")
    assert response.status_code == 409
    assert executions(org) == 0  # the effect transaction rolled back
    assert AuditLog.objects.filter(action="test.phase1").count() == 1


def test_phased_error_before_any_effect_is_remembered(org, client):
    body = {"phone_number": "+14155552671", "note": "conflict"}
    assert client.post(PHASED, body, format="json", HTTP_IDEMPOTENCY_KEY="phased-3").status_code == 409
    again = client.post(PHASED, body, format="json", HTTP_IDEMPOTENCY_KEY="phased-3")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"


def test_effect_commit_outside_an_idempotent_request_does_nothing(org):
    from orbit_numbers.api.idempotency import idempotency_effect_commit

    idempotency_effect_commit({"anything": 1})
    assert not IdempotencyRecord.objects.exists()
