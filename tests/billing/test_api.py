"""GET /api/v1/billing/balance and /api/v1/billing/transactions."""
from __future__ import annotations

import re

import pytest

from billing.models import LedgerEntry, Wallet
from billing.services import Charge, wallet_charge, wallet_credit

BALANCE = "/api/v1/billing/balance"
TRANSACTIONS = "/api/v1/billing/transactions"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_balance_renders_dollars_and_cents(org, client):
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 1_05, "setup")])
    data = client.get(BALANCE).json()["data"]
    assert data["balance"] == 98.95
    assert data["balance_cents"] == 98_95
    assert data["currency"] == "USD"
    assert ISO_UTC.match(data["updated_at"])


def test_balance_of_an_organisation_without_wallet_is_zero_and_creates_nothing(make_org, make_client):
    from orbit_numbers.services import organization_get_or_create

    bare, _ = organization_get_or_create(name="No wallet yet")
    data = make_client(bare).get(BALANCE).json()["data"]
    assert data == {"balance": 0.0, "balance_cents": 0, "currency": "USD", "updated_at": None}
    assert not Wallet.objects.filter(organization=bare).exists()


def test_balance_needs_billing_read(org, make_client):
    response = make_client(org, scopes=["numbers:read"]).get(BALANCE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert make_client(org, scopes=["numbers:read"]).get(TRANSACTIONS).status_code == 403


def test_balance_and_transactions_need_a_key(db):
    from rest_framework.test import APIClient

    assert APIClient().get(BALANCE).status_code == 401
    assert APIClient().get(TRANSACTIONS).status_code == 401


def test_transactions_newest_first_with_every_field(org, client):
    wallet_charge(organization=org, charges=[
        Charge(LedgerEntry.Kind.SETUP_FEE, 100, "Setup +14155550100", "number:num_a"),
        Charge(LedgerEntry.Kind.MONTHLY_FEE, 150, "First month +14155550100", "number:num_a"),
    ])
    body = client.get(TRANSACTIONS).json()
    assert body["meta"]["pagination"] == {"cursor": None, "has_more": False}
    items = body["data"]
    assert [item["type"] for item in items] == ["monthly_fee", "setup_fee", "top_up"]
    newest = items[0]
    assert set(newest) == {"id", "type", "amount", "amount_cents", "balance_after", "balance_after_cents",
                           "description", "reference", "created_at"}
    assert newest["id"] == "txn_3"
    assert (newest["amount"], newest["amount_cents"]) == (-1.5, -150)
    assert (newest["balance_after"], newest["balance_after_cents"]) == (97.5, 97_50)
    assert newest["description"] == "First month +14155550100"
    assert newest["reference"] == "number:num_a"
    assert ISO_UTC.match(newest["created_at"])
    assert items[-1]["amount"] == 100.0 and items[-1]["balance_after_cents"] == 100_00


def test_transactions_filter_by_type(org, client):
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 150, "m")])
    wallet_credit(organization=org, amount_cents=50, kind=LedgerEntry.Kind.REFUND, description="refund")
    assert [i["type"] for i in client.get(TRANSACTIONS, {"type": "refund"}).json()["data"]] == ["refund"]
    assert [i["id"] for i in client.get(TRANSACTIONS, {"type": "top_up"}).json()["data"]] == ["txn_1"]
    assert client.get(TRANSACTIONS, {"type": "porting_fee"}).json()["data"] == []


@pytest.mark.parametrize("kind", ["topup", "TOP_UP", "1", "fee"])
def test_unknown_type_is_422(client, kind):
    response = client.get(TRANSACTIONS, {"type": kind})
    assert response.status_code == 422
    assert "type" in response.json()["error"]["details"]


def test_default_page_is_25_and_maximum_200(org, client):
    for n in range(29):
        wallet_credit(organization=org, amount_cents=1 + n)
    body = client.get(TRANSACTIONS).json()
    assert len(body["data"]) == 25 and body["meta"]["pagination"]["has_more"] is True
    rest = client.get(TRANSACTIONS, {"cursor": body["meta"]["pagination"]["cursor"]}).json()
    assert [i["id"] for i in rest["data"]] == ["txn_5", "txn_4", "txn_3", "txn_2", "txn_1"]
    assert len(client.get(TRANSACTIONS, {"limit": 200}).json()["data"]) == 30
    assert client.get(TRANSACTIONS, {"limit": 201}).status_code == 422


def test_tenants_see_only_their_own_ledger(org, client, make_org, make_client):
    other = make_org("Globex", credit_cents=7_00)
    wallet_charge(organization=other, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 300, "theirs")])
    mine = client.get(TRANSACTIONS).json()["data"]
    assert [i["amount_cents"] for i in mine] == [100_00]
    assert client.get(BALANCE).json()["data"]["balance_cents"] == 100_00
    theirs = make_client(other).get(TRANSACTIONS).json()["data"]
    assert [i["amount_cents"] for i in theirs] == [-300, 7_00]


# --- period, time window and several types (issue #10) ---------------------------------------------


@pytest.fixture
def spread(make_org, make_client, clock):
    """Entries on 2026-01-31 23:59:59, 2026-02-01 00:00:00 and 2026-02-15 of three kinds."""
    from datetime import datetime
    from datetime import timezone as dt_timezone

    clock.set(datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt_timezone.utc))
    org = make_org("Spread", credit_cents=10_00)  # txn_1 top_up
    clock.set(datetime(2026, 2, 1, 0, 0, 0, tzinfo=dt_timezone.utc))
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 1_00, "setup")])  # txn_2
    clock.set(datetime(2026, 2, 15, tzinfo=dt_timezone.utc))
    wallet_credit(organization=org, amount_cents=50, kind=LedgerEntry.Kind.REFUND)  # txn_3
    return make_client(org)


def ids(client, query):
    response = client.get(TRANSACTIONS, query)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["data"]]


def test_transactions_by_period(spread):
    assert ids(spread, {"period": "2026-01"}) == ["txn_1"]
    assert ids(spread, {"period": "2026-02"}) == ["txn_3", "txn_2"]
    assert ids(spread, {"period": "2025-12"}) == []


def test_transactions_between_instants(spread):
    assert ids(spread, {"created_after": "2026-02-01T00:00:00Z"}) == ["txn_3", "txn_2"]
    assert ids(spread, {"created_before": "2026-02-01T00:00:00Z"}) == ["txn_1"]
    assert ids(spread, {"created_after": "2026-02-01T01:00:00+01:00",
                        "created_before": "2026-02-02T00:00:00Z"}) == ["txn_2"]


def test_transactions_of_several_types_and_combined(spread):
    assert ids(spread, {"type": "top_up,refund"}) == ["txn_3", "txn_1"]
    assert ids(spread, {"type": "setup_fee", "period": "2026-02"}) == ["txn_2"]
    assert ids(spread, {"type": "top_up", "period": "2026-02"}) == []


@pytest.mark.parametrize("query, field", [
    ({"period": "2026-13"}, "period"), ({"period": "202602"}, "period"), ({"period": ""}, "period"),
    ({"period": "2999-01"}, "period"),
    ({"created_after": "yesterday"}, "created_after"), ({"created_before": "2026-02-30T00:00:00Z"}, "created_before"),
    ({"type": "top_up,"}, "type"), ({"type": "top_up,cash"}, "type"),
])
def test_bad_filters_are_422(spread, query, field):
    response = spread.get(TRANSACTIONS, query)
    assert response.status_code == 422 and field in response.json()["error"]["details"]
