"""GET /numbers/available, /numbers/available/countries and /numbers/country-capabilities."""
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import InventoryStatus

SEARCH = "/api/v1/numbers/available"
COUNTRIES = "/api/v1/numbers/available/countries"
CAPABILITIES = "/api/v1/numbers/country-capabilities"


def numbers_of(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["phoneNumber"] for item in response.json()["data"]["numbers"]]


def assert_422(response, field: str, *words: str) -> str:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"], error
    for word in words:
        assert word in error["details"][field], error
    return error["details"][field]


# --- response shape -------------------------------------------------------------------------

def test_search_response_is_data_numbers_with_the_overview_item_shape(client, make_number):
    make_number("US", e164="+14155550100", provider="didww", provider_ref="didww-77", monthly_cents=150,
                setup_cents=0, activation_hours=None, region="California", cap_fax=True)
    make_number("US", e164="+14155550101", monthly_cents=275, setup_cents=1000, activation_hours=48)

    response = client.get(SEARCH, {"country": "US"})

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"data", "meta"} and body["meta"]["request_id"]
    assert isinstance(body["data"], dict)
    first, second = body["data"]["numbers"]
    assert first == {
        "id": "didww-77", "phoneNumber": "+14155550100", "capabilities": ["sms", "mms", "voice", "fax"],
        "sms_two_way": True, "monthlyRate": 1.5, "provider": "didww", "country": "US", "type": "local",
        "region": "California",
    }  # no setupRate (no setup charge), no expectedActivation (unknown)
    assert second["monthlyRate"] == 2.75 and second["setupRate"] == 10.0
    assert second["expectedActivation"] == {"hours": 48}
    assert isinstance(second["monthlyRate"], float)


def test_search_orders_cheapest_first(client, make_number):
    make_number("US", e164="+14155550102", monthly_cents=500)
    make_number("US", e164="+14155550103", monthly_cents=100)
    make_number("US", e164="+14155550104", monthly_cents=300)
    assert numbers_of(client.get(SEARCH, {"country": "US"})) == ["+14155550103", "+14155550104", "+14155550102"]


def test_search_offers_only_available_rows_that_are_not_aging(client, make_number):
    now = timezone.now()
    make_number("US", e164="+14155550110")
    make_number("US", e164="+14155550111", status=InventoryStatus.RESERVED)
    make_number("US", e164="+14155550112", status=InventoryStatus.ASSIGNED)
    make_number("US", e164="+14155550113", aging_until=now + timedelta(days=3))
    make_number("US", e164="+14155550114", aging_until=now - timedelta(minutes=1))
    make_number("GB", "mobile")
    assert sorted(numbers_of(client.get(SEARCH, {"country": "us"}))) == ["+14155550110", "+14155550114"]


# --- filters --------------------------------------------------------------------------------

def test_search_filters_by_type(client, make_number):
    local = make_number("US", "local")
    toll_free = make_number("US", "toll_free")
    assert numbers_of(client.get(SEARCH, {"country": "US", "type": "toll_free"})) == [toll_free.e164]
    assert numbers_of(client.get(SEARCH, {"country": "US", "type": "local"})) == [local.e164]
    assert numbers_of(client.get(SEARCH, {"country": "US", "type": "mobile"})) == []


def test_search_filters_by_every_capability_listed(client, make_number):
    sms_only = make_number("US", cap_sms=True, cap_mms=False, cap_voice=False, sms_two_way=True)
    voice_only = make_number("US", cap_sms=False, cap_mms=False, cap_voice=True, sms_two_way=False)
    everything = make_number("US", cap_fax=True)
    assert sorted(numbers_of(client.get(SEARCH, {"country": "US", "capabilities": "sms"}))) == sorted(
        [sms_only.e164, everything.e164])
    assert numbers_of(client.get(SEARCH, {"country": "US", "capabilities": "sms, voice,fax"})) == [everything.e164]
    assert sorted(numbers_of(client.get(SEARCH, {"country": "US", "capabilities": "voice"}))) == sorted(
        [voice_only.e164, everything.e164])
    assert numbers_of(client.get(SEARCH, {"country": "US", "capabilities": "mms,fax"})) == [everything.e164]


def test_search_filters_by_area_code_provider_and_digit_patterns(client, make_number):
    a = make_number("US", e164="+14155551234", provider="telnyx")
    b = make_number("US", e164="+16465554321", provider="didww")
    c = make_number("US", e164="+14155559876", provider="devotel")
    assert sorted(numbers_of(client.get(SEARCH, {"country": "US", "area_code": "415"}))) == sorted([a.e164, c.e164])
    assert numbers_of(client.get(SEARCH, {"country": "US", "provider": "didww"})) == [b.e164]
    assert numbers_of(client.get(SEARCH, {"country": "US", "contains": "1234"})) == [a.e164]
    assert numbers_of(client.get(SEARCH, {"country": "US", "starts_with": "646"})) == [b.e164]
    assert numbers_of(client.get(SEARCH, {"country": "US", "ends_with": "9876"})) == [c.e164]
    # Patterns apply to the national digits: the country code is not part of them.
    assert numbers_of(client.get(SEARCH, {"country": "US", "starts_with": "1415"})) == []
    assert numbers_of(client.get(SEARCH, {"country": "US", "starts_with": "415", "ends_with": "1234"})) == [a.e164]


def test_search_limit_defaults_to_100_and_caps_at_500(client, make_number):
    for _ in range(102):
        make_number("US")
    assert len(numbers_of(client.get(SEARCH, {"country": "US"}))) == 100
    assert len(numbers_of(client.get(SEARCH, {"country": "US", "limit": "3"}))) == 3
    assert len(numbers_of(client.get(SEARCH, {"country": "US", "limit": "500"}))) == 102
    assert_422(client.get(SEARCH, {"country": "US", "limit": "501"}), "limit", "500")
    assert_422(client.get(SEARCH, {"country": "US", "limit": "0"}), "limit")
    assert_422(client.get(SEARCH, {"country": "US", "limit": "ten"}), "limit")


