"""POST /api/v1/numbers/buy-bulk and services.number_buy_bulk."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from billing.models import LedgerEntry, Wallet
from billing.services import Charge, ledger_reconcile, wallet_charge
from inventory.models import (BulkReservation, BulkReservationItem, InventoryStatus, NumberRoute, OwnedNumber,
                              PhoneNumber)
from inventory.services import checkout, number_buy_bulk, reservation_create
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import make_profile

from .bulk_support import FAILING_US, balance, carrier_log, debited_cents, stock  # noqa: F401

# Real commits: the checkout phases are separate transactions, as in production, and billing's
# deferred wallet/ledger checks run at each commit.
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/numbers/buy-bulk"
# SQL statements of one buy-bulk call, whatever its size (savepoints included).
QUERY_BOUND = 32  # incl. the compliance gate, one bulk insert into the carrier-failure log (savepoint, insert,
# release) and, when the batch empties the wallet, the low-balance notice (event, endpoints)


def body(*rows, **extra):
    return {"items": [{"phone_number": row if isinstance(row, str) else row.e164} for row in rows], **extra}


def test_buys_every_row_and_debits_exactly_them(org, client, stock):
    rows = stock(3)
    response = client.post(URL, body(*rows), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert [row["phone_number"] for row in data["succeeded"]] == [row.e164 for row in rows]
    assert data["failed"] == []
    assert data["total_cost_cents"] == data["debited_cents"] == 3 * 250
    assert all(row["status"] == "active" and row["id"].startswith("num_") for row in data["succeeded"])
    owned = {number.e164: number for number in OwnedNumber.objects.filter(organization=org)}
    assert data["succeeded"][0] == {"id": owned[rows[0].e164].id, "phone_number": rows[0].e164, "status": "active",
                                    "compliance_profile_id": None, "monthly_cost_cents": 150,
                                    "setup_cost_cents": 100, "charged_cents": 250}
    assert balance(org) == 100_00 - 750
    assert LedgerEntry.objects.filter(wallet__organization=org, amount_cents__lt=0).count() == 6  # setup + month
    assert set(OwnedNumber.objects.filter(organization=org).values_list("source", flat=True)) == {"bulk"}
    assert NumberRoute.objects.filter(number__organization=org).count() == 3
    assert set(PhoneNumber.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)) == {
        InventoryStatus.ASSIGNED}
    assert AuditLog.objects.filter(organization=org, action="number.purchase").count() == 3
    assert AuditLog.objects.filter(organization=org, action="number.buy_bulk").count() == 1
    assert ledger_reconcile() == []


def test_per_row_failures_are_reported_and_never_charged(org, make_org, client, stock, carrier_log):
    good, sold, gb_row, other_provider, other_ref = stock(5)
    gb_row.country = "GB"
    gb_row.save()
    failing = stock(e164=FAILING_US)[0]
    number_buy_bulk(organization=make_org("Other", credit_cents=10_00), items=[{"phone_number": sold.e164}])
    response = client.post(URL, {"items": [
        {"phone_number": good.e164, "provider": "telnyx", "id": good.provider_ref},
        {"phone_number": sold.e164},
        {"phone_number": gb_row.e164, "country_code": "US"},
        {"phone_number": other_provider.e164, "provider": "didww"},
        {"phone_number": other_ref.e164, "id": "ref-nope"},
        {"phone_number": failing.e164},
        {"phone_number": "+12015550999"},  # valid, but not in the inventory
    ]}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert [row["phone_number"] for row in data["succeeded"]] == [good.e164]
    assert {row["phone_number"]: row["code"] for row in data["failed"]} == {
        sold.e164: "NOT_AVAILABLE", gb_row.e164: "COUNTRY_MISMATCH", other_provider.e164: "PROVIDER_MISMATCH",
        other_ref.e164: "ID_MISMATCH", failing.e164: "CARRIER_REJECTED", "+12015550999": "NOT_FOUND"}
    assert all(row["message"] and set(row) == {"phone_number", "code", "message"} for row in data["failed"])
    assert data["debited_cents"] == 250 and debited_cents(org) == 250
    assert data["total_cost_cents"] == 6 * 250  # every requested row the inventory prices
    failing.refresh_from_db()
    assert failing.status == InventoryStatus.AVAILABLE  # a carrier refusal goes back on sale
    assert carrier_log["ordered"].count(failing.e164) == 0  # refused, never ordered
    assert ledger_reconcile() == []


def test_a_batch_where_every_row_fails_is_still_200(org, client, stock):
    failing = stock(e164=FAILING_US)[0]
    response = client.post(URL, body(failing, "+12015550998"), format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["succeeded"] == [] and len(data["failed"]) == 2
    assert data["debited_cents"] == 0 and data["total_cost_cents"] == 250
    assert debited_cents(org) == 0
    assert not OwnedNumber.objects.exists()


def test_short_wallet_is_402_and_nothing_is_bought_or_held(make_org, make_client, stock):
    poor = make_org("Poor", credit_cents=499)
    rows = stock(2)
    response = make_client(poor).post(URL, body(*rows), format="json")

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    assert not OwnedNumber.objects.exists()
    assert set(PhoneNumber.objects.values_list("status", flat=True)) == {InventoryStatus.AVAILABLE}
    assert not BulkReservationItem.objects.exists()
    assert debited_cents(poor) == 0


def test_debit_failure_after_the_carrier_releases_everything(org, stock, carrier_log, monkeypatch):
    """The wallet drains between preflight and the final debit: the carrier orders are released,
    the rows go back on sale and nothing is charged."""
    rows = stock(3)
    original = checkout.carrier_order_all

    def order_then_drain(items, **kwargs):
        outcomes = original(items, **kwargs)
        wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, balance(org), "elsewhere")])
        return outcomes

    monkeypatch.setattr(checkout, "carrier_order_all", order_then_drain)
    from orbit_numbers.errors import InsufficientCredit

    with pytest.raises(InsufficientCredit):
        number_buy_bulk(organization=org, items=[{"phone_number": row.e164} for row in rows])
    assert sorted(carrier_log["released"]) == sorted(row.e164 for row in rows)
    assert not OwnedNumber.objects.exists()
    assert set(PhoneNumber.objects.values_list("status", flat=True)) == {InventoryStatus.AVAILABLE}
    assert BulkReservation.objects.get().status == BulkReservation.Status.CANCELLED
    assert debited_cents(org) == 100_00  # only the drain
    assert ledger_reconcile() == []


def test_numbers_held_by_a_reservation_are_not_sold(org, make_org, client, stock):
    rows = stock(2)
    reservation_create(organization=make_org("Holder"), country="US", quantity=1)
    held = PhoneNumber.objects.get(status=InventoryStatus.RESERVED)
    response = client.post(URL, body(*rows), format="json")

    data = response.json()["data"]
    assert [row["phone_number"] for row in data["failed"]] == [held.e164]
    assert data["failed"][0]["code"] == "NOT_AVAILABLE"
    assert len(data["succeeded"]) == 1


def test_an_uncovered_regulated_number_refuses_the_whole_batch_before_any_debit(org, client, stock):
    gb = stock(2, country="GB")
    us = stock(1)
    balance_before = Wallet.objects.get(organization=org).balance_cents
    response = client.post(URL, {"items": [{"phone_number": r.e164, "country_code": "GB"} for r in gb]
                                 + [{"phone_number": us[0].e164}]}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "COMPLIANCE_REQUIRED"
    [missing] = response.json()["error"]["details"]["missing"]
    assert (missing["country"], missing["line_type"], sorted(missing["numbers"])) == (
        "GB", "local", sorted(r.e164 for r in gb))
    assert {f["name"] for f in missing["fields"]} == {"business_name", "street_address", "city", "postal_code"}
    # Nothing bought, held or debited: not even the US number.
    assert Wallet.objects.get(organization=org).balance_cents == balance_before
    assert not OwnedNumber.objects.filter(organization=org).exists()
    assert not BulkReservation.objects.filter(organization=org).exists()
    assert set(PhoneNumber.objects.filter(pk__in=[r.pk for r in gb + us]).values_list("status", flat=True)) == {
        InventoryStatus.AVAILABLE}

    profile = make_profile(org, "GB", name="UK")
    more = stock(1, country="GB")
    response = client.post(URL, {"items": [{"phone_number": more[0].e164, "country_code": "GB"}],
                                 "compliance_profile_id": profile.pk}, format="json")
    succeeded = response.json()["data"]["succeeded"]
    assert succeeded[0]["status"] == "active" and succeeded[0]["compliance_profile_id"] == profile.pk


@pytest.mark.parametrize("payload, field", [
    ({}, "items"),
    ({"items": []}, "items"),
    ({"items": [{"phone_number": f"+1201555{n:04d}"} for n in range(51)]}, "items"),
    ({"items": "+12015550100"}, "items"),
    ({"items": [{}]}, "items.0.phone_number"),
    ({"items": [{"phone_number": "12015550100"}]}, "items.0.phone_number"),
    ({"items": [{"phone_number": "+1201555010"}]}, "items.0.phone_number"),
    ({"items": [{"phone_number": "+12015550100", "country_code": "USA"}]}, "items.0.country_code"),
    ({"items": [{"phone_number": "+12015550100", "country_code": "XX"}]}, "items.0.country_code"),
    ({"items": [{"phone_number": "+12015550100", "provider": "twilio"}]}, "items.0.provider"),
    ({"items": [{"phone_number": "+12015550100", "id": ""}]}, "items.0.id"),
    ({"items": [{"phone_number": "+12015550100", "id": "x" * 65}]}, "items.0.id"),
    ({"items": [{"phone_number": "+12015550100", "capabilities": ["sms"]}]}, "items.0.capabilities"),
    ({"items": [{"phone_number": "+12015550100"}, {"phone_number": "+12015550100"}]}, "items.1.phone_number"),
    ({"items": [{"phone_number": "+12015550100"}], "dry_run": True}, "dry_run"),
    ({"items": [{"phone_number": "+12015550100"}], "compliance_profile_id": "cp_nope"}, "compliance_profile_id"),
])
def test_bad_input_is_422(client, stock, payload, field):
    stock(1)
    response = client.post(URL, payload, format="json")
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"], error
    assert not OwnedNumber.objects.exists()


def test_malformed_json_is_400(client):
    response = client.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_needs_numbers_write(org, make_client, stock):
    rows = stock(1)
    assert make_client(org, ["numbers:read"]).post(URL, body(*rows), format="json").status_code == 403
    from rest_framework.test import APIClient
    assert APIClient().post(URL, body(*rows), format="json").status_code == 401
    assert make_client(org, ["numbers:write"], bearer=True).post(URL, body(*rows), format="json").status_code == 200


def test_rate_limited_at_two_per_minute_per_organisation(org, make_client, stock):
    rows = stock(3)
    first, second = make_client(org), make_client(org)  # two keys, one organisation
    assert first.post(URL, body(rows[0]), format="json").status_code == 200
    response = second.post(URL, body(rows[1]), format="json")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "2" and response["X-RateLimit-Remaining"] == "0"
    response = first.post(URL, body(rows[2]), format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1
    assert OwnedNumber.objects.count() == 2


def test_idempotency_key_replays_and_refuses_a_different_body(org, client, stock):
    rows = stock(2)
    headers = {"HTTP_IDEMPOTENCY_KEY": "bulk-1"}
    first = client.post(URL, body(rows[0]), format="json", **headers)
    replay = client.post(URL, body(rows[0]), format="json", **headers)
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["data"] == first.json()["data"]
    assert OwnedNumber.objects.count() == 1 and debited_cents(org) == 250

    cache.clear()  # the rate limit (2/min) counts replays too; this test is about the key
    different = client.post(URL, body(rows[1]), format="json", **headers)
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"


@pytest.mark.parametrize("size", [1, 50])
def test_queries_do_not_grow_with_the_batch(make_org, stock, django_assert_max_num_queries, size):
    """Same bound at 1 and at 50 rows (the 50 include a carrier refusal, so the failure path counts too)."""
    organization = make_org("Big", credit_cents=1_000_00)
    rows = stock(size) if size == 1 else stock(size - 1) + stock(e164=FAILING_US)
    with django_assert_max_num_queries(QUERY_BOUND):
        result = number_buy_bulk(organization=organization, items=[{"phone_number": row.e164} for row in rows])
    assert len(result.succeeded) == (1 if size == 1 else size - 1)
