"""inventory/filters.py: every filter of every FilterSet, their validation, and the same answers on
PostgreSQL and SQLite.

The SQLite half is real: the ``sqlite`` fixture opens an in-memory SQLite database under an extra
connection alias (beside the PostgreSQL test database), creates the inventory tables in it and
copies the same rows into both. Each FilterSet then runs on both databases and must select the
same rows; on SQLite, Django's own ``__contains`` on a JSON list is refused, which is what made
``GET /numbers?capabilities=…`` and ``?tag=…`` 500 on the demo database.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import NotSupportedError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.db.models import F
from django.utils import timezone

from inventory.filters import (AvailableNumberFilterSet, InventoryFilterSet, JSONArrayContains,
                               OwnedNumberExportFilterSet, OwnedNumberFilterSet, StaffOwnedNumberFilterSet)
from inventory.models import Brand, Campaign, ComplianceProfile, InventoryStatus, OwnedNumber, PhoneNumber
from inventory.services import number_purchase, number_release
from orbit_numbers.models import Organization
from tests.inventory.compliance_support import ensure_covered

SQLITE = "sqlite_parity"


def pks(filterset) -> list:
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("pk", flat=True))


def errors_of(filterset) -> dict[str, str]:
    assert not filterset.is_valid()
    return {name: " ".join(messages) for name, messages in filterset.errors.items()}


@pytest.fixture
def owned(make_number):
    def buy(organization, country="US", line_type="local", **changes):
        row = make_number(country, line_type)
        ensure_covered(organization, country, line_type)
        number = number_purchase(organization=organization, phone_number=row.e164, country_code=country)
        if changes:
            OwnedNumber.objects.filter(pk=number.pk).update(**changes)
            number.refresh_from_db()
        return number

    return buy


# --- the search ---------------------------------------------------------------------------------------


def search(**params) -> list[str]:
    return [row.e164 for row in AvailableNumberFilterSet(params, queryset=PhoneNumber.objects.sellable()).qs]


def test_search_filters_one_by_one(make_number):
    a = make_number("US", e164="+14155551234", provider="telnyx", monthly_cents=300)
    b = make_number("US", "toll_free", provider="didww", monthly_cents=200)
    c = make_number("US", e164="+16465554321", provider="devotel", cap_sms=False, cap_mms=False,
                    sms_two_way=False, cap_fax=True, monthly_cents=100)
    make_number("GB", "mobile")
    assert search(country="us") == [c.e164, b.e164, a.e164]  # cheapest first
    assert search(country="US", type="toll_free") == [b.e164]
    assert search(country="US", capabilities="sms") == [b.e164, a.e164]
    assert search(country="US", capabilities="voice,fax") == [c.e164]
    assert search(country="US", area_code="646") == [c.e164]
    assert search(country="US", contains="5512") == [a.e164]
    assert search(country="US", starts_with="415") == [a.e164]
    assert search(country="US", ends_with="4321") == [c.e164]
    assert search(country="US", provider="didww") == [b.e164]
    assert search(country="US", limit="2") == [c.e164, b.e164]


def test_search_ties_on_price_are_broken_by_id(make_number):
    rows = [make_number("US", monthly_cents=150) for _ in range(3)]
    assert search(country="US") == [row.e164 for row in sorted(rows, key=lambda r: r.pk)]


def test_search_limit_defaults_to_100(make_number):
    for _ in range(101):
        make_number("US")
    assert len(search(country="US")) == 100


@pytest.mark.parametrize("params, field, words", [
    ({}, "country", "required"),
    ({"country": "XX"}, "country", "ISO"),
    ({"country": "US", "type": "short_code"}, "type", "short codes are not available"),
    ({"country": "US", "type": "landline"}, "type", "local, mobile, toll_free"),
    ({"country": "US", "capabilities": "whatsapp"}, "capabilities", "purchase time"),
    ({"country": "US", "capabilities": "sms,,voice"}, "capabilities", "comma-separated"),
    ({"country": "US", "area_code": "123456789"}, "area_code", "1-8 digits"),
    ({"country": "US", "contains": "55a"}, "contains", "digits"),
    ({"country": "US", "starts_with": "+1"}, "starts_with", "digits"),
    ({"country": "US", "ends_with": "1 2"}, "ends_with", "digits"),
    ({"country": "US", "provider": "twilio"}, "provider", "devotel"),
    ({"country": "US", "limit": "501"}, "limit", "500"),
    ({"country": "US", "limit": "0"}, "limit", "1"),
])
def test_search_refuses_bad_values_with_a_message_per_field(db, params, field, words):
    messages = errors_of(AvailableNumberFilterSet(params, queryset=PhoneNumber.objects.all()))
    assert set(messages) == {field} and words in messages[field]


def test_the_api_answers_a_bad_filter_value_with_details(client):
    response = client.get("/api/v1/numbers/available", {"country": "XX", "type": "short_code", "limit": "0"})
    assert response.status_code == 422
    assert set(response.json()["error"]["details"]) == {"country", "type", "limit"}


# --- owned numbers ------------------------------------------------------------------------------------


def test_owned_number_filters_one_by_one(org, make_org, owned):
    us = owned(org, "US", capabilities=["sms", "voice", "whatsapp"], tags=["vip", "eu"])
    toll_free = owned(org, "US", "toll_free", capabilities=["voice"], status="inactive")
    gb = owned(org, "GB", "mobile", tags=["vip"])
    PhoneNumber.objects.filter(pk=gb.phone_number_id).update(provider="didww")
    theirs = owned(make_org("Other", credit_cents=10_00), "US", tags=["vip"])

    def listed(**params):
        queryset = OwnedNumber.objects.filter(organization=org).live()
        return sorted(pks(OwnedNumberFilterSet(params, queryset=queryset)))

    assert listed() == sorted([us.pk, toll_free.pk, gb.pk])
    assert listed(country="gb") == [gb.pk]
    assert listed(type="toll_free") == [toll_free.pk]
    assert listed(status="inactive") == [toll_free.pk]
    assert listed(provider="didww") == [gb.pk]
    assert listed(tag="vip") == sorted([us.pk, gb.pk])
    assert listed(tag="eu") == [us.pk]
    assert listed(capabilities="whatsapp") == [us.pk]
    assert listed(capabilities="voice,sms") == sorted([us.pk, gb.pk])
    assert listed(capabilities="voice") == sorted([us.pk, toll_free.pk, gb.pk])
    assert listed(capabilities="sms", tag="vip", country="US") == [us.pk]
    assert theirs.pk not in listed(tag="vip")  # the queryset's scope is kept


@pytest.mark.parametrize("params, field, words", [
    ({"status": "released"}, "status", "not listed"),
    ({"status": "gone"}, "status", "active"),
    ({"country": "USA"}, "country", "ISO"),
    ({"type": "short_code"}, "type", "local"),
    ({"capabilities": "telepathy"}, "capabilities", "sms"),
    ({"tag": "Not A Slug"}, "tag", "lowercase slug"),
    ({"tag": "-lead"}, "tag", "lowercase slug"),
    ({"provider": "twilio"}, "provider", "telnyx"),
])
def test_owned_number_filters_refuse_bad_values(db, params, field, words):
    messages = errors_of(OwnedNumberFilterSet(params, queryset=OwnedNumber.objects.all()))
    assert set(messages) == {field} and words in messages[field]


def test_the_list_takes_the_provider_filter_and_refuses_an_unknown_parameter(client, org, owned):
    mine = owned(org)
    PhoneNumber.objects.filter(pk=mine.phone_number_id).update(provider="didww")
    owned(org)
    response = client.get("/api/v1/numbers", {"provider": "didww"})
    assert [item["id"] for item in response.json()["data"]] == [mine.pk]
    response = client.get("/api/v1/numbers", {"carrier": "didww"})
    assert response.status_code == 422 and response.json()["error"]["details"] == {"carrier": "unknown query parameter"}
    response = client.get("/api/v1/numbers", {"tag": ""})
    assert response.status_code == 422 and response.json()["error"]["details"] == {"tag": "must not be empty"}


def test_the_export_filterset_adds_the_format(db):
    assert OwnedNumberExportFilterSet({}, queryset=OwnedNumber.objects.all()).file_format == "csv"
    filterset = OwnedNumberExportFilterSet({"format": "json", "country": "us"}, queryset=OwnedNumber.objects.all())
    assert filterset.is_valid() and filterset.file_format == "json"
    assert "csv, json" in errors_of(OwnedNumberExportFilterSet({"format": "xml"}, queryset=OwnedNumber.objects.all()))[
        "format"]


def test_staff_filters_see_released_numbers_and_pick_an_organisation_by_id_or_name(org, make_org, owned):
    mine = owned(org)
    released = owned(org)
    number_release(organization=org, number_id=released.pk)
    other = owned(make_org("Globex", credit_cents=10_00))

    def staff(**params):
        return sorted(pks(StaffOwnedNumberFilterSet(params, queryset=OwnedNumber.objects.all())))

    assert staff(status="released") == [released.pk]
    assert staff(organization=org.pk) == sorted([mine.pk, released.pk])
    assert staff(organization="Globex") == [other.pk]
    assert staff(organization="Acme", status="active") == [mine.pk]
    messages = errors_of(StaffOwnedNumberFilterSet({"organization": "Nobody"}, queryset=OwnedNumber.objects.all()))
    assert "no organisation" in messages["organization"]


def test_inventory_filters_one_by_one(make_number):
    a = make_number("US", provider="telnyx")
    b = make_number("US", "toll_free", provider="didww", status=InventoryStatus.RESERVED)
    c = make_number("GB", "mobile", provider="didww")

    def rows(**params):
        return sorted(pks(InventoryFilterSet(params, queryset=PhoneNumber.objects.all())))

    assert rows(country="us") == sorted([a.pk, b.pk])
    assert rows(status="reserved") == [b.pk]
    assert rows(type="mobile") == [c.pk]
    assert rows(provider="didww") == sorted([b.pk, c.pk])
    assert "available, reserved, assigned" in errors_of(
        InventoryFilterSet({"status": "active"}, queryset=PhoneNumber.objects.all()))["status"]


# --- JSON list containment: PostgreSQL keeps jsonb @> ---------------------------------------------------


def test_json_containment_on_postgresql_is_the_index_friendly_jsonb_operator(db):
    ours = OwnedNumber.objects.filter(JSONArrayContains(F("tags"), ["vip", "eu"]))
    django = OwnedNumber.objects.filter(tags__contains=["vip", "eu"])
    sql, params = ours.query.sql_with_params()
    assert sql == django.query.sql_with_params()[0]
    assert '"inventory_ownednumber"."tags" @> %s' in sql
    assert [param.obj for param in params] == [["vip", "eu"]]  # one jsonb document, not a SQL array


# --- the same answers on SQLite ------------------------------------------------------------------------


@pytest.fixture
def sqlite(db):
    """An in-memory SQLite database under the alias SQLITE, holding the inventory tables."""
    settings = connections.configure_settings({"default": {"ENGINE": "django.db.backends.sqlite3",
                                                           "NAME": ":memory:"}})["default"]
    connection = SQLiteDatabaseWrapper(settings, alias=SQLITE)
    connections[SQLITE] = connection
    try:
        with connection.schema_editor() as editor:
            # The user table too: a compliance profile names its reviewer.
            for model in (get_user_model(), Organization, PhoneNumber, ComplianceProfile, Brand, Campaign,
                          OwnedNumber):
                editor.create_model(model)
        yield connection
    finally:
        BaseDatabaseWrapper.close(connection)  # SQLiteDatabaseWrapper.close() keeps in-memory databases open
        del connections[SQLITE]


def copy_to_sqlite(*models) -> None:
    """The rows of these tables, from the PostgreSQL test database into the SQLite one, pks kept."""
    for model in models:
        model.objects.using(SQLITE).bulk_create(list(model.objects.all()))


@pytest.fixture
def twin_rows(sqlite, org, make_org, owned, make_number):
    now = timezone.now()
    owned(org, "US", capabilities=["sms", "voice", "whatsapp"], tags=["vip", "eu"])
    owned(org, "US", "toll_free", capabilities=["voice"], status="inactive", tags=["support"])
    owned(org, "GB", "mobile", capabilities=["sms", "mms", "voice"], tags=["vip"])
    released = owned(org, "US", capabilities=["sms"], tags=["vip"])
    number_release(organization=org, number_id=released.pk)
    owned(make_org("Globex", credit_cents=10_00), "US", capabilities=["sms", "rcs"], tags=["eu", "vip"])
    for index in range(6):
        make_number("US", monthly_cents=100 + index % 3 * 50, provider=("telnyx", "didww")[index % 2],
                    cap_fax=index % 3 == 0)
    make_number("US", "toll_free", monthly_cents=120)
    make_number("US", aging_until=now + timedelta(days=1))
    make_number("GB", "mobile")
    copy_to_sqlite(Organization, PhoneNumber, ComplianceProfile, OwnedNumber)
    assert OwnedNumber.objects.using(SQLITE).count() == OwnedNumber.objects.count() == 5


OWNED_CASES = [
    {}, {"capabilities": "sms"}, {"capabilities": "sms,voice"}, {"capabilities": "whatsapp"},
    {"capabilities": "rcs"}, {"capabilities": "fax"}, {"tag": "vip"}, {"tag": "eu"}, {"tag": "nobody"},
    {"tag": "vip", "capabilities": "voice,sms", "country": "US"}, {"status": "inactive", "type": "toll_free"},
]


@pytest.mark.parametrize("params", OWNED_CASES, ids=str)
def test_owned_number_filters_answer_the_same_on_sqlite(twin_rows, params):
    on_postgres = pks(OwnedNumberFilterSet(params, queryset=OwnedNumber.objects.live().order_by("pk")))
    on_sqlite = pks(OwnedNumberFilterSet(params, queryset=OwnedNumber.objects.using(SQLITE).live().order_by("pk")))
    assert on_sqlite == on_postgres
    assert connections[SQLITE].vendor == "sqlite" and connections["default"].vendor == "postgresql"


@pytest.mark.parametrize("params", [{"status": "released", "tag": "vip"}, {"organization": "Globex", "tag": "eu"},
                                    {"capabilities": "sms", "provider": "telnyx"}], ids=str)
def test_staff_filters_answer_the_same_on_sqlite(twin_rows, params):
    on_postgres = pks(StaffOwnedNumberFilterSet(params, queryset=OwnedNumber.objects.order_by("pk")))
    on_sqlite = pks(StaffOwnedNumberFilterSet(params, queryset=OwnedNumber.objects.using(SQLITE).order_by("pk")))
    assert on_sqlite == on_postgres and on_postgres


@pytest.mark.parametrize("params", [
    {"country": "US"}, {"country": "US", "capabilities": "sms,fax"}, {"country": "US", "type": "toll_free"},
    {"country": "US", "provider": "didww", "limit": "2"}, {"country": "US", "starts_with": "20"},
    {"country": "GB"}, {"country": "US", "area_code": "201", "ends_with": "1"},
], ids=str)
def test_search_answers_the_same_on_sqlite_in_the_same_order(twin_rows, params):
    on_postgres = pks(AvailableNumberFilterSet(params, queryset=PhoneNumber.objects.sellable()))
    on_sqlite = pks(AvailableNumberFilterSet(params, queryset=PhoneNumber.objects.using(SQLITE).sellable()))
    assert on_sqlite == on_postgres


def test_django_json_contains_is_refused_on_sqlite_which_is_why_the_filters_do_not_use_it(twin_rows):
    with pytest.raises(NotSupportedError):
        list(OwnedNumber.objects.using(SQLITE).filter(tags__contains=["vip"]))
    query = OwnedNumber.objects.using(SQLITE).filter(JSONArrayContains(F("tags"), ["vip", "eu"])).query
    sql, params = query.get_compiler(using=SQLITE).as_sql()
    assert sql.count("EXISTS (SELECT 1 FROM json_each(") == 2 and list(params) == ["vip", "eu"]