# --- bad input ------------------------------------------------------------------------------

def test_country_is_required_and_must_be_a_known_iso_code(client):
    assert_422(client.get(SEARCH), "country", "required")
    assert_422(client.get(SEARCH, {"country": "XX"}), "country", "ISO")
    assert_422(client.get(SEARCH, {"country": "USA"}), "country")
    assert_422(client.get(SEARCH, {"country": ""}), "country")


def test_short_code_type_is_refused_with_the_reason(client):
    message = assert_422(client.get(SEARCH, {"country": "US", "type": "short_code"}), "type")
    assert "short codes are not available for search or purchase" in message
    assert_422(client.get(SEARCH, {"country": "US", "type": "landline"}), "type", "local")


@pytest.mark.parametrize("value", ["whatsapp", "rcs", "sms,whatsapp"])
def test_purchase_time_capabilities_are_not_search_filters(client, value):
    message = assert_422(client.get(SEARCH, {"country": "US", "capabilities": value}), "capabilities")
    assert "purchase" in message


@pytest.mark.parametrize("value", ["telepathy", "sms,,voice", ","])
def test_unknown_or_empty_capabilities_are_refused(client, value):
    assert_422(client.get(SEARCH, {"country": "US", "capabilities": value}), "capabilities")


@pytest.mark.parametrize("param", ["contains", "starts_with", "ends_with", "area_code"])
@pytest.mark.parametrize("value", ["55a", "+1415", "555 0", "-1"])
def test_patterns_must_be_digits_only(client, param, value):
    assert_422(client.get(SEARCH, {"country": "US", param: value}), param, "digits")


def test_unknown_provider_and_unknown_parameters_are_refused(client):
    assert_422(client.get(SEARCH, {"country": "US", "provider": "twilio"}), "provider", "devotel")
    assert_422(client.get(SEARCH, {"country": "US", "areacode": "415"}), "areacode", "unknown")


# --- countries and capabilities -------------------------------------------------------------

def test_available_countries_counts_searchable_stock_per_line_type(client, make_number):
    make_number("US", "local")
    make_number("US", "local")
    make_number("US", "toll_free")
    make_number("US", "local", status=InventoryStatus.ASSIGNED)
    make_number("DE", "local")
    make_number("FR", "local", aging_until=timezone.now() + timedelta(days=1))

    response = client.get(COUNTRIES)

    assert response.status_code == 200
    assert response.json()["data"]["countries"] == [
        {"country": "DE", "count": 1, "line_types": {"local": 1, "mobile": 0, "toll_free": 0}},
        {"country": "US", "count": 3, "line_types": {"local": 2, "mobile": 0, "toll_free": 1}},
    ]
    assert_422(client.get(COUNTRIES, {"country": "US"}), "country", "unknown")


def test_country_capabilities_reports_two_way_sms_and_toll_free_sms_as_send_only(client, make_number):
    make_number("US", "local", cap_fax=True)                               # sms(2-way) mms voice fax
    make_number("US", "local", cap_sms=True, sms_two_way=False, cap_mms=False)  # sms one-way, voice
    make_number("US", "toll_free")                                         # sms send-only, voice
    make_number("US", "toll_free", cap_sms=False, sms_two_way=False)       # voice only
    make_number("GB", "mobile")
    make_number("US", "local", status=InventoryStatus.RESERVED)            # not searchable: not counted

    response = client.get(CAPABILITIES)

    assert response.status_code == 200
    countries = {entry["country"]: entry for entry in response.json()["data"]["countries"]}
    assert set(countries) == {"GB", "US"}
    us = countries["US"]
    assert us["total"] == 4 and us["two_way_sms"] == 1 and us["toll_free_sms_send_only"] == 1
    assert us["line_types"]["local"] == {"total": 2, "sms": 2, "mms": 1, "voice": 2, "fax": 1, "two_way_sms": 1}
    assert us["line_types"]["toll_free"] == {"total": 2, "sms_send_only": 1, "mms": 0, "voice": 2, "fax": 0,
                                             "two_way_sms": 0}
    assert countries["GB"]["line_types"]["mobile"]["two_way_sms"] == 1


def test_country_capabilities_filters_by_country(client, make_number):
    make_number("US")
    make_number("GB", "mobile")
    response = client.get(CAPABILITIES, {"country": "gb"})
    assert [entry["country"] for entry in response.json()["data"]["countries"]] == ["GB"]
    assert client.get(CAPABILITIES, {"country": "NL"}).json()["data"]["countries"] == []
    assert_422(client.get(CAPABILITIES, {"country": "ZZ"}), "country")


def test_summaries_are_one_aggregate_query(client, make_number, django_assert_max_num_queries):
    for country in ("US", "GB", "DE", "FR"):
        make_number(country, "local")
    # Auth + rate limit touch the database too; what matters is that the count does not grow with rows.
    with django_assert_max_num_queries(4) as captured:
        client.get(CAPABILITIES)
    assert sum("GROUP BY" in q["sql"] for q in captured.captured_queries) == 1


# --- auth -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [SEARCH + "?country=US", COUNTRIES, CAPABILITIES])
def test_search_endpoints_need_a_key_and_numbers_read(url, make_client, org):
    from rest_framework.test import APIClient

    response = APIClient().get(url)
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"
    response = make_client(org, scopes=["numbers:write", "billing:read"]).get(url)
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    assert make_client(org, scopes=["numbers:read"], bearer=True).get(url).status_code == 200
