"""Opaque keyset cursors: tamper-proof, bound to one listing, stable under inserts; limit bounds."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from billing.services import wallet_credit
from orbit_numbers.api.pagination import keyset_page, parse_limit
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import AuditLog

TRANSACTIONS = "/api/v1/billing/transactions"


def credit(org, times: int) -> None:
    for index in range(times):
        wallet_credit(organization=org, amount_cents=100 + index, description=f"credit {index}")


def assert_cursor_rejected(response) -> None:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == {"cursor": "invalid cursor"}


def test_pages_walk_every_entry_once(org, client):
    credit(org, 6)  # plus the fixture's top-up: 7 entries
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(TRANSACTIONS, params).json()
        seen += [item["id"] for item in body["data"]]
        pagination = body["meta"]["pagination"]
        assert pagination["has_more"] is (pagination["cursor"] is not None)
        if not pagination["has_more"]:
            break
        cursor = pagination["cursor"]
    assert seen == [f"txn_{n}" for n in range(7, 0, -1)]


def test_page_is_stable_when_rows_arrive_between_requests(org, client):
    credit(org, 3)
    first = client.get(TRANSACTIONS, {"limit": 2}).json()
    credit(org, 2)  # newer entries must not shift the next page
    second = client.get(TRANSACTIONS, {"limit": 2, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert [i["id"] for i in first["data"]] == ["txn_4", "txn_3"]
    assert [i["id"] for i in second["data"]] == ["txn_2", "txn_1"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoiYSJ9", "a:b:c", "%00", "x" * 500])
def test_garbage_cursor_is_422(client, cursor):
    assert_cursor_rejected(client.get(TRANSACTIONS, {"cursor": cursor}))


def test_tampered_cursor_is_422(org, client):
    credit(org, 3)
    cursor = client.get(TRANSACTIONS, {"limit": 1}).json()["meta"]["pagination"]["cursor"]
    payload, signature = cursor.rsplit(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert_cursor_rejected(client.get(TRANSACTIONS, {"cursor": f"{payload}:{flipped}"}))
    # A payload re-signed with another key (a forger without SECRET_KEY) is refused as well.
    forged = signing.dumps({"s": "billing.transactions:x:", "v": [1, 1]}, key="not-the-secret",
                           salt="orbit.cursor", compress=True)
    assert_cursor_rejected(client.get(TRANSACTIONS, {"cursor": forged}))


def test_cursor_of_another_tenant_is_422(org, client, make_org, make_client):
    credit(org, 3)
    cursor = client.get(TRANSACTIONS, {"limit": 1}).json()["meta"]["pagination"]["cursor"]
    other = make_org("Other tenant", credit_cents=500)
    assert_cursor_rejected(make_client(other).get(TRANSACTIONS, {"cursor": cursor}))


def test_cursor_of_another_filter_is_422(org, client):
    credit(org, 3)
    cursor = client.get(TRANSACTIONS, {"limit": 1}).json()["meta"]["pagination"]["cursor"]
    assert_cursor_rejected(client.get(TRANSACTIONS, {"cursor": cursor, "type": "top_up"}))


@pytest.mark.parametrize("limit", ["0", "-1", "201", "abc", "1.5", "99999999999999999999"])
def test_limit_out_of_bounds_is_422(client, limit):
    response = client.get(TRANSACTIONS, {"limit": limit})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["details"]


def test_limit_bounds_are_inclusive(org, client):
    credit(org, 2)
    assert len(client.get(TRANSACTIONS, {"limit": 1}).json()["data"]) == 1
    assert len(client.get(TRANSACTIONS, {"limit": 200}).json()["data"]) == 3


def test_parse_limit_defaults_and_bounds():
    assert parse_limit(None, default=25, maximum=200) == 25
    assert parse_limit("", default=25, maximum=200) == 25
    assert parse_limit("200", default=25, maximum=200) == 200
    for bad in ("0", "201", "x"):
        with pytest.raises(ValidationFailed):
            parse_limit(bad, default=25, maximum=200)


def test_keyset_on_timestamps_breaks_ties_by_pk(db):
    """Rows sharing one created_at (bulk writes) are neither skipped nor repeated."""
    rows = [AuditLog.objects.create(action=f"test.{n}") for n in range(5)]
    moment = timezone.now() - timedelta(minutes=5)
    AuditLog.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=moment)
    queryset = AuditLog.objects.filter(action__startswith="test.")
    seen, cursor = [], None
    while True:
        page = keyset_page(queryset, cursor=cursor, limit=2, scope="audit-test")
        seen += [row.pk for row in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted((r.pk for r in rows), reverse=True)


def test_keyset_rejects_a_signed_cursor_with_a_bad_timestamp(db):
    cursor = signing.dumps({"s": "audit-test", "v": ["not-a-date", 1]}, salt="orbit.cursor", compress=True)
    with pytest.raises(ValidationFailed):
        keyset_page(AuditLog.objects.all(), cursor=cursor, limit=2, scope="audit-test")
