"""POST /api/v1/numbers/orders: assign specific numbers, all or nothing."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from billing.services import ledger_reconcile
from inventory.models import (BulkReservation, Brand, Campaign, InventoryStatus, NumberRoute, OwnedNumber,
                              PhoneNumber)
from inventory.services import number_order_create, number_purchase
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import make_profile

from .bulk_support import FAILING_US, balance, carrier_log, debited_cents, stock  # noqa: F401

# Real commits: the order runs in separate transactions around the carrier calls (see test_bulk.py).
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/numbers/orders"
ORDER_QUERY_BOUND = 30  # incl. the compliance gate's requirements lookup, and the low-balance notice (event + its
# eager delivery) when the order empties the wallet


def make_campaign(organization, *, status="ACTIVE", identity="VERIFIED", brand_org=None) -> Campaign:
    brand = Brand.objects.create(organization=brand_org or organization, name="Acme Inc", identity_status=identity)
    return Campaign.objects.create(organization=organization, brand=brand, name="Support", status=status)


def statuses(rows) -> set[str]:
    return set(PhoneNumber.objects.filter(pk__in=[row.pk for row in rows]).values_list("status", flat=True))


def test_assigns_every_number_with_routing(org, make_client, stock):
    rows = stock(2)
    campaign = make_campaign(org)
    client = make_client(org, ["numbers:write"], bearer=True)  # the document authenticates with Bearer
    response = client.post(URL, {
        "numbers": [row.e164 for row in rows], "inbound_url": "https://customer.example/inbound",
        "status_url": "https://customer.example/status", "label": "support-line", "campaign_id": campaign.pk,
    }, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert [number["number"] for number in data] == [row.e164 for row in rows]
    first = data[0]
    assert first["id"].startswith("num_") and first["number_type"] == "local" and first["status"] == "active"
    assert first["inbound_url"] == "https://customer.example/inbound"
    assert first["status_url"] == "https://customer.example/status"
    assert first["label"] == "support-line" and first["campaign_id"] == campaign.pk
    assert first["sms_enabled"] is True and first["mms_enabled"] is True
    assert first["created_at"].endswith("Z") and first["updated_at"].endswith("Z")
    assert set(first) == {"id", "number", "number_type", "status", "inbound_url", "status_url", "label",
                          "campaign_id", "sms_enabled", "mms_enabled", "created_at", "updated_at"}

    owned = OwnedNumber.objects.filter(organization=org)
    assert set(owned.values_list("source", flat=True)) == {"order"}
    assert NumberRoute.objects.filter(number__in=owned).count() == 2
    assert statuses(rows) == {InventoryStatus.ASSIGNED}
    assert debited_cents(org) == 500
    assert AuditLog.objects.filter(organization=org, action="number.purchase").count() == 2
    assert AuditLog.objects.filter(organization=org, action="number.order").count() == 1
    assert ledger_reconcile() == []


def test_any_unavailable_number_fails_the_whole_order(org, make_org, client, stock):
    free, sold, held = stock(3)
    number_purchase(organization=make_org("Owner", credit_cents=10_00), phone_number=sold.e164)
    PhoneNumber.objects.filter(pk=held.pk).update(status=InventoryStatus.RESERVED)
    unknown = "+12015550998"
    response = client.post(URL, {"numbers": [free.e164, sold.e164, held.e164, unknown]}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "INSUFFICIENT_INVENTORY"
    assert body["error"]["message"] == "insufficient inventory: requested 4, available 1"
    assert body["data"] == {"available_count": 1, "unavailable": [sold.e164, held.e164, unknown]}
    assert not OwnedNumber.objects.filter(organization=org).exists()
    assert statuses([free]) == {InventoryStatus.AVAILABLE}
    assert debited_cents(org) == 0
    assert not BulkReservation.objects.filter(purpose="order").exists()


def test_a_carrier_refusal_undoes_the_whole_order(org, client, stock, carrier_log):
    rows = stock(2)
    failing = stock(e164=FAILING_US)[0]
    response = client.post(URL, {"numbers": [rows[0].e164, failing.e164, rows[1].e164]}, format="json")

    assert response.status_code == 409
    assert response.json()["data"] == {"available_count": 2, "unavailable": [failing.e164]}
    assert sorted(carrier_log["released"]) == sorted(carrier_log["ordered"])  # everything placed is given back
    assert not OwnedNumber.objects.exists()
    assert statuses(rows + [failing]) == {InventoryStatus.AVAILABLE}
    assert BulkReservation.objects.get(purpose="order").status == "cancelled"
    assert debited_cents(org) == 0
    assert ledger_reconcile() == []


def test_routing_left_out_is_null_and_toll_free_has_no_mms(org, client, stock):
    toll_free = stock(1, line_type="toll_free")[0]
    response = client.post(URL, {"numbers": [toll_free.e164]}, format="json")
    assert response.status_code == 201, response.json()
    number = response.json()["data"][0]
    assert number["number_type"] == "toll_free"
    assert (number["inbound_url"], number["status_url"], number["campaign_id"], number["label"]) == (None, None, None, "")
    assert number["mms_enabled"] is False


def test_short_wallet_is_402_and_nothing_assigned(make_org, make_client, stock):
    poor = make_org("Poor", credit_cents=499)
    rows = stock(2)
    response = make_client(poor).post(URL, {"numbers": [row.e164 for row in rows]}, format="json")
    assert response.status_code == 402 and response.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    assert not OwnedNumber.objects.exists() and statuses(rows) == {InventoryStatus.AVAILABLE}


@pytest.mark.parametrize("status, identity, accepted", [
    ("ACTIVE", "VERIFIED", True),
    ("ACTIVE", "VETTED_VERIFIED", True),
    ("ACTIVE", "UNVERIFIED", False),
    ("ACTIVE", "SELF_DECLARED", False),
    ("ACTIVE", "PENDING", False),
    ("PENDING", "VERIFIED", False),
    ("SUSPENDED", "VERIFIED", False),
    ("EXPIRED", "VETTED_VERIFIED", False),
])
def test_campaign_must_be_active_with_a_verified_brand(org, client, stock, status, identity, accepted):
    row = stock(1)[0]
    campaign = make_campaign(org, status=status, identity=identity)
    response = client.post(URL, {"numbers": [row.e164], "campaign_id": campaign.pk}, format="json")
    if accepted:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert "campaign_id" in response.json()["error"]["details"]
        assert not OwnedNumber.objects.exists()


def test_campaign_must_belong_to_the_organisation(org, make_org, client, stock):
    row = stock(1)[0]
    other = make_org("Other")
    foreign = make_campaign(other)
    borrowed_brand = make_campaign(org, brand_org=other)
    for campaign_id in (foreign.pk, borrowed_brand.pk, "cmp_doesnotexist0000000"):
        response = client.post(URL, {"numbers": [row.e164], "campaign_id": campaign_id}, format="json")
        assert response.status_code == 422 and "campaign_id" in response.json()["error"]["details"]
    assert not OwnedNumber.objects.exists()


def test_campaign_applies_to_us_local_numbers_only(org, client, stock):
    gb = stock(1, country="GB")[0]
    response = client.post(URL, {"numbers": [gb.e164], "campaign_id": make_campaign(org).pk}, format="json")
    assert response.status_code == 422 and "campaign_id" in response.json()["error"]["details"]
    assert statuses([gb]) == {InventoryStatus.AVAILABLE}


def test_a_regulated_number_needs_a_covering_profile_and_nothing_is_held_before(org, client, stock):
    gb = stock(1, country="GB")[0]
    before = balance(org)
    response = client.post(URL, {"numbers": [gb.e164]}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "COMPLIANCE_REQUIRED"
    assert response.json()["error"]["details"]["missing"][0]["numbers"] == [gb.e164]
    assert statuses([gb]) == {InventoryStatus.AVAILABLE}
    assert not OwnedNumber.objects.filter(organization=org).exists()
    assert balance(org) == before

    profile = make_profile(org, "GB")
    response = client.post(URL, {"numbers": [gb.e164], "compliance_profile_id": profile.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"][0]["status"] == "active"
    assert OwnedNumber.objects.get(e164=gb.e164).compliance_profile_id == profile.pk


@pytest.mark.parametrize("payload, field", [
    ({}, "numbers"),
    ({"numbers": []}, "numbers"),
    ({"numbers": "+12015550100"}, "numbers"),
    ({"numbers": [f"+1201555{n:04d}" for n in range(101)]}, "numbers"),
    ({"numbers": ["12015550100"]}, "numbers.0"),
    ({"numbers": ["+1201555"]}, "numbers.0"),
    ({"numbers": ["+12015550100", "+12015550100"]}, "numbers"),
    ({"numbers": ["+12015550100"], "inbound_url": "http://customer.example/in"}, "inbound_url"),
    ({"numbers": ["+12015550100"], "status_url": "http://customer.example/st"}, "status_url"),
    ({"numbers": ["+12015550100"], "inbound_url": "ftp://customer.example/in"}, "inbound_url"),
    ({"numbers": ["+12015550100"], "inbound_url": "not a url"}, "inbound_url"),
    ({"numbers": ["+12015550100"], "label": "x" * 101}, "label"),
    ({"numbers": ["+12015550100"], "agent_id": "a1"}, "agent_id"),
    ({"numbers": ["+12015550100"], "campaign_id": ""}, "campaign_id"),
])
def test_bad_input_is_422(client, stock, payload, field):
    stock(1)
    response = client.post(URL, payload, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"], response.json()
    assert not OwnedNumber.objects.exists()


def test_needs_numbers_write(org, make_client, stock):
    row = stock(1)[0]
    response = make_client(org, ["numbers:read"]).post(URL, {"numbers": [row.e164]}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    from rest_framework.test import APIClient
    assert APIClient().post(URL, {"numbers": [row.e164]}, format="json").status_code == 401


def test_idempotency_key(org, client, stock):
    rows = stock(2)
    first = client.post(URL, {"numbers": [rows[0].e164]}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    replay = client.post(URL, {"numbers": [rows[0].e164]}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["data"] == first.json()["data"]
    assert OwnedNumber.objects.count() == 1 and debited_cents(org) == 250
    cache.clear()
    conflict = client.post(URL, {"numbers": [rows[1].e164]}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"


@pytest.mark.parametrize("size", [1, 100])
def test_queries_do_not_grow(make_org, stock, django_assert_max_num_queries, size):
    organization = make_org("Big", credit_cents=size * 250)
    rows = stock(size)
    campaign = make_campaign(organization)
    with django_assert_max_num_queries(ORDER_QUERY_BOUND):
        numbers = number_order_create(organization=organization, numbers=[row.e164 for row in rows],
                                      campaign_id=campaign.pk, label="bulk")
    assert len(numbers) == size
