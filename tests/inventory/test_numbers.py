"""POST /numbers/purchase, GET /numbers, GET/PUT/DELETE /numbers/{id}."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import LedgerEntry
from billing.services import ledger_reconcile
from inventory.models import BulkReservation, InventoryStatus, OwnedNumber, PhoneNumber
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import ensure_covered, make_profile

PURCHASE = "/api/v1/numbers/purchase"
LIST = "/api/v1/numbers"


def detail(number_id: str) -> str:
    return f"/api/v1/numbers/{number_id}"


def balance(org) -> int:
    org.wallet.refresh_from_db()
    return org.wallet.balance_cents


def assert_error(response, status: int, code: str, field: str | None = None, *words: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    if field is not None:
        assert field in error["details"], error
        for word in words:
            assert word in error["details"][field], error
    return error


@pytest.fixture
def owned(make_number):
    """owned(org, country="US", line_type="local", **inventory_fields) → an OwnedNumber bought through the service."""

    def buy(organization, country="US", line_type="local", **fields):
        row = make_number(country, line_type, **fields)
        ensure_covered(organization, country, line_type)
        return number_purchase(organization=organization, phone_number=row.e164, country_code=country)

    return buy


# --- purchase -------------------------------------------------------------------------------

def test_purchase_returns_201_with_the_number_and_charges_setup_plus_first_month(client, org, make_number):
    row = make_number("US", e164="+14155550100", provider="didww", region="California", monthly_cents=150,
                      setup_cents=100)

    response = client.post(PURCHASE, {"phone_number": "+14155550100", "capabilities": ["sms", "voice"]},
                           format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    number = OwnedNumber.objects.get(organization=org)
    assert data == {
        "id": number.id, "number": "+14155550100", "country": "US", "type": "local", "region": "California",
        "label": "", "capabilities": ["sms", "mms", "voice"], "status": "active", "webhook_url": None,
        "forwarding_number": None, "sms_forwarding": None, "compliance_profile_id": None, "campaign_id": None,
        "tags": [], "channel_config": {}, "monthly_cost": 1.5, "setup_cost": 1.0, "provider": "didww",
        "created_at": data["created_at"], "updated_at": data["updated_at"], "emergency": data["emergency"],
        "auto_renew": True, "release_at": None, "paid_until": data["paid_until"], "renewal_failed_at": None,
    }
    assert data["paid_until"] > data["created_at"]  # the first month is paid with the purchase
    assert data["emergency"]["calling"] == "blocked" and data["emergency"]["status"] is None
    assert data["id"].startswith("num_") and data["created_at"].endswith("Z")
    row.refresh_from_db()
    assert row.status == InventoryStatus.ASSIGNED
    assert balance(org) == 100_00 - 250
    assert sorted(LedgerEntry.objects.filter(reference=f"number:{number.id}").values_list("kind", "amount_cents")) == [
        ("monthly_fee", -150), ("setup_fee", -100)]
    assert AuditLog.objects.filter(action="number.purchase", object_id=number.id).exists()
    assert ledger_reconcile() == []


def test_purchase_registers_over_the_top_channels_and_defaults_country_to_us(client, make_number):
    make_number("US", e164="+14155550101")
    response = client.post(PURCHASE, {"phone_number": "+14155550101", "capabilities": ["whatsapp", "rcs", "sms"]},
                           format="json")
    assert response.status_code == 201
    assert response.json()["data"]["capabilities"] == ["sms", "mms", "voice", "whatsapp", "rcs"]


def test_purchase_of_a_non_us_number_needs_its_country_code(client, org, make_number):
    row = make_number("GB", "mobile")
    make_profile(org, "GB")
    assert_error(client.post(PURCHASE, {"phone_number": row.e164}, format="json"), 422, "VALIDATION_ERROR",
                 "country_code", "GB")
    response = client.post(PURCHASE, {"phone_number": row.e164, "country_code": "gb"}, format="json")
    assert response.status_code == 201 and response.json()["data"]["country"] == "GB"


def test_purchase_accepts_the_search_id_and_refuses_one_that_names_another_number(client, make_number):
    make_number("US", e164="+14155550102", provider_ref="tx-1")
    make_number("US", e164="+14155550103", provider_ref="tx-2")
    assert_error(client.post(PURCHASE, {"phone_number": "+14155550102", "id": "tx-2"}, format="json"),
                 422, "VALIDATION_ERROR", "id")
    assert client.post(PURCHASE, {"phone_number": "+14155550102", "id": "tx-1"}, format="json").status_code == 201


@pytest.mark.parametrize("body, field, words", [
    ({}, "phone_number", ["required"]),
    ({"phone_number": "14155550100"}, "phone_number", ["E.164"]),
    ({"phone_number": "+1415555"}, "phone_number", []),
    ({"phone_number": "+14155550100", "country_code": "XX"}, "country_code", ["ISO"]),
    ({"phone_number": "+14155550100", "country_code": "USA"}, "country_code", []),
    ({"phone_number": "+14155550100", "capabilities": ["mms"]}, "capabilities", ["not a purchase-time toggle"]),
    ({"phone_number": "+14155550100", "capabilities": ["sms", "fax"]}, "capabilities",
     ["not a purchase-time toggle"]),
    ({"phone_number": "+14155550100", "capabilities": ["carrier-pigeon"]}, "capabilities", ["sms, voice"]),
    ({"phone_number": "+14155550100", "capabilities": "sms"}, "capabilities", ["array"]),
    ({"phone_number": "+14155550100", "label": "Main"}, "label", ["unknown"]),
    ({"phone_number": "+14155550100", "compliance_profile_id": "cp_nope"}, "compliance_profile_id", []),
])
def test_purchase_refuses_bad_bodies_and_buys_nothing(client, org, make_number, body, field, words):
    row = make_number("US", e164="+14155550100")
    assert_error(client.post(PURCHASE, body, format="json"), 422, "VALIDATION_ERROR", field, *words)
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE and balance(org) == 100_00
    assert not OwnedNumber.objects.exists()


def test_purchase_refuses_a_capability_the_line_cannot_carry(client, make_number):
    make_number("US", e164="+14155550104", cap_sms=False, cap_mms=False, sms_two_way=False)
    assert_error(client.post(PURCHASE, {"phone_number": "+14155550104", "capabilities": ["rcs"]}, format="json"),
                 422, "VALIDATION_ERROR", "capabilities", "rcs")


def test_purchase_with_another_organisations_profile_is_refused(client, make_org, make_number):
    other = make_org("Other")
    profile = make_profile(other, "US", name="Theirs")
    make_number("US", e164="+14155550105")
    assert_error(client.post(PURCHASE, {"phone_number": "+14155550105", "compliance_profile_id": profile.id},
                             format="json"), 422, "VALIDATION_ERROR", "compliance_profile_id")


def test_purchase_of_a_number_not_in_inventory_is_404(client):
    assert_error(client.post(PURCHASE, {"phone_number": "+14155550199"}, format="json"), 404, "NOT_FOUND")


def test_insufficient_credit_is_402_and_buys_nothing(make_org, make_client, make_number):
    poor = make_org("Poor", credit_cents=200)
    row = make_number("US", monthly_cents=150, setup_cents=100)
    entries_before = list(LedgerEntry.objects.filter(wallet__organization=poor).values_list("id", flat=True))

    response = make_client(poor).post(PURCHASE, {"phone_number": row.e164}, format="json")

    assert_error(response, 402, "INSUFFICIENT_CREDIT")
    assert balance(poor) == 200
    assert list(LedgerEntry.objects.filter(wallet__organization=poor).values_list("id", flat=True)) == entries_before
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE
    assert not OwnedNumber.objects.exists()
    assert ledger_reconcile() == []


def test_a_number_already_taken_is_409_and_charges_nothing(client, org, make_org, make_number, owned):
    other = make_org("Quick", credit_cents=100_00)
    taken = owned(other)
    assert_error(client.post(PURCHASE, {"phone_number": taken.e164}, format="json"), 409, "CONFLICT")
    reserved = make_number("US", status=InventoryStatus.RESERVED)
    assert_error(client.post(PURCHASE, {"phone_number": reserved.e164}, format="json"), 409, "CONFLICT")
    aging = make_number("US", aging_until=timezone.now() + timedelta(days=5))
    assert_error(client.post(PURCHASE, {"phone_number": aging.e164}, format="json"), 409, "CONFLICT")
    assert balance(org) == 100_00


def test_a_carrier_refusal_is_409_and_charges_nothing(client, org, make_number):
    row = make_number("US", e164="+14155559999")  # the simulator refuses numbers ending 9999
    assert_error(client.post(PURCHASE, {"phone_number": row.e164}, format="json"), 409, "CONFLICT")
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE and balance(org) == 100_00


def test_idempotent_replay_returns_the_first_response_and_charges_once(client, org, make_number):
    make_number("US", e164="+14155550106")
    body = {"phone_number": "+14155550106", "capabilities": ["sms"]}

    first = client.post(PURCHASE, body, format="json", HTTP_IDEMPOTENCY_KEY="buy-106")
    replay = client.post(PURCHASE, {"capabilities": ["sms"], "phone_number": "+14155550106"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="buy-106")

    assert first.status_code == replay.status_code == 201
    assert replay.json()["data"] == first.json()["data"]
    assert replay["Idempotent-Replayed"] == "true"
    assert OwnedNumber.objects.count() == 1
    assert balance(org) == 100_00 - 250
    assert LedgerEntry.objects.filter(wallet__organization=org, kind="monthly_fee").count() == 1

    different = client.post(PURCHASE, {"phone_number": "+14155550106"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="buy-106")
    assert_error(different, 409, "IDEMPOTENCY_CONFLICT")
    assert balance(org) == 100_00 - 250


def test_a_regulated_number_without_a_covering_approved_profile_is_refused_before_any_charge(client, org,
                                                                                            make_number):
    pending = make_profile(org, "DE", status="submitted", name="Pending")
    elsewhere = make_profile(org, "FR", name="FR")
    rows = [make_number("DE") for _ in range(3)]
    ledger_before = LedgerEntry.objects.filter(wallet__organization=org).count()

    def buy(row, profile):
        body = {"phone_number": row.e164, "country_code": "DE"}
        if profile is not None:
            body["compliance_profile_id"] = profile.id
        return client.post(PURCHASE, body, format="json")

    refused = buy(rows[0], None)
    assert_error(refused, 422, "COMPLIANCE_REQUIRED")
    [missing] = refused.json()["error"]["details"]["missing"]
    assert (missing["country"], missing["line_type"], missing["action"], missing["numbers"]) == (
        "DE", "local", "purchase", [rows[0].e164])
    assert {d["type"] for d in missing["documents"]} == {"proof_of_local_address", "business_registration"}
    assert {f["name"] for f in missing["fields"]} == {"business_name", "contact_name", "street_address", "city",
                                                     "postal_code"}
    assert missing["profiles"] == [{"id": pending.id, "name": "Pending", "status": "submitted",
                                    "reason": "submitted, pending review"}]
    assert_error(buy(rows[0], pending), 422, "COMPLIANCE_REQUIRED")
    named = buy(rows[0], elsewhere)
    assert_error(named, 422, "COMPLIANCE_REQUIRED")
    assert named.json()["error"]["details"]["missing"][0]["profiles"][-1]["id"] == elsewhere.id
    # Refused before anything was held or charged.
    assert LedgerEntry.objects.filter(wallet__organization=org).count() == ledger_before and balance(org) == 100_00
    assert not BulkReservation.objects.filter(organization=org).exists()
    assert PhoneNumber.objects.get(pk=rows[0].pk).status == InventoryStatus.AVAILABLE

    approved = make_profile(org, "DE", name="DE")
    first = buy(rows[1], None)  # the organisation's one covering profile is used
    assert first.status_code == 201, first.json()
    assert first.json()["data"]["status"] == "active" and first.json()["data"]["compliance_profile_id"] == approved.id
    second = buy(rows[2], approved)
    assert second.status_code == 201 and second.json()["data"]["status"] == "active"


def test_two_covering_profiles_must_be_named_and_an_expired_one_does_not_cover(client, org, make_number):
    row = make_number("GB")
    body = {"phone_number": row.e164, "country_code": "GB"}
    expired = make_profile(org, "GB", name="Old", valid_until=timezone.now() - timedelta(days=1))
    refused = client.post(PURCHASE, {**body, "compliance_profile_id": expired.id}, format="json")
    assert_error(refused, 422, "COMPLIANCE_REQUIRED")
    assert refused.json()["error"]["details"]["missing"][0]["profiles"][0]["status"] == "expired"
    one, two = make_profile(org, "GB", name="One"), make_profile(org, "GB", name="Two")
    ambiguous = client.post(PURCHASE, body, format="json")
    assert_error(ambiguous, 422, "COMPLIANCE_REQUIRED")
    assert {p["id"] for p in ambiguous.json()["error"]["details"]["missing"][0]["profiles"]} >= {one.id, two.id}
    bought = client.post(PURCHASE, {**body, "compliance_profile_id": two.id}, format="json")
    assert bought.status_code == 201 and bought.json()["data"]["compliance_profile_id"] == two.id


def test_purchase_needs_numbers_write_and_a_key(org, make_client, make_number):
    row = make_number("US")
    assert_error(APIClient().post(PURCHASE, {"phone_number": row.e164}, format="json"), 401, "UNAUTHORIZED")
    reader = make_client(org, scopes=["numbers:read"])
    assert_error(reader.post(PURCHASE, {"phone_number": row.e164}, format="json"), 403, "FORBIDDEN")
    assert not OwnedNumber.objects.exists()


# --- list -----------------------------------------------------------------------------------

def test_list_pages_with_a_keyset_cursor(client, org, owned):
    numbers = [owned(org) for _ in range(5)]
    newest_first = [n.id for n in reversed(numbers)]

    first = client.get(LIST, {"limit": 2}).json()
    assert [n["id"] for n in first["data"]] == newest_first[:2]
    assert first["meta"]["pagination"]["has_more"] is True
    second = client.get(LIST, {"limit": 2, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert [n["id"] for n in second["data"]] == newest_first[2:4]
    third = client.get(LIST, {"limit": 2, "cursor": second["meta"]["pagination"]["cursor"]}).json()
    assert [n["id"] for n in third["data"]] == newest_first[4:]
    assert third["meta"]["pagination"] == {"cursor": None, "has_more": False}


def test_list_defaults_to_25_and_caps_at_200(client, org, owned):
    for _ in range(26):
        owned(org)
    assert len(client.get(LIST).json()["data"]) == 25
    assert len(client.get(LIST, {"limit": 200}).json()["data"]) == 26
    assert_error(client.get(LIST, {"limit": 201}), 422, "VALIDATION_ERROR", "limit")
    assert_error(client.get(LIST, {"cursor": "forged"}), 422, "VALIDATION_ERROR", "cursor")


def test_list_filters(client, org, owned):
    from inventory.services import number_update

    us_local = owned(org, "US", "local", cap_fax=True)
    us_toll_free = owned(org, "US", "toll_free")
    gb_mobile = owned(org, "GB", "mobile")
    number_update(organization=org, number_id=gb_mobile.id, changes={"status": "inactive", "tags": ["support"]})

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.json()
        return sorted(n["id"] for n in response.json()["data"])

    assert ids(country="US") == sorted([us_local.id, us_toll_free.id])
    assert ids(type="toll_free") == [us_toll_free.id]
    assert ids(type="mobile", country="GB") == [gb_mobile.id]
    assert ids(status="inactive") == [gb_mobile.id]
    assert ids(status="active") == sorted([us_local.id, us_toll_free.id])
    assert ids(tag="support") == [gb_mobile.id]
    assert ids(capabilities="fax") == [us_local.id]
    assert ids(capabilities="sms,mms") == sorted([us_local.id, gb_mobile.id])
    assert ids(capabilities="voice") == sorted([us_local.id, us_toll_free.id, gb_mobile.id])
    assert_error(client.get(LIST, {"status": "released"}), 422, "VALIDATION_ERROR", "status", "not listed")
    assert_error(client.get(LIST, {"type": "short_code"}), 422, "VALIDATION_ERROR", "type")
    assert_error(client.get(LIST, {"country": "XX"}), 422, "VALIDATION_ERROR", "country")
    assert_error(client.get(LIST, {"capabilities": "telepathy"}), 422, "VALIDATION_ERROR", "capabilities")
    assert_error(client.get(LIST, {"tag": "Not A Slug"}), 422, "VALIDATION_ERROR", "tag")
    assert_error(client.get(LIST, {"colour": "blue"}), 422, "VALIDATION_ERROR", "colour")


def test_list_shows_only_this_tenants_live_numbers(client, org, make_org, owned):
    mine = owned(org)
    released = owned(org)
    client.delete(detail(released.id))
    owned(make_org("Other", credit_cents=100_00))
    assert [n["id"] for n in client.get(LIST).json()["data"]] == [mine.id]


def test_list_and_get_need_numbers_read(org, make_client, owned):
    number = owned(org)
    writer = make_client(org, scopes=["numbers:write"])
    assert_error(writer.get(LIST), 403, "FORBIDDEN")
    assert_error(writer.get(detail(number.id)), 403, "FORBIDDEN")
    assert_error(APIClient().get(LIST), 401, "UNAUTHORIZED")
    assert_error(APIClient().get(detail(number.id)), 401, "UNAUTHORIZED")


# --- get ------------------------------------------------------------------------------------

def test_get_returns_the_number(client, org, owned):
    number = owned(org, region="Texas")
    response = client.get(detail(number.id))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == number.id and data["number"] == number.e164 and data["region"] == "Texas"
    assert data["status"] == "active" and data["updated_at"].endswith("Z")


def test_another_tenants_number_is_404_everywhere(client, make_org, owned):
    theirs = owned(make_org("Other", credit_cents=100_00))
    assert_error(client.get(detail(theirs.id)), 404, "NOT_FOUND")
    assert_error(client.put(detail(theirs.id), {"label": "mine now"}, format="json"), 404, "NOT_FOUND")
    assert_error(client.delete(detail(theirs.id)), 404, "NOT_FOUND")
    theirs.refresh_from_db()
    assert theirs.label == "" and theirs.status == "active"


def test_unknown_number_ids_are_404(client):
    assert_error(client.get(detail("num_00000000000000000000")), 404, "NOT_FOUND")
    assert_error(client.get(detail("not-an-id")), 404, "NOT_FOUND")


# --- configure (PUT) ------------------------------------------------------------------------

def test_put_updates_only_the_keys_sent_and_audits_the_change(client, org, owned):
    number = owned(org)
    client.put(detail(number.id), {"label": "Support", "tags": ["support", "us-west"]}, format="json")

    response = client.put(detail(number.id), {
        "webhook_url": "https://example.com/inbound", "forwarding_number": "+14155550111",
        "sms_forwarding": "+14155550112", "channel_config": {"whatsapp": {"display_name": "Acme"}},
    }, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["label"] == "Support" and data["tags"] == ["support", "us-west"]
    assert data["webhook_url"] == "https://example.com/inbound"
    assert data["forwarding_number"] == "+14155550111" and data["sms_forwarding"] == "+14155550112"
    assert data["channel_config"] == {"whatsapp": {"display_name": "Acme"}}
    audit = AuditLog.objects.filter(action="number.update", object_id=number.id).order_by("id").last()
    assert audit.before == {"webhook_url": None, "forwarding_number": "", "sms_forwarding": "", "channel_config": {}}
    assert audit.after["webhook_url"] == "https://example.com/inbound"
    assert AuditLog.objects.filter(action="number.update", object_id=number.id).count() == 2


def test_put_clears_with_empty_values(client, org, owned):
    number = owned(org)
    client.put(detail(number.id), {"webhook_url": "http://example.com/a", "forwarding_number": "+14155550111",
                                   "sms_forwarding": "+14155550112", "tags": ["a"], "label": "x"}, format="json")
    data = client.put(detail(number.id), {"webhook_url": "", "forwarding_number": "", "sms_forwarding": "",
                                          "tags": [], "label": ""}, format="json").json()["data"]
    assert data["webhook_url"] is None and data["forwarding_number"] is None and data["sms_forwarding"] is None
    assert data["tags"] == [] and data["label"] == ""
    client.put(detail(number.id), {"webhook_url": "https://example.com/b"}, format="json")
    assert client.put(detail(number.id), {"webhook_url": None}, format="json").json()["data"]["webhook_url"] is None


def test_put_toggles_status_between_active_and_inactive(client, org, owned):
    number = owned(org)
    assert client.put(detail(number.id), {"status": "inactive"}, format="json").json()["data"]["status"] == "inactive"
    assert client.put(detail(number.id), {"status": "active"}, format="json").json()["data"]["status"] == "active"


@pytest.mark.parametrize("body, field, words", [
    ({"label": "x" * 101}, "label", ["100"]),
    ({"label": None}, "label", []),
    ({"status": "released"}, "status", ["active, inactive"]),
    ({"status": "regulatory_hold"}, "status", []),
    ({"capabilities": ["whatsapp"]}, "capabilities", ["purchase time"]),
    ({"capabilities": "sms"}, "capabilities", ["array"]),
    ({"capabilities": ["sms", "smoke-signals"]}, "capabilities", []),
    ({"forwarding_number": "14155550111"}, "forwarding_number", ["E.164"]),
    ({"forwarding_number": "+1415"}, "forwarding_number", []),
    ({"sms_forwarding": "call me"}, "sms_forwarding", []),
    ({"webhook_url": "ftp://example.com/x"}, "webhook_url", ["http"]),
    ({"webhook_url": "not a url"}, "webhook_url", []),
    ({"webhook_url": "https://" + "a" * 500 + ".com"}, "webhook_url", []),
    ({"tags": [f"t{i}" for i in range(11)]}, "tags", ["10"]),
    ({"tags": ["Support"]}, "tags", ["slug"]),
    ({"tags": ["-lead"]}, "tags", ["slug"]),
    ({"tags": ["a" * 65]}, "tags", []),
    ({"tags": "support"}, "tags", []),
    ({"tags": [5]}, "tags", ["slug"]),
    ({"tags": ["abc\n"]}, "tags", ["slug"]),  # `$` matches before a trailing newline: fullmatch does not
    ({"channel_config": {"greeting": "a\u0000b"}}, "channel_config.greeting", ["NUL"]),  # jsonb cannot store it
    ({"channel_config": ["not", "an", "object"]}, "channel_config", []),
    ({"channel_config": {"blob": "x" * 20_000}}, "channel_config", ["bytes"]),
    ({"compliance_profile_id": "cp_unknown"}, "compliance_profile_id", []),
    ({"agent_id": "agt_1"}, "agent_id", ["unknown"]),
])
def test_put_refuses_bad_input_and_changes_nothing(client, org, owned, body, field, words):
    number = owned(org)
    before = client.get(detail(number.id)).json()["data"]
    assert_error(client.put(detail(number.id), body, format="json"), 422, "VALIDATION_ERROR", field, *words)
    assert client.get(detail(number.id)).json()["data"] == before


def test_a_json_body_over_1_mb_is_413_and_changes_nothing(client, org, owned):
    number = owned(org)
    before = client.get(detail(number.id)).json()["data"]
    response = client.put(detail(number.id), {"channel_config": {"blob": "x" * (1024 * 1024)}}, format="json")
    assert response.status_code == 413, response.content[:200]
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert client.get(detail(number.id)).json()["data"] == before


def test_put_refuses_forwarding_a_number_to_itself(client, org, owned):
    number = owned(org)
    for field in ("forwarding_number", "sms_forwarding"):
        assert_error(client.put(detail(number.id), {field: number.e164}, format="json"), 422, "VALIDATION_ERROR",
                     field, "itself")


def test_put_capabilities_follow_carrier_support(client, org, owned):
    number = owned(org, cap_mms=True, cap_fax=False)  # starts with sms, mms, voice
    url = detail(number.id)
    assert client.put(url, {"capabilities": ["sms", "voice"]}, format="json").json()["data"]["capabilities"] == [
        "sms", "voice"]
    assert client.put(url, {"capabilities": ["voice", "mms", "sms"]}, format="json").json()["data"][
        "capabilities"] == ["sms", "mms", "voice"]
    assert_error(client.put(url, {"capabilities": ["sms", "mms", "voice", "fax"]}, format="json"),
                 422, "VALIDATION_ERROR", "capabilities", "fax")

    no_mms = owned(org, cap_mms=False)
    assert_error(client.put(detail(no_mms.id), {"capabilities": ["sms", "mms", "voice"]}, format="json"),
                 422, "VALIDATION_ERROR", "capabilities", "does not support mms")

    faxing = owned(org, cap_fax=True)
    assert_error(client.put(detail(faxing.id), {"capabilities": ["sms", "voice"]}, format="json"),
                 422, "VALIDATION_ERROR", "capabilities", "fixed")
    assert client.put(detail(faxing.id), {"capabilities": ["voice", "fax"]}, format="json").status_code == 200


def test_put_capabilities_keep_purchase_time_channels(client, org, make_number):
    row = make_number("US")
    number = number_purchase(organization=org, phone_number=row.e164, capabilities=["whatsapp"])
    data = client.put(detail(number.id), {"capabilities": ["sms"]}, format="json").json()["data"]
    assert data["capabilities"] == ["sms", "whatsapp"]


def test_put_with_an_empty_body_changes_nothing(client, org, owned):
    number = owned(org)
    response = client.put(detail(number.id), {}, format="json")
    assert response.status_code == 200 and response.json()["data"]["id"] == number.id
    assert not AuditLog.objects.filter(action="number.update").exists()


def test_put_malformed_json_is_400(client, org, owned):
    number = owned(org)
    response = client.put(detail(number.id), "{not json", content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")


def test_attaching_an_approved_covering_profile_releases_a_regulatory_hold(client, org, make_number):
    from inventory.services import ported_number_activate

    row = make_number("DE")
    number = ported_number_activate(organization=org, e164=row.e164, provider="didww", provider_order_id="ord-1")
    assert number.status == "regulatory_hold"
    url = detail(number.id)

    assert_error(client.put(url, {"status": "active"}, format="json"), 409, "CONFLICT")
    pending = make_profile(org, "DE", status="submitted", name="Pending")
    data = client.put(url, {"compliance_profile_id": pending.id}, format="json").json()["data"]
    assert data["status"] == "regulatory_hold" and data["compliance_profile_id"] == pending.id
    purchase_only = make_profile(org, "DE", actions=["purchase"], name="Purchases only")
    data = client.put(url, {"compliance_profile_id": purchase_only.id}, format="json").json()["data"]
    assert data["status"] == "regulatory_hold"  # a ported-in number needs a profile covering port-ins

    approved = make_profile(org, "DE", name="DE")
    data = client.put(url, {"compliance_profile_id": approved.id, "status": "active"}, format="json").json()["data"]
    assert data["status"] == "active" and data["compliance_profile_id"] == approved.id

    # In service in a regulated country: the profile may be replaced, not dropped.
    assert_error(client.put(url, {"compliance_profile_id": ""}, format="json"), 409, "CONFLICT")
    assert_error(client.put(url, {"compliance_profile_id": pending.id}, format="json"), 409, "CONFLICT")
    assert client.get(url).json()["data"]["compliance_profile_id"] == approved.id


def test_compliance_profile_detaches_with_empty_or_null_outside_regulated_countries(client, org, owned):
    number = owned(org)
    profile = make_profile(org, "US")
    url = detail(number.id)
    assert client.put(url, {"compliance_profile_id": profile.id}, format="json").json()["data"][
        "compliance_profile_id"] == profile.id
    assert client.put(url, {"compliance_profile_id": None}, format="json").json()["data"][
        "compliance_profile_id"] is None
    client.put(url, {"compliance_profile_id": profile.id}, format="json")
    assert client.put(url, {"compliance_profile_id": ""}, format="json").json()["data"]["compliance_profile_id"] is None


def test_put_status_is_locked_while_porting_out(client, org, owned):
    number = owned(org)
    OwnedNumber.objects.filter(pk=number.pk).update(status="porting_out")
    assert_error(client.put(detail(number.id), {"status": "inactive"}, format="json"), 409, "CONFLICT")
    assert client.put(detail(number.id), {"label": "leaving"}, format="json").status_code == 200


def test_put_and_delete_need_numbers_write(org, make_client, owned):
    number = owned(org)
    reader = make_client(org, scopes=["numbers:read"])
    assert_error(reader.put(detail(number.id), {"label": "x"}, format="json"), 403, "FORBIDDEN")
    assert_error(reader.delete(detail(number.id)), 403, "FORBIDDEN")
    assert_error(APIClient().put(detail(number.id), {"label": "x"}, format="json"), 401, "UNAUTHORIZED")
    assert_error(APIClient().delete(detail(number.id)), 401, "UNAUTHORIZED")
    number.refresh_from_db()
    assert number.label == "" and number.status == "active"


# --- release (DELETE) -----------------------------------------------------------------------

def test_release_is_204_then_the_number_is_gone_from_list_and_get(client, org, owned):
    number = owned(org)
    kept = owned(org)

    response = client.delete(detail(number.id))

    assert response.status_code == 204 and response.content == b""
    assert [n["id"] for n in client.get(LIST).json()["data"]] == [kept.id]
    assert_error(client.get(detail(number.id)), 404, "NOT_FOUND")
    assert_error(client.delete(detail(number.id)), 404, "NOT_FOUND")
    number.refresh_from_db()
    assert number.status == "released" and number.billing_ends_at > number.released_at
    row = PhoneNumber.objects.get(pk=number.phone_number_id)
    assert row.aging_until > timezone.now()  # rests before it is offered again
    assert AuditLog.objects.filter(action="number.release", object_id=number.id).exists()


def test_a_number_porting_out_cannot_be_released(client, org, owned):
    number = owned(org)
    OwnedNumber.objects.filter(pk=number.pk).update(status="porting_out")
    assert_error(client.delete(detail(number.id)), 409, "CONFLICT")
