"""Monthly statements: the months listed, opening + lines = closing, totals per kind, CSV (formula
injection neutralised), PDF, content negotiation and bad periods."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest

from billing.models import LedgerEntry
from billing.services import Charge, wallet_adjust, wallet_charge, wallet_credit
from tests.billing.money import assert_books_balance

STATEMENTS = "/api/v1/billing/statements"


def at(clock, month, day=10):
    clock.set(datetime(2026, month, day, 12, tzinfo=dt_timezone.utc))


@pytest.fixture
def history(make_org, clock):
    """An organisation with activity in January and March 2026 (none in February)."""
    at(clock, 1)
    org = make_org("History", credit_cents=50_00)
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 1_00, "setup"),
                                             Charge(LedgerEntry.Kind.MONTHLY_FEE, 1_50, "=HYPERLINK(\"x\")")])
    at(clock, 3, 5)
    wallet_credit(organization=org, amount_cents=20_00, description="+cmd|' /C calc'!A0", reference="@ref")
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 1_50, "renewal")])
    at(clock, 3, 20)
    return org


def test_months_with_activity_newest_first(history, make_client):
    client = make_client(history)
    assert client.get(STATEMENTS).json()["data"] == [{"period": "2026-03"}, {"period": "2026-01"}]
    assert client.get(STATEMENTS, {"year": "2026"}).status_code == 422


def test_statement_balances_and_totals(history, make_client):
    client = make_client(history)
    for period in ("2026-01", "2026-02", "2026-03"):
        data = client.get(f"{STATEMENTS}/{period}").json()["data"]
        lines = data["transactions"]
        assert data["opening_balance_cents"] + sum(line["amount_cents"] for line in lines) == \
            data["closing_balance_cents"]
        totals = {}
        for line in lines:
            totals[line["type"]] = totals.get(line["type"], 0) + line["amount_cents"]
        assert {t["type"]: t["amount_cents"] for t in data["totals"]} == totals
        assert data["credits_cents"] + data["debits_cents"] == sum(totals.values())
    january = client.get(f"{STATEMENTS}/2026-01").json()["data"]
    assert (january["opening_balance_cents"], january["closing_balance_cents"]) == (0, 47_50)
    assert [line["id"] for line in january["transactions"]] == ["txn_1", "txn_2", "txn_3"]
    february = client.get(f"{STATEMENTS}/2026-02").json()["data"]
    assert february["transactions"] == [] and february["opening_balance_cents"] == 47_50 == \
        february["closing_balance_cents"]
    march = client.get(f"{STATEMENTS}/2026-03").json()["data"]
    assert march["opening_balance_cents"] == 47_50 and march["closing_balance_cents"] == 66_00
    assert march["starts_at"] == "2026-03-01T00:00:00Z" and march["ends_at"] == "2026-04-01T00:00:00Z"
    assert_books_balance()


def test_csv_rows_and_formula_injection(history, make_client):
    client = make_client(history)
    response = client.get(f"{STATEMENTS}/2026-03", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'statement-{history.id}-2026-03.csv' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["row", "date", "transaction_id", "type", "description", "reference", "amount",
                       "balance_after"]
    assert rows[1][0] == "opening_balance" and rows[1][-1] == "47.50"
    entries = [row for row in rows if row[0] == "entry"]
    assert [row[2] for row in entries] == ["txn_4", "txn_5"]
    assert entries[0][4] == "'+cmd|' /C calc'!A0" and entries[0][5] == "'@ref" and entries[0][6] == "20.00"
    assert {row[3]: row[6] for row in rows if row[0] == "total"} == {"top_up": "20.00", "monthly_fee": "-1.50"}
    assert rows[-1][0] == "closing_balance" and rows[-1][-1] == "66.00"
    january = client.get(f"{STATEMENTS}/2026-01", HTTP_ACCEPT="text/csv").content.decode()
    assert "'=HYPERLINK" in january and ",=HYPERLINK" not in january


def test_pdf(history, make_client):
    response = make_client(history).get(f"{STATEMENTS}/2026-03", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert make_client(history).get(f"{STATEMENTS}/2026-03", HTTP_ACCEPT="application/pdf").content[:4] == b"%PDF"


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "march", "1999-12", "2026-04-01", "2027-01"])
def test_bad_periods_are_422(history, make_client, period):
    response = make_client(history).get(f"{STATEMENTS}/{period}")
    assert response.status_code == 422 and "period" in response.json()["error"]["details"]


def test_bad_query_is_422_and_scopes_and_tenants(history, make_client, make_org):
    client = make_client(history)
    assert client.get(f"{STATEMENTS}/2026-03", {"format": "xls"}).status_code == 422
    assert client.get(f"{STATEMENTS}/2026-03", {"page": "1"}).status_code == 422
    assert make_client(history, scopes=["numbers:read"]).get(f"{STATEMENTS}/2026-03").status_code == 403
    other = make_client(make_org("Stranger"))
    assert other.get(STATEMENTS).json()["data"] == []
    assert other.get(f"{STATEMENTS}/2026-03").json()["data"]["transactions"] == []


def test_adjustments_appear_with_their_sign(make_org, make_client, clock, django_user_model):
    at(clock, 5)
    org = make_org("Adjusted", credit_cents=10_00)
    staff = django_user_model.objects.create_user("fin", is_staff=True)
    wallet_adjust(organization=org, amount_cents=-2_00, reason="correction", acting_user=staff)
    data = make_client(org).get(f"{STATEMENTS}/2026-05").json()["data"]
    assert {t["type"]: t["amount_cents"] for t in data["totals"]} == {"top_up": 10_00, "adjustment": -2_00}
    assert data["closing_balance_cents"] == 8_00


def test_months_partition_the_ledger_even_when_clocks_disagree(make_org, make_client, clock):
    """Entry 3 carries an earlier time than entry 2 (two servers' clocks around midnight): every entry
    is on exactly one statement and each month still balances."""
    at(clock, 1, 31)
    org = make_org("Skewed", credit_cents=10_00)  # txn_1, January
    clock.set(datetime(2026, 2, 1, 0, 0, 1, tzinfo=dt_timezone.utc))
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 1_00, "a")])  # txn_2
    clock.set(datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt_timezone.utc))
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 2_00, "b")])  # txn_3
    at(clock, 2, 20)
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 3_00, "c")])  # txn_4
    client = make_client(org)
    seen = []
    for period in ("2026-01", "2026-02"):
        data = client.get(f"{STATEMENTS}/{period}").json()["data"]
        assert data["opening_balance_cents"] + sum(t["amount_cents"] for t in data["transactions"]) == \
            data["closing_balance_cents"]
        seen += [t["id"] for t in data["transactions"]]
    assert seen == ["txn_1", "txn_2", "txn_3", "txn_4"]
