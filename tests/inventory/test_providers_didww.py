"""The DIDWW adapter against recorded DIDWW API v3 (JSON:API) responses on a local server."""
from __future__ import annotations

import pytest

from inventory.providers import get_adapter
from inventory.providers.didww import API_VERSION, DidwwAdapter
from orbit_numbers.errors import ProviderError
from tests.httpstub import Reply, fixture

GB = "b6fa8a7e-7c04-4b2e-8d4c-5d0f1f0a3c11"
AVAILABLE = "a1b2c3d4-0000-4000-8000-000000000001"
DID = "9df99644-f1a5-4a3c-99a4-559d758eb96b"


@pytest.fixture
def didww(stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "DIDWW_BASE_URL": f"{stub_server.url}/v3", "DIDWW_API_KEY": "DKEY",
                      "HTTP_TIMEOUT_SECONDS": 2, "HTTP_MAX_RETRIES": 2, "HTTP_BACKOFF_SECONDS": 0.01,
                      "HTTP_MAX_BACKOFF_SECONDS": 0.02,
                      "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"], "didww": "didww"}}
    adapter = get_adapter("didww")
    assert isinstance(adapter, DidwwAdapter)
    return adapter


def test_search_inventory_reads_jsonapi_includes(didww, stub_server):
    stub_server.on("GET", "/v3/countries", Reply(200, fixture("didww/countries_gb.json")))
    stub_server.on("GET", "/v3/available_dids", Reply(200, fixture("didww/available_dids.json")))
    offers = didww.search_inventory(country="gb", limit=10)
    countries, available = stub_server.requests
    assert countries.query == {"filter[iso]": ["GB"]}
    assert available.headers["Api-Key"] == "DKEY" and available.headers["X-DIDWW-API-Version"] == API_VERSION
    assert available.headers["Accept"] == "application/vnd.api+json"
    assert available.query["filter[country.id]"] == [GB]
    assert available.query["include"] == ["did_group.stock_keeping_units,did_group.did_group_type"]
    local, mobile = offers
    assert local.e164 == "+442079460123" and local.provider_ref == AVAILABLE and local.line_type == "local"
    assert local.capabilities == ("voice", "fax", "sms") and local.sms_two_way is False
    assert local.monthly_cents == 90 and local.setup_cents == 0  # the cheapest SKU of the group
    assert local.region == "London" and local.area_code == "20"
    assert mobile.line_type == "mobile" and mobile.monthly_cents == 300
    assert [o.e164 for o in didww.search_inventory(country="GB", line_type="mobile")] == ["+447700900123"]


def test_search_in_an_uncovered_country(didww, stub_server):
    stub_server.on("GET", "/v3/countries", Reply(200, fixture("didww/countries_empty.json")))
    with pytest.raises(ProviderError) as caught:
        didww.search_inventory(country="AQ")
    assert caught.value.provider_code == "COUNTRY_NOT_COVERED"


def test_order_number_uses_the_cheapest_sku(didww, stub_server):
    stub_server.on("GET", f"/v3/available_dids/{AVAILABLE}", Reply(200, fixture("didww/available_did.json")))
    stub_server.on("POST", "/v3/orders", Reply(201, fixture("didww/order_completed.json")))
    order = didww.order_number(e164="+442079460123", provider_ref=AVAILABLE)
    assert order.status == "completed" and order.provider_order_id == "0b2a3ff3-4a3e-4b0f-9a41-71d27d0b7d25"
    body = stub_server.seen("POST", "/v3/orders")[0].json()
    assert body == {"data": {"type": "orders", "attributes": {"allow_back_ordering": False, "items": [
        {"type": "did_order_items", "attributes": {"sku_id": "sku-2", "available_did_id": AVAILABLE}}]}}}
    stub_server.on("POST", "/v3/orders", Reply(201, fixture("didww/order_pending.json")))
    assert didww.order_number(e164="+442079460123", provider_ref=AVAILABLE).status == "pending"


def test_order_of_a_gone_number_is_refused(didww, stub_server):
    stub_server.on("GET", f"/v3/available_dids/{AVAILABLE}", Reply(404, {"errors": [{"title": "not found"}]}))
    with pytest.raises(ProviderError) as caught:
        didww.order_number(e164="+442079460123", provider_ref=AVAILABLE)
    assert caught.value.provider_code == "NUMBER_NOT_ORDERABLE"


def test_order_validation_error_is_mapped(didww, stub_server):
    stub_server.on("GET", f"/v3/available_dids/{AVAILABLE}", Reply(200, fixture("didww/available_did.json")))
    stub_server.on("POST", "/v3/orders", Reply(422, fixture("didww/error_422.json")))
    with pytest.raises(ProviderError) as caught:
        didww.order_number(e164="+442079460123", provider_ref=AVAILABLE)
    assert caught.value.provider_code == "100" and "available_did" in caught.value.message


def test_release_terminates_the_did(didww, stub_server):
    stub_server.on("GET", "/v3/dids", Reply(200, fixture("didww/dids.json")))
    stub_server.on("PATCH", f"/v3/dids/{DID}", Reply(200, fixture("didww/did_terminated.json")))
    didww.release_number(e164="+442079460123", provider_order_id="x")
    assert stub_server.seen("GET", "/v3/dids")[0].query == {"filter[number]": ["442079460123"]}
    assert stub_server.seen("PATCH", f"/v3/dids/{DID}")[0].json() == {
        "data": {"id": DID, "type": "dids", "attributes": {"terminated": True}}}


def test_retry_on_503_and_429(didww, stub_server):
    stub_server.on("GET", "/v3/countries", Reply(503), Reply(429, headers={"Retry-After": "0"}),
                   Reply(200, fixture("didww/countries_gb.json")))
    stub_server.on("GET", "/v3/available_dids", Reply(200, {"data": []}))
    assert didww.search_inventory(country="GB") == []
    assert len(stub_server.seen("GET", "/v3/countries")) == 3


def test_timeout_is_provider_error(didww, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "HTTP_TIMEOUT_SECONDS": 0.2, "HTTP_MAX_RETRIES": 0}
    stub_server.on("GET", "/v3/dids", Reply(200, {"data": []}, delay=1.0))
    with pytest.raises(ProviderError) as caught:
        DidwwAdapter("didww").release_number(e164="+442079460123", provider_order_id="x")
    assert caught.value.provider_code == "UNAVAILABLE" and caught.value.retryable


def test_no_synchronous_portability_check_and_no_porting_api(didww, stub_server):
    [result] = didww.check_portability(numbers=["+442079460123"])
    assert result.check_status == "check-not-supported" and result.eligible is True
    for call in (lambda: didww.create_port_in(numbers=["+442079460123"], details={}),
                 lambda: didww.port_in_status(provider_order_id="x"),
                 lambda: didww.supplement_port_in(provider_order_id="x", details={}),
                 lambda: didww.cancel_port_in(provider_order_id="x"),
                 lambda: didww.create_port_out(numbers=["+442079460123"], details={}),
                 lambda: didww.port_out_status(provider_order_id="x"),
                 lambda: didww.cancel_port_out(provider_order_id="x")):
        with pytest.raises(ProviderError) as caught:
            call()
        assert caught.value.provider_code == "NOT_SUPPORTED" and "DIDWW portal" in caught.value.message
    assert stub_server.requests == []  # none of that needed a call
