"""Bulk reservations: /api/v1/numbers/bulk-reserve and its services, expiry task and command."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import LedgerEntry
from billing.services import Charge, ledger_reconcile, wallet_charge
from inventory import tasks
from inventory.models import (BulkReservation, BulkReservationItem, InventoryStatus, NumberRoute, OwnedNumber,
                              PhoneNumber)
from inventory.services import (checkout, number_buy_bulk, number_purchase, reservation_create, reservation_finalize,
                                reservations_expire)
from orbit_numbers.errors import ComplianceRequired, Conflict, InsufficientCredit, InsufficientInventory
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import make_profile

from .bulk_support import FAILING_US, balance, carrier_log, debited_cents, stock  # noqa: F401

# Real commits: finalize runs in separate transactions around the carrier calls (see test_bulk.py).
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/numbers/bulk-reserve"
# SQL statements of one reserve / one finalize, whatever the quantity (savepoints included).
RESERVE_QUERY_BOUND = 8  # incl. the compliance gate's requirements lookup
FINALIZE_QUERY_BOUND = 33  # incl. the compliance gate, one bulk insert into the carrier-failure log, and the
# low-balance notice (event + its eager delivery) when the purchase leaves the wallet low
RELEASE_QUERY_BOUND = 8  # cancel, or one expiry sweep
WEBHOOK_EMIT_QUERIES = 3  # an expiry sweep's reservation.expired events: insert, endpoint lookup, deliveries


def statuses(rows) -> set[str]:
    return set(PhoneNumber.objects.filter(pk__in=[row.pk for row in rows]).values_list("status", flat=True))


def overdue(reservation) -> None:
    BulkReservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


# --- reserve -------------------------------------------------------------------------------------

def test_reserve_holds_the_cheapest_numbers_for_15_minutes(org, client, stock):
    cheap = stock(3, monthly_cents=90) + stock(1, provider="didww", monthly_cents=95)
    stock(4, monthly_cents=200)
    stock(2, monthly_cents=10, provider="devotel")  # cheapest, but devotel is only searched when pinned
    response = client.post(URL, {"country": "US", "quantity": 4}, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["id"].startswith("bres_") and data["status"] == "ready"
    assert data["quantity_requested"] == data["quantity_reserved"] == 4
    assert sorted(item["phone_number"] for item in data["items"]) == sorted(row.e164 for row in cheap)
    assert {item["status"] for item in data["items"]} == {"held"}
    assert parse_datetime(data["expires_at"]) - parse_datetime(data["created_at"]) == timedelta(minutes=15)
    assert statuses(cheap) == {InventoryStatus.RESERVED}
    assert AuditLog.objects.filter(organization=org, action="bulk_reservation.create").count() == 1


def test_fewer_matches_is_partial_and_none_is_409(org, client, stock):
    rows = stock(2)
    response = client.post(URL, {"country": "US", "quantity": 5}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "partial"
    assert response.json()["data"]["quantity_reserved"] == 2
    assert statuses(rows) == {InventoryStatus.RESERVED}

    cache.clear()  # past the 1/min limit
    response = client.post(URL, {"country": "US", "quantity": 5}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "INSUFFICIENT_INVENTORY"
    assert body["data"]["available_count"] == 0
    assert BulkReservation.objects.count() == 1


def test_filters(org, stock):
    stock(2, area_code="415", national_number="4155550100")
    stock(2, area_code="212")
    faxes = stock(2, cap_fax=True, area_code="646")
    toll_free = stock(1, line_type="toll_free", area_code="800")
    devotel = stock(1, provider="devotel", area_code="999")

    def reserve(**filters):
        reservation = reservation_create(organization=org, country="US", **filters)
        numbers = set(reservation.items.values_list("e164", flat=True))
        held = PhoneNumber.objects.filter(e164__in=numbers)
        reservations_expire(now=timezone.now() + timedelta(hours=1))  # put them back for the next probe
        return held

    assert set(reserve(quantity=10, area_code="212").values_list("area_code", flat=True)) == {"212"}
    assert set(reserve(quantity=10, capabilities=["fax"])) == set(faxes)
    assert set(reserve(quantity=10, number_type="toll_free")) == set(toll_free)
    assert set(reserve(quantity=10, provider="devotel")) == set(devotel)
    starts = reserve(quantity=10, name_pattern="4155", pattern_type="starts_with")
    assert starts.count() == 2 and all(row.national_number.startswith("4155") for row in starts)
    assert reserve(quantity=10, name_pattern="0100", pattern_type="ends_with").count() == 2
    assert reserve(quantity=10, name_pattern="5550", pattern_type="contains").count() >= 2
    with pytest.raises(InsufficientInventory):
        reserve(quantity=10, name_pattern="4155", pattern_type="ends_with")


def test_unsellable_rows_are_not_reserved(org, make_org, stock):
    aging = stock(1, aging_until=timezone.now() + timedelta(days=3))
    sold = stock(1)
    number_purchase(organization=make_org("Owner", credit_cents=10_00), phone_number=sold[0].e164)
    fresh = stock(1)
    reservation = reservation_create(organization=org, country="US", quantity=3)
    assert list(reservation.items.values_list("e164", flat=True)) == [fresh[0].e164]
    assert reservation.status == "partial"
    assert statuses(aging) == {InventoryStatus.AVAILABLE}


def test_held_numbers_are_invisible_to_every_other_buyer(org, make_org, make_client, stock):
    rows = stock(3)
    reservation_create(organization=org, country="US", quantity=2)
    free = PhoneNumber.objects.get(status=InventoryStatus.AVAILABLE)
    rows = [row for row in rows if row.pk != free.pk]
    other = make_org("Other", credit_cents=10_00)

    found = make_client(other).get("/api/v1/numbers/available", {"country": "US"}).json()["data"]["numbers"]
    assert [number["phoneNumber"] for number in found] == [free.e164]  # search shows only the free one

    with pytest.raises(Conflict):
        number_purchase(organization=other, phone_number=rows[0].e164)
    result = number_buy_bulk(organization=other, items=[{"phone_number": row.e164} for row in rows])
    assert result.succeeded == [] and {f.code for f in result.failed} == {"NOT_AVAILABLE"}
    response = make_client(other).post("/api/v1/numbers/orders", {"numbers": [rows[0].e164]}, format="json")
    assert response.status_code == 409
    theirs = reservation_create(organization=other, country="US", quantity=5)
    assert list(theirs.items.values_list("e164", flat=True)) == [free.e164] and theirs.status == "partial"


def test_database_refuses_a_second_live_hold_on_a_row(org, stock):
    row = stock(1)[0]
    reservation = reservation_create(organization=org, country="US", quantity=1)
    item = reservation.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BulkReservationItem.objects.create(reservation=reservation, phone_number=row, e164=row.e164,
                                           provider=row.provider, provider_ref=row.provider_ref,
                                           monthly_cents=1, setup_cents=0)
    item.status = BulkReservationItem.Status.RELEASED
    item.save()  # a released item no longer counts as a hold
    BulkReservationItem.objects.create(reservation=reservation, phone_number=row, e164=row.e164,
                                       provider=row.provider, provider_ref=row.provider_ref, monthly_cents=1)


@pytest.mark.parametrize("payload, field", [
    ({"quantity": 1}, "country"),
    ({"country": "ZZ", "quantity": 1}, "country"),
    ({"country": "USA", "quantity": 1}, "country"),
    ({"country": "US"}, "quantity"),
    ({"country": "US", "quantity": 0}, "quantity"),
    ({"country": "US", "quantity": 1001}, "quantity"),
    ({"country": "US", "quantity": "many"}, "quantity"),
    ({"country": "US", "quantity": 2.5}, "quantity"),
    ({"country": "US", "quantity": 1, "number_type": "landline"}, "number_type"),
    ({"country": "US", "quantity": 1, "area_code": "4"}, "area_code"),
    ({"country": "US", "quantity": 1, "area_code": "123456"}, "area_code"),
    ({"country": "US", "quantity": 1, "area_code": "41a"}, "area_code"),
    ({"country": "US", "quantity": 1, "name_pattern": "1" * 21}, "name_pattern"),
    ({"country": "US", "quantity": 1, "name_pattern": "55x"}, "name_pattern"),
    ({"country": "US", "quantity": 1, "name_pattern": "55", "pattern_type": "regex"}, "pattern_type"),
    ({"country": "US", "quantity": 1, "capabilities": "sms,whatsapp"}, "capabilities"),
    ({"country": "US", "quantity": 1, "capabilities": "rcs"}, "capabilities"),
    ({"country": "US", "quantity": 1, "provider": "twilio"}, "provider"),
    ({"country": "US", "quantity": 1, "compliance_profile_id": "cp_missing"}, "compliance_profile_id"),
    ({"country": "US", "quantity": 1, "region": "CA"}, "region"),
    # Exactly the digits the schema's pattern allows: nothing trimmed, no trailing newline.
    ({"country": "US", "quantity": 1, "area_code": "415\n"}, "area_code"),
    ({"country": "US", "quantity": 1, "area_code": " 415"}, "area_code"),
    ({"country": "US", "quantity": 1, "area_code": ""}, "area_code"),
    ({"country": "US", "quantity": 1, "name_pattern": "555 "}, "name_pattern"),
    ({"country": "US", "quantity": 1, "capabilities": "sms\n"}, "capabilities"),
    ({"country": "US", "quantity": 1, "capabilities": "sms;voice"}, "capabilities"),
])
def test_bad_reserve_input_is_422(client, stock, payload, field):
    stock(1)
    response = client.post(URL, payload, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    assert not BulkReservation.objects.exists()


def test_capability_list_is_accepted_case_and_space_insensitive(client, stock):
    stock(1, cap_fax=True)
    response = client.post(URL, {"country": "us", "quantity": 1, "capabilities": "SMS, voice,fax"}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["capabilities"] == ["sms", "voice", "fax"]


@pytest.mark.parametrize("value", [
    "", "   ", "sms", "SMS, voice,fax", " sms ", "sms,,voice", ",", "Fax", "sms,sms",  # accepted
    "sms,whatsapp", "rcs", "sms\n", "\tsms", "s ms", "sms;voice", "smsvoice", "sms\u00a0",  # refused
])
def test_capabilities_are_accepted_exactly_when_the_documented_pattern_matches(value):
    from inventory.api.reservations import CAPABILITY_LIST, ReserveSerializer

    accepted = ReserveSerializer(data={"country": "US", "quantity": 1, "capabilities": value}).is_valid()
    assert accepted == (re.fullmatch(CAPABILITY_LIST, value) is not None)
    assert CAPABILITY_LIST.isascii()  # read the same way by Python and by ECMA-262 (the schema's dialect)


def test_reserve_is_rate_limited_to_one_per_minute_per_organisation(org, make_client, stock):
    stock(5)
    assert make_client(org).post(URL, {"country": "US", "quantity": 1}, format="json").status_code == 201
    response = make_client(org).post(URL, {"country": "US", "quantity": 1}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED" and response["Retry-After"]
    assert BulkReservation.objects.count() == 1
    assert make_client(org).get(URL).status_code == 200  # reads are not limited


def test_scopes(org, make_client, stock):
    stock(1)
    reader = make_client(org, ["numbers:read"])
    assert reader.post(URL, {"country": "US", "quantity": 1}, format="json").status_code == 403
    assert reader.get(URL).status_code == 200
    writer = make_client(org, ["numbers:write"])
    assert writer.get(URL).status_code == 403
    reservation = reservation_create(organization=org, country="US", quantity=1)
    assert reader.post(f"{URL}/{reservation.pk}/finalize", format="json").status_code == 403
    assert reader.post(f"{URL}/{reservation.pk}/cancel", format="json").status_code == 403


# --- inspect and list ---------------------------------------------------------------------------

def test_get_shows_items_and_hides_other_tenants(org, client, make_org, make_client, stock):
    stock(2)
    reservation = reservation_create(organization=org, country="US", quantity=2)
    response = client.get(f"{URL}/{reservation.pk}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == reservation.pk and len(data["items"]) == 2
    assert data["items"][0]["monthly_cost_cents"] == 150 and data["items"][0]["capabilities"]

    stranger = make_client(make_org("Stranger"))
    for response in (stranger.get(f"{URL}/{reservation.pk}"),
                     stranger.post(f"{URL}/{reservation.pk}/finalize", format="json"),
                     stranger.post(f"{URL}/{reservation.pk}/cancel", format="json")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    assert client.get(f"{URL}/bres_doesnotexist00000000").status_code == 404


def test_get_expires_an_overdue_hold_inline(org, client, stock):
    rows = stock(2)
    reservation = reservation_create(organization=org, country="US", quantity=2)
    overdue(reservation)
    data = client.get(f"{URL}/{reservation.pk}").json()["data"]
    assert data["status"] == "expired"
    assert {item["status"] for item in data["items"]} == {"released"}
    assert statuses(rows) == {InventoryStatus.AVAILABLE}
    assert AuditLog.objects.filter(action="bulk_reservation.expire", object_id=reservation.pk).exists()


RESERVATION_KEYS = {"id", "status", "country", "number_type", "area_code", "name_pattern", "pattern_type",
                    "capabilities", "provider", "compliance_profile_id", "quantity_requested", "quantity_reserved",
                    "expires_at", "created_at", "finalized_at", "cancelled_at"}
ITEM_KEYS = {"phone_number", "provider", "country", "type", "region", "capabilities", "monthly_cost_cents",
             "setup_cost_cents", "status", "number_id", "error"}


def test_a_reservation_shows_its_filter_and_null_for_what_was_not_asked(org, make_client, stock):
    rows = stock(2, national_number="2015550100", area_code="201", monthly_cents=120, setup_cents=30)
    plain = make_client(org).post(URL, {"country": "US", "quantity": 1}, format="json").json()["data"]
    assert set(plain) == RESERVATION_KEYS | {"items"}
    assert {key: plain[key] for key in ("area_code", "name_pattern", "pattern_type", "provider",
                                        "compliance_profile_id", "finalized_at", "cancelled_at")} == dict.fromkeys(
        ("area_code", "name_pattern", "pattern_type", "provider", "compliance_profile_id", "finalized_at",
         "cancelled_at"))
    assert plain["capabilities"] == [] and plain["number_type"] == "local" and plain["country"] == "US"
    item = plain["items"][0]
    assert set(item) == ITEM_KEYS
    assert item == {"phone_number": item["phone_number"], "provider": "telnyx", "country": "US", "type": "local",
                    "region": "Test Region", "capabilities": ["sms", "mms", "voice"], "monthly_cost_cents": 120,
                    "setup_cost_cents": 30, "status": "held", "number_id": None, "error": None}
    assert item["phone_number"] in {row.e164 for row in rows}

    profile = make_profile(org, "US", name="US")
    cache.clear()  # past the 1/min limit
    filtered = make_client(org).post(URL, {
        "country": "US", "quantity": 1, "area_code": "201", "name_pattern": "0100", "pattern_type": "ends_with",
        "capabilities": "voice,sms", "provider": "telnyx", "compliance_profile_id": profile.pk}, format="json")
    assert filtered.status_code == 201, filtered.json()
    data = filtered.json()["data"]
    assert {key: data[key] for key in ("area_code", "name_pattern", "pattern_type", "capabilities", "provider",
                                       "compliance_profile_id")} == {
        "area_code": "201", "name_pattern": "0100", "pattern_type": "ends_with", "capabilities": ["voice", "sms"],
        "provider": "telnyx", "compliance_profile_id": profile.pk}


def test_list_filters_by_each_status(org, client, stock):
    stock(len(BulkReservation.Status.values))
    by_status = {}
    for status in BulkReservation.Status.values:
        reservation = reservation_create(organization=org, country="US", quantity=1)
        BulkReservation.objects.filter(pk=reservation.pk).update(status=status)
        by_status[status] = reservation.pk
    for status, reservation_id in by_status.items():
        response = client.get(URL, {"status": status})
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["data"]] == [reservation_id], status
    assert len(client.get(URL).json()["data"]) == len(by_status)
    assert set(client.get(URL).json()["data"][0]) == RESERVATION_KEYS  # a list has no items


@pytest.mark.parametrize("query, field, message", [
    ({"status": "held"}, "status", "'held' is not one of ready, partial, finalizing, finalized, cancelled, expired"),
    ({"status": "READY"}, "status", "is not one of"),
    ({"status": ""}, "status", "must not be empty"),
    ({"state": "ready"}, "state", "unknown query parameter"),
    ({"status": "ready", "country": "US"}, "country", "unknown query parameter"),
    ({"limit": "101"}, "limit", "between 1 and 100"),
    ({"limit": "many"}, "limit", "integer"),
    ({"cursor": "garbage"}, "cursor", "invalid cursor"),
])
def test_list_refuses_a_bad_query_with_details(client, query, field, message):
    response = client.get(URL, query)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and message in error["details"][field], error


def test_a_cursor_belongs_to_its_filter(org, client, stock):
    stock(3)
    for _ in range(3):
        reservation_create(organization=org, country="US", quantity=1)
    cursor = client.get(URL, {"status": "ready", "limit": 1}).json()["meta"]["pagination"]["cursor"]
    assert client.get(URL, {"status": "ready", "limit": 1, "cursor": cursor}).status_code == 200
    assert client.get(URL, {"status": "expired", "limit": 1, "cursor": cursor}).status_code == 422


def test_list_is_cursor_paginated_and_tenant_scoped(org, client, make_org, stock):
    stock(10)
    created = [reservation_create(organization=org, country="US", quantity=1) for _ in range(3)]
    reservation_create(organization=make_org("Other"), country="US", quantity=1)
    number_buy_bulk(organization=org, items=[{"phone_number": PhoneNumber.objects.filter(
        status="available").first().e164}])  # its internal hold is not a customer reservation
    overdue(created[0])

    first = client.get(URL, {"limit": 2}).json()
    assert [r["id"] for r in first["data"]] == [created[2].pk, created[1].pk]
    assert first["meta"]["pagination"]["has_more"] is True
    second = client.get(URL, {"limit": 2, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert [r["id"] for r in second["data"]] == [created[0].pk]
    assert second["data"][0]["status"] == "expired"  # expired on the way
    assert second["meta"]["pagination"] == {"cursor": None, "has_more": False}
    assert "items" not in second["data"][0]

    assert [r["id"] for r in client.get(URL, {"status": "expired"}).json()["data"]] == [created[0].pk]
    assert client.get(URL, {"status": "bogus"}).status_code == 422
    assert client.get(URL, {"limit": 0}).status_code == 422
    assert client.get(URL, {"cursor": "garbage"}).status_code == 422


# --- finalize -----------------------------------------------------------------------------------

def test_finalize_buys_bills_and_routes_every_item(org, client, stock):
    rows = stock(3)
    reservation = reservation_create(organization=org, country="US", quantity=3)
    response = client.post(f"{URL}/{reservation.pk}/finalize", format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["status"] == "finalized" and data["finalized_at"]
    assert data["counts"] == {"requested": 3, "reserved": 3, "purchased": 3, "failed": 0, "active": 3,
                              "regulatory_hold": 0}
    assert data["total_cost_cents"] == data["debited_cents"] == 750 == debited_cents(org)
    assert {item["status"] for item in data["items"]} == {"purchased"}
    assert all(item["number_id"].startswith("num_") for item in data["items"])
    owned = OwnedNumber.objects.filter(organization=org)
    assert owned.count() == 3 and set(owned.values_list("source", flat=True)) == {"reservation"}
    assert {item["number_id"]: item["phone_number"] for item in data["items"]} == dict(
        owned.values_list("id", "e164"))
    assert NumberRoute.objects.filter(number__in=owned).count() == 3
    assert statuses(rows) == {InventoryStatus.ASSIGNED}
    assert AuditLog.objects.filter(organization=org, action="number.purchase").count() == 3
    assert AuditLog.objects.filter(organization=org, action="bulk_reservation.finalize").count() == 1
    assert ledger_reconcile() == []

    again = client.post(f"{URL}/{reservation.pk}/finalize", format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"
    assert client.post(f"{URL}/{reservation.pk}/cancel", format="json").status_code == 409


def test_finalize_links_each_item_to_the_number_it_bought(org, make_org, stock):
    """In the database, not only in the response: each purchased item points at the live tenure of its
    own row (not at an earlier, released tenure of the same row); a refused item at nothing."""
    rows = stock(3)
    failing = stock(e164=FAILING_US)[0]
    earlier = OwnedNumber.objects.create(organization=make_org("Earlier owner"), phone_number=rows[0],
                                         e164=rows[0].e164, status=OwnedNumber.Status.RELEASED, monthly_cents=150,
                                         released_at=timezone.now())
    reservation = reservation_create(organization=org, country="US", quantity=4)
    reservation_finalize(organization=org, reservation_id=reservation.pk)

    items = list(BulkReservationItem.objects.filter(reservation=reservation).select_related("owned_number"))
    assert len(items) == 4
    for item in items:
        if item.phone_number_id == failing.pk:
            assert item.status == "failed" and item.owned_number is None
            continue
        assert item.status == "purchased"
        assert item.owned_number.phone_number_id == item.phone_number_id
        assert item.owned_number.organization_id == org.pk and item.owned_number.status == "active"
        assert item.owned_number_id != earlier.pk


def test_finalize_charges_the_quoted_price(org, stock):
    rows = stock(1, monthly_cents=100, setup_cents=0)
    reservation = reservation_create(organization=org, country="US", quantity=1)
    PhoneNumber.objects.filter(pk=rows[0].pk).update(monthly_cents=900)  # a later price change
    result = reservation_finalize(organization=org, reservation_id=reservation.pk)
    assert result.checkout.debited_cents == 100 == debited_cents(org)
    assert result.checkout.numbers[0].monthly_cents == 100


def test_carrier_failures_are_reported_per_item_and_not_charged(org, client, stock):
    good = stock(2, monthly_cents=100)
    failing = stock(e164=FAILING_US, monthly_cents=100)
    reservation = reservation_create(organization=org, country="US", quantity=3)
    data = client.post(f"{URL}/{reservation.pk}/finalize", format="json").json()["data"]

    assert data["counts"]["purchased"] == 2 and data["counts"]["failed"] == 1
    assert data["failed"] == [{"phone_number": FAILING_US, "code": "CARRIER_REJECTED",
                               "message": data["failed"][0]["message"]}]
    failed_item = next(item for item in data["items"] if item["phone_number"] == FAILING_US)
    assert failed_item["status"] == "failed" and failed_item["number_id"] is None
    assert failed_item["error"] == {"code": "CARRIER_REJECTED", "message": data["failed"][0]["message"]}
    assert all(item["error"] is None and item["number_id"] for item in data["items"] if item is not failed_item)
    assert set(data) == RESERVATION_KEYS | {"items", "counts", "total_cost_cents", "debited_cents", "failed"}
    assert data["total_cost_cents"] == 600 and data["debited_cents"] == 400 == debited_cents(org)
    assert statuses(failing) == {InventoryStatus.AVAILABLE} and statuses(good) == {InventoryStatus.ASSIGNED}
    assert ledger_reconcile() == []


def test_compliance_gate_at_reserve_and_again_at_finalize(org, stock):
    rows = stock(2, country="GB")
    with pytest.raises(ComplianceRequired) as refused:
        reservation_create(organization=org, country="GB", quantity=2)
    assert refused.value.details["missing"][0]["country"] == "GB"
    assert not BulkReservation.objects.filter(organization=org).exists()
    assert {row.status for row in PhoneNumber.objects.filter(pk__in=[r.pk for r in rows])} == {"available"}

    profile = make_profile(org, "GB", name="UK")
    covered = reservation_create(organization=org, country="GB", quantity=2)  # the one covering profile
    assert covered.compliance_profile_id == profile.pk
    result = reservation_finalize(organization=org, reservation_id=covered.pk)
    assert result.counts["active"] == 2 and result.counts["regulatory_hold"] == 0
    assert {n.compliance_profile_id for n in result.checkout.numbers} == {profile.pk}

    # The profile expires while a hold waits: finalize refuses, nothing charged, the hold is kept.
    stock(1, country="GB")
    held = reservation_create(organization=org, country="GB", quantity=1, compliance_profile_id=profile.pk)
    profile.valid_until = timezone.now() - timedelta(seconds=1)
    profile.save(update_fields=["valid_until"])
    ledger_before = LedgerEntry.objects.count()
    with pytest.raises(ComplianceRequired):
        reservation_finalize(organization=org, reservation_id=held.pk)
    held.refresh_from_db()
    assert held.status == "ready" and LedgerEntry.objects.count() == ledger_before


def test_finalize_with_a_short_wallet_is_402_and_keeps_the_hold(make_org, make_client, stock):
    poor = make_org("Poor", credit_cents=400)
    rows = stock(2)
    reservation = reservation_create(organization=poor, country="US", quantity=2)
    response = make_client(poor).post(f"{URL}/{reservation.pk}/finalize", format="json")
    assert response.status_code == 402 and response.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    reservation.refresh_from_db()
    assert reservation.status == "ready"
    assert statuses(rows) == {InventoryStatus.RESERVED}
    assert not OwnedNumber.objects.exists() and debited_cents(poor) == 0


def test_debit_failure_after_the_carrier_restores_the_reservation(org, stock, carrier_log, monkeypatch):
    rows = stock(3)
    reservation = reservation_create(organization=org, country="US", quantity=3)
    original = checkout.carrier_order_all

    def order_then_drain(items, **kwargs):
        outcomes = original(items, **kwargs)
        wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, balance(org), "elsewhere")])
        return outcomes

    monkeypatch.setattr(checkout, "carrier_order_all", order_then_drain)
    with pytest.raises(InsufficientCredit):
        reservation_finalize(organization=org, reservation_id=reservation.pk)
    assert sorted(carrier_log["released"]) == sorted(row.e164 for row in rows)
    reservation.refresh_from_db()
    assert reservation.status == "ready"
    assert set(reservation.items.values_list("status", flat=True)) == {"held"}
    assert statuses(rows) == {InventoryStatus.RESERVED}
    assert not OwnedNumber.objects.exists()
    assert ledger_reconcile() == []


def test_a_hold_swept_during_finalize_is_not_charged(org, stock, carrier_log, monkeypatch):
    rows = stock(2)
    reservation = reservation_create(organization=org, country="US", quantity=2)
    original = checkout.carrier_order_all

    def order_then_sweep(items, **kwargs):
        outcomes = original(items, **kwargs)
        reservations_expire(now=timezone.now() + checkout.FINALIZE_STALE_AFTER + timedelta(minutes=1))
        return outcomes

    monkeypatch.setattr(checkout, "carrier_order_all", order_then_sweep)
    with pytest.raises(Conflict):
        reservation_finalize(organization=org, reservation_id=reservation.pk)
    assert sorted(carrier_log["released"]) == sorted(row.e164 for row in rows)
    assert statuses(rows) == {InventoryStatus.AVAILABLE}
    assert debited_cents(org) == 0 and not OwnedNumber.objects.exists()


def test_finalize_after_expiry_is_409_and_returns_the_numbers(org, client, stock):
    rows = stock(2)
    reservation = reservation_create(organization=org, country="US", quantity=2)
    overdue(reservation)
    response = client.post(f"{URL}/{reservation.pk}/finalize", format="json")
    assert response.status_code == 409
    reservation.refresh_from_db()
    assert reservation.status == "expired" and statuses(rows) == {InventoryStatus.AVAILABLE}
    assert debited_cents(org) == 0


def test_finalize_rejects_a_body(org, client, stock):
    stock(1)
    reservation = reservation_create(organization=org, country="US", quantity=1)
    response = client.post(f"{URL}/{reservation.pk}/finalize", {"quantity": 1}, format="json")
    assert response.status_code == 422


# --- cancel -------------------------------------------------------------------------------------

def test_cancel_returns_every_item_without_a_carrier_call(org, client, stock, carrier_log):
    rows = stock(3)
    reservation = reservation_create(organization=org, country="US", quantity=3)
    response = client.post(f"{URL}/{reservation.pk}/cancel", format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "cancelled" and data["cancelled_at"]
    assert {item["status"] for item in data["items"]} == {"released"}
    assert statuses(rows) == {InventoryStatus.AVAILABLE}
    assert carrier_log == {"ordered": [], "released": []}
    assert AuditLog.objects.filter(action="bulk_reservation.cancel", object_id=reservation.pk).exists()

    for action in ("cancel", "finalize"):
        again = client.post(f"{URL}/{reservation.pk}/{action}", format="json")
        assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"


def test_cancel_after_expiry_is_409(org, client, stock):
    rows = stock(1)
    reservation = reservation_create(organization=org, country="US", quantity=1)
    overdue(reservation)
    response = client.post(f"{URL}/{reservation.pk}/cancel", format="json")
    assert response.status_code == 409
    reservation.refresh_from_db()
    assert reservation.status == "expired" and statuses(rows) == {InventoryStatus.AVAILABLE}


def test_idempotency_on_reserve_finalize_and_cancel(org, client, stock):
    stock(4)
    headers = {"HTTP_IDEMPOTENCY_KEY": "reserve-1"}
    first = client.post(URL, {"country": "US", "quantity": 2}, format="json", **headers)
    cache.clear()  # the 1/min rate limit counts replays too; this test is about the key
    replay = client.post(URL, {"country": "US", "quantity": 2}, format="json", **headers)
    assert replay.status_code == 201 and replay.json()["data"]["id"] == first.json()["data"]["id"]
    assert BulkReservation.objects.count() == 1
    cache.clear()
    assert client.post(URL, {"country": "US", "quantity": 3}, format="json", **headers).status_code == 409

    reservation_id = first.json()["data"]["id"]
    finalize = [client.post(f"{URL}/{reservation_id}/finalize", format="json", HTTP_IDEMPOTENCY_KEY="fin-1")
                for _ in range(2)]
    assert [r.status_code for r in finalize] == [200, 200] and finalize[1]["Idempotent-Replayed"] == "true"
    assert debited_cents(org) == 500

    other = reservation_create(organization=org, country="US", quantity=2)
    cancels = [client.post(f"{URL}/{other.pk}/cancel", format="json", HTTP_IDEMPOTENCY_KEY="can-1")
               for _ in range(2)]
    assert [r.status_code for r in cancels] == [200, 200] and cancels[1]["Idempotent-Replayed"] == "true"


# --- expiry sweep -------------------------------------------------------------------------------

def test_beat_task_and_command_return_expired_holds(org, stock):
    rows = stock(4)
    due = [reservation_create(organization=org, country="US", quantity=1) for _ in range(3)]
    live = reservation_create(organization=org, country="US", quantity=1)
    overdue(due[0])
    assert tasks.expire_reservations() == 1
    overdue(due[1])
    overdue(due[2])
    call_command("expire_reservations")
    assert set(BulkReservation.objects.filter(pk__in=[r.pk for r in due]).values_list("status", flat=True)) == {
        "expired"}
    live.refresh_from_db()
    assert live.status == "ready"
    assert PhoneNumber.objects.filter(pk__in=[r.pk for r in rows], status=InventoryStatus.RESERVED).count() == 1


def test_sweep_works_in_batches(org, stock):
    stock(5)
    for _ in range(5):
        reservation_create(organization=org, country="US", quantity=1)
    assert reservations_expire(now=timezone.now() + timedelta(minutes=16), batch_size=2) == 5
    assert not PhoneNumber.objects.filter(status=InventoryStatus.RESERVED).exists()


def test_a_stale_finalizing_hold_is_swept(org, stock):
    rows = stock(1)
    reservation = reservation_create(organization=org, country="US", quantity=1)
    BulkReservation.objects.filter(pk=reservation.pk).update(status="finalizing")  # its process died
    assert reservations_expire(now=timezone.now() + timedelta(minutes=30)) == 0  # may still be running
    assert reservations_expire(now=timezone.now() + checkout.FINALIZE_STALE_AFTER + timedelta(minutes=1)) == 1
    assert statuses(rows) == {InventoryStatus.AVAILABLE}


# --- SQL does not grow with the quantity --------------------------------------------------------

@pytest.mark.parametrize("quantity", [1, 1000])
def test_reserve_queries_do_not_grow(org, stock, django_assert_max_num_queries, quantity):
    stock(quantity)
    with django_assert_max_num_queries(RESERVE_QUERY_BOUND):
        reservation = reservation_create(organization=org, country="US", quantity=quantity)
    assert reservation.quantity_reserved == quantity


@pytest.mark.parametrize("quantity", [1, 1000])
def test_finalize_queries_do_not_grow(make_org, stock, django_assert_max_num_queries, quantity):
    """Same bound at 1 and 1000 items; the 1000 include a carrier refusal, so the failure path counts too."""
    organization = make_org("Big", credit_cents=quantity * 250)
    if quantity == 1:
        stock(1)
    else:
        stock(quantity - 1)
        stock(e164=FAILING_US)
    reservation = reservation_create(organization=organization, country="US", quantity=quantity)
    with django_assert_max_num_queries(FINALIZE_QUERY_BOUND):
        result = reservation_finalize(organization=organization, reservation_id=reservation.pk)
    assert result.counts["purchased"] == (1 if quantity == 1 else quantity - 1)
    assert ledger_reconcile() == []


@pytest.mark.parametrize("quantity", [1, 1000])
def test_cancel_and_expiry_queries_do_not_grow(org, stock, django_assert_max_num_queries, quantity):
    from inventory.services import reservation_cancel

    stock(2 * quantity)
    cancelled = reservation_create(organization=org, country="US", quantity=quantity)
    expiring = reservation_create(organization=org, country="US", quantity=quantity)
    with django_assert_max_num_queries(RELEASE_QUERY_BOUND):
        reservation_cancel(organization=org, reservation_id=cancelled.pk)
    with django_assert_max_num_queries(RELEASE_QUERY_BOUND + WEBHOOK_EMIT_QUERIES):
        assert reservations_expire(now=timezone.now() + timedelta(minutes=16)) == 1
    assert not PhoneNumber.objects.filter(status=InventoryStatus.RESERVED).exists()
    expiring.refresh_from_db()
    assert expiring.status == "expired"


# --- brands and campaigns ------------------------------------------------------------------------

def test_a_campaign_needs_a_brand_of_its_own_organisation(org, make_org):
    from django.core.exceptions import ValidationError

    from inventory.models import Brand, Campaign

    brand = Brand.objects.create(organization=make_org("Other"), name="Theirs", identity_status="VERIFIED")
    with pytest.raises(ValidationError):
        Campaign(organization=org, brand=brand, name="Mine", status="ACTIVE").full_clean()


def test_an_expired_customer_hold_is_a_webhook_event_and_a_checkout_hold_is_not(org, stock, make_webhook_endpoint):
    from orbit_numbers.webhooks.models import WebhookDelivery, WebhookEvent

    endpoint = make_webhook_endpoint(org, "https://hooks.example.com/orbit", events=["reservation.expired"])
    stock(3)
    customer = reservation_create(organization=org, country="US", quantity=2)
    checkout_hold = reservation_create(organization=org, country="US", quantity=1)
    BulkReservation.objects.filter(pk=checkout_hold.pk).update(purpose=BulkReservation.Purpose.PURCHASE)
    assert reservations_expire(now=timezone.now() + timedelta(minutes=16)) == 2
    [event] = WebhookEvent.objects.filter(event_type="reservation.expired")
    assert event.organization_id == org.pk
    assert event.payload == {"reservation_id": customer.pk, "quantity_reserved": 2}
    assert WebhookDelivery.objects.get(event=event).endpoint_id == endpoint.pk
