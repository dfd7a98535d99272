"""The FilterSets of GET /numbers/porting and GET /numbers/porting/out: each filter, bad values and
unknown parameters (422 with details), and the page size (default 25, at most 100)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from porting.models import PortOutRequest, PortRequest

IN = "/api/v1/numbers/porting"
OUT = "/api/v1/numbers/porting/out"


def submit(client, numbers, **body):
    response = client.post(IN, {"numbers": numbers, "currentCarrier": "Acme", **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]["id"]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["data"]]


def refused(response, parameter: str) -> str:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and parameter in error["details"], error
    return error["details"][parameter]


@pytest.fixture
def port_ins(client, make_client, make_org):
    """Three port-ins of the caller (US with two numbers, GB, no country, cancelled) and one of another tenant."""
    us = submit(client, ["+12015550123", "+12015550124"], country="US")
    gb = submit(client, ["+442079460123"], country="GB")
    loose = submit(client, ["+12015550125"])
    client.delete(f"{IN}/{loose}")
    submit(make_client(make_org("Other")), ["+12015550199"], country="US")
    return {"us": us, "gb": gb, "loose": loose}


def test_port_in_status_filter(client, port_ins):
    assert ids(client.get(IN, {"status": "cancelled"})) == [port_ins["loose"]]
    assert ids(client.get(IN, {"status": "submitted"})) == [port_ins["gb"], port_ins["us"]]
    assert ids(client.get(IN, {"status": "completed"})) == []
    assert "lost" in refused(client.get(IN, {"status": "lost"}), "status")


def test_port_in_country_filter_any_case(client, port_ins):
    assert ids(client.get(IN, {"country": "GB"})) == [port_ins["gb"]]
    assert ids(client.get(IN, {"country": "us"})) == [port_ins["us"]]  # not the other tenant's
    refused(client.get(IN, {"country": "XX"}), "country")
    refused(client.get(IN, {"country": "USA"}), "country")


@pytest.mark.parametrize("value", ["+12015550124", "12015550124", " 12015550124"])  # " …": a "+" not URL-encoded
def test_port_in_phone_number_filter(client, port_ins, value):
    assert ids(client.get(IN, {"phone_number": value})) == [port_ins["us"]]


def test_port_in_phone_number_filter_refuses_what_is_not_e164(client, port_ins):
    assert ids(client.get(IN, {"phone_number": "+12015550199"})) == []  # another tenant's port
    assert "E.164" in refused(client.get(IN, {"phone_number": "call-me"}), "phone_number")
    refused(client.get(IN, {"phone_number": "+1201555012"}), "phone_number")  # too short: not a real number


def test_port_in_created_range(client, port_ins):
    now = timezone.now()
    PortRequest.objects.filter(pk=port_ins["us"]).update(created_at=now - timedelta(days=10))
    PortRequest.objects.filter(pk=port_ins["gb"]).update(created_at=now - timedelta(days=5))
    week_ago = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(IN, {"created_before": week_ago})) == [port_ins["us"]]
    assert ids(client.get(IN, {"created_after": week_ago})) == [port_ins["loose"], port_ins["gb"]]
    day = (now - timedelta(days=4)).date().isoformat()  # a date alone is its midnight (UTC)
    assert ids(client.get(IN, {"created_after": week_ago, "created_before": day})) == [port_ins["gb"]]
    refused(client.get(IN, {"created_after": "last tuesday"}), "created_after")


def test_filters_combine_and_pages_keep_them(client, port_ins):
    assert ids(client.get(IN, {"country": "US", "status": "cancelled"})) == []
    first = client.get(IN, {"status": "submitted", "limit": 1})
    assert ids(first) == [port_ins["gb"]]
    cursor = first.json()["meta"]["pagination"]["cursor"]
    assert ids(client.get(IN, {"status": "submitted", "limit": 1, "cursor": cursor})) == [port_ins["us"]]
    # A cursor belongs to the listing that issued it.
    refused(client.get(IN, {"status": "cancelled", "limit": 1, "cursor": cursor}), "cursor")


@pytest.mark.parametrize("url", [IN, OUT])
def test_unknown_and_empty_parameters_are_422(client, url):
    assert refused(client.get(url, {"colour": "red"}), "colour") == "unknown query parameter"
    assert refused(client.get(url, {"status": ""}), "status") == "must not be empty"
    assert client.get(url, {"cursor": ""}).status_code == 200  # an empty cursor is the first page


@pytest.mark.parametrize("url", [IN, OUT])
def test_page_size_is_25_by_default_and_at_most_100(client, url, org):
    if url == IN:
        PortRequest.objects.bulk_create([PortRequest(organization=org, numbers=[f"+1201555{n:04d}"],
                                                     current_carrier="Acme") for n in range(26)])
    else:
        PortOutRequest.objects.bulk_create([PortOutRequest(organization=org, provider="telnyx") for _ in range(26)])
    page = client.get(url)
    assert len(page.json()["data"]) == 25 and page.json()["meta"]["pagination"]["has_more"] is True
    assert len(client.get(url, {"limit": 100}).json()["data"]) == 26
    refused(client.get(url, {"limit": 101}), "limit")
    refused(client.get(url, {"limit": 0}), "limit")


# ----------------------------------------------------------------------------------- port-out

@pytest.fixture
def port_outs(client, org, own_number, make_client, make_org, slow_carrier):
    first, second, third = own_number(org), own_number(org), own_number(org)
    pending = client.post(OUT, {"numbers": [first.e164, second.e164], "destinationCarrier": "V"},
                          format="json").json()["data"]["id"]
    cancelled = client.post(OUT, {"numbers": [third.e164], "destinationCarrier": "V"},
                            format="json").json()["data"]["id"]
    assert client.delete(f"{OUT}/{cancelled}").status_code == 200
    other = make_org("Other", credit_cents=10_00)
    theirs = own_number(other)
    make_client(other).post(OUT, {"numbers": [theirs.e164], "destinationCarrier": "V"}, format="json")
    return {"pending": pending, "cancelled": cancelled, "numbers": (first, second, third), "theirs": theirs}


def test_port_out_status_filter(client, port_outs):
    assert ids(client.get(OUT, {"status": "pending"})) == [port_outs["pending"]]
    assert ids(client.get(OUT, {"status": "cancelled"})) == [port_outs["cancelled"]]
    assert ids(client.get(OUT)) == [port_outs["cancelled"], port_outs["pending"]]
    refused(client.get(OUT, {"status": "submitted"}), "status")  # a port-in status, not a port-out one


def test_port_out_phone_number_and_created_range(client, port_outs):
    first, second, third = port_outs["numbers"]
    assert ids(client.get(OUT, {"phone_number": second.e164})) == [port_outs["pending"]]
    assert ids(client.get(OUT, {"phone_number": third.e164})) == [port_outs["cancelled"]]
    assert ids(client.get(OUT, {"phone_number": port_outs["theirs"].e164})) == []
    PortOutRequest.objects.filter(pk=port_outs["pending"]).update(created_at=timezone.now() - timedelta(days=3))
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(OUT, {"created_before": yesterday})) == [port_outs["pending"]]
    assert ids(client.get(OUT, {"created_after": yesterday})) == [port_outs["cancelled"]]
    refused(client.get(OUT, {"country": "US"}), "country")  # port-outs have no country filter


def test_the_schema_documents_the_filters(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, expected in ((IN, {"status", "country", "phone_number", "created_after", "created_before"}),
                           (OUT, {"status", "phone_number", "created_after", "created_before"})):
        query = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert set(query) == expected | {"cursor", "limit"}, path
        assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    statuses = {p["name"]: p for p in schema["paths"][IN]["get"]["parameters"]}["status"]["schema"]["enum"]
    assert set(statuses) == {"submitted", "validating_loa", "carrier_review", "foc_assigned", "foc_scheduled",
                             "completed", "rejected", "cancelled"}
