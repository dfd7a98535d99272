"""The Telnyx adapter against recorded Telnyx v2 responses served by a local HTTP server:
request shapes, response mapping, retries on 429/503 with backoff, timeouts, error mapping."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest

from inventory.providers import get_adapter
from inventory.providers.http import CarrierHttpClient
from inventory.providers.telnyx import TelnyxAdapter
from orbit_numbers.errors import ProviderError
from tests.httpstub import Reply, fixture

ORDER = "eef10fb8-f3df-4c67-97c5-e18179723222"


@pytest.fixture
def telnyx(stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "TELNYX_BASE_URL": f"{stub_server.url}/v2", "TELNYX_API_KEY": "KEY123",
                      "HTTP_TIMEOUT_SECONDS": 2, "HTTP_MAX_RETRIES": 3, "HTTP_BACKOFF_SECONDS": 0.01,
                      "HTTP_MAX_BACKOFF_SECONDS": 0.05,
                      "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"], "telnyx": "telnyx"}}
    adapter = get_adapter("telnyx")
    assert isinstance(adapter, TelnyxAdapter)
    return adapter


def test_search_inventory_maps_offers(telnyx, stub_server):
    stub_server.on("GET", "/v2/available_phone_numbers", Reply(200, fixture("telnyx/available_phone_numbers.json")))
    offers = telnyx.search_inventory(country="us", line_type="local", limit=2)
    [sent] = stub_server.requests
    assert sent.headers["Authorization"] == "Bearer KEY123"
    assert sent.query == {"filter[country_code]": ["US"], "filter[limit]": ["2"],
                          "filter[phone_number_type]": ["local"]}
    first, second = offers
    assert first.e164 == "+13125550123" and first.provider_ref == "+13125550123" and first.country == "US"
    assert first.capabilities == ("sms", "mms", "voice", "fax") and first.sms_two_way is True
    assert first.monthly_cents == 120 and first.setup_cents == 100
    assert first.region == "CHICAGO HEIGHTS" and first.area_code == "312"
    assert second.capabilities == ("voice",) and second.sms_two_way is False and second.region == "IL"


def test_order_and_release(telnyx, stub_server):
    stub_server.on("POST", "/v2/number_orders", Reply(200, fixture("telnyx/number_order.json")))
    order = telnyx.order_number(e164="+13125550123", provider_ref="+13125550123")
    assert order.status == "completed" and order.provider_order_id == "12ade33a-21c0-473b-b055-b3c836e1c292"
    assert stub_server.seen("POST", "/v2/number_orders")[0].json() == {
        "phone_numbers": [{"phone_number": "+13125550123"}]}

    stub_server.on("GET", "/v2/phone_numbers", Reply(200, fixture("telnyx/phone_numbers.json")))
    stub_server.on("DELETE", "/v2/phone_numbers/1293384261075731499", Reply(200, {"data": {}}))
    telnyx.release_number(e164="+13125550123", provider_order_id=order.provider_order_id)
    assert stub_server.seen("GET", "/v2/phone_numbers")[0].query == {"filter[phone_number]": ["+13125550123"]}
    assert len(stub_server.seen("DELETE", "/v2/phone_numbers/1293384261075731499")) == 1


def test_list_number_orders_reads_every_page(telnyx, stub_server):
    stub_server.on("GET", "/v2/number_orders", Reply(200, fixture("telnyx/number_orders_page1.json")),
                   Reply(200, fixture("telnyx/number_orders_page2.json")))
    orders = telnyx.list_number_orders(since=datetime(2026, 11, 22, 4, 0, tzinfo=dt_timezone(timedelta(hours=-5))))

    first, second = stub_server.seen("GET", "/v2/number_orders")
    assert first.query == {"filter[created_at][gt]": ["2026-11-22T09:00:00Z"], "page[number]": ["1"],
                           "page[size]": ["250"]}
    assert second.query["page[number]"] == ["2"]
    assert [(o.provider_order_id, o.e164, o.status) for o in orders] == [
        ("12ade33a-21c0-473b-b055-b3c836e1c292", "+13125550123", "active"),
        ("4d8ae4b1-5c0a-4a8e-9d55-2a5b7e7b1c10", "+13125550124", "failed"),
        ("9f0c5a77-61a4-4c1e-b7a2-6f1d2b3c4d5e", "+13125550125", "active"),
    ]
    assert orders[0].created_at == datetime(2026, 11, 22, 10, 0, tzinfo=dt_timezone.utc)


def test_failed_number_order_is_provider_error(telnyx, stub_server):
    body = fixture("telnyx/number_order.json")
    body["data"]["status"] = "failure"
    stub_server.on("POST", "/v2/number_orders", Reply(200, body))
    with pytest.raises(ProviderError) as caught:
        telnyx.order_number(e164="+13125550123", provider_ref="+13125550123")
    assert caught.value.provider_code == "NUMBER_NOT_ORDERABLE"


def test_portability_check_maps_results(telnyx, stub_server):
    stub_server.on("POST", "/v2/portability_checks", Reply(201, fixture("telnyx/portability_checks.json")))
    ok, blocked, split = telnyx.check_portability(numbers=["+12125558724", "+13125552486", "+13125552487"])
    assert stub_server.seen("POST", "/v2/portability_checks")[0].json() == {
        "phone_numbers": ["+12125558724", "+13125552486", "+13125552487"]}
    assert ok.eligible and ok.fast_portable is True and ok.check_status == "checked" and ok.reasons == []
    assert not blocked.eligible and "no coverage" in blocked.reasons[0]
    assert split.eligible and split.splittable is True


def test_create_port_in_uploads_loa_fills_and_confirms(telnyx, stub_server):
    stub_server.on("POST", "/v2/documents", Reply(200, fixture("telnyx/document.json")))
    stub_server.on("POST", "/v2/porting_orders", Reply(201, fixture("telnyx/porting_order_draft.json")))
    stub_server.on("PATCH", f"/v2/porting_orders/{ORDER}", Reply(200, fixture("telnyx/porting_order_submitted.json")))
    stub_server.on("POST", f"/v2/porting_orders/{ORDER}/actions/confirm",
                   Reply(200, fixture("telnyx/porting_order_submitted.json")))
    order = telnyx.create_port_in(numbers=["+13035550000"], details={
        "customer_reference": "port_x", "account_number": "ACC-1", "account_pin": "1234",
        "authorized_signer": "Jo Doe", "current_carrier": "Unreal",
        "service_address": {"line1": "600 Congress Ave", "line2": "14th Floor", "city": "Austin", "state": "TX",
                            "postalCode": "78701", "countryCode": "US"},
        "loa": {"filename": "loa.pdf", "content_type": "application/pdf", "data": b"%PDF-1.4 test"}})
    assert order.provider_order_id == ORDER and order.status == "carrier_review"
    assert str(order.foc_date) == "2026-12-01"
    document = stub_server.seen("POST", "/v2/documents")[0].json()
    assert base64.b64decode(document["file"]) == b"%PDF-1.4 test" and document["filename"] == "loa.pdf"
    assert stub_server.seen("POST", "/v2/porting_orders")[0].json() == {
        "phone_numbers": ["+13035550000"], "customer_reference": "port_x"}
    patch = stub_server.seen("PATCH", f"/v2/porting_orders/{ORDER}")[0].json()
    assert patch["documents"] == {"loa": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"}
    assert patch["end_user"]["admin"] == {"entity_name": "Jo Doe", "auth_person_name": "Jo Doe",
                                          "account_number": "ACC-1", "pin_passcode": "1234"}
    assert patch["end_user"]["location"]["locality"] == "Austin"
    assert patch["end_user"]["location"]["postal_code"] == "78701"


def test_split_port_orders_are_deleted_and_refused(telnyx, stub_server):
    stub_server.on("POST", "/v2/porting_orders", Reply(201, fixture("telnyx/porting_order_split.json")))
    stub_server.on("DELETE", f"/v2/porting_orders/{ORDER}", Reply(204))
    stub_server.on("DELETE", "/v2/porting_orders/11111111-2222-3333-4444-555555555555", Reply(204))
    with pytest.raises(ProviderError) as caught:
        telnyx.create_port_in(numbers=["+13035550000", "+13035550001"], details={})
    assert caught.value.provider_code == "PORTING_ORDER_SPLIT_REQUIRED"
    assert len([r for r in stub_server.requests if r.method == "DELETE"]) == 2


@pytest.mark.parametrize("name,status,extra", [
    ("porting_order_submitted.json", "carrier_review", {}),
    ("porting_order_foc_assigned.json", "foc_assigned", {"foc_date": "2026-12-02"}),
    ("porting_order_foc_confirmed.json", "foc_scheduled", {"foc_date": "2026-12-02"}),
    ("porting_order_ported.json", "completed", {}),
    ("porting_order_exception.json", "rejected", {"reject_code": "ACCOUNT_NUMBER_MISMATCH"}),
    ("porting_order_cancel_pending.json", "cancelled", {}),
])
def test_port_in_status_mapping(telnyx, stub_server, name, status, extra):
    stub_server.on("GET", f"/v2/porting_orders/{ORDER}", Reply(200, fixture(f"telnyx/{name}")))
    order = telnyx.port_in_status(provider_order_id=ORDER)
    assert order.status == status
    if "foc_date" in extra:
        assert str(order.foc_date) == extra["foc_date"]
    if "reject_code" in extra:
        assert order.reject_code == extra["reject_code"] and "account number" in order.reject_reason


def test_supplement_and_cancel(telnyx, stub_server):
    stub_server.on("PATCH", f"/v2/porting_orders/{ORDER}", Reply(200, fixture("telnyx/porting_order_submitted.json")))
    stub_server.on("POST", f"/v2/porting_orders/{ORDER}/actions/confirm",
                   Reply(200, fixture("telnyx/porting_order_submitted.json")))
    stub_server.on("POST", f"/v2/porting_orders/{ORDER}/actions/cancel",
                   Reply(200, fixture("telnyx/porting_order_cancel_pending.json")))
    order = telnyx.supplement_port_in(provider_order_id=ORDER, details={"account_number": "FIXED"})
    assert order.provider_order_id == ORDER and order.status == "carrier_review"
    assert stub_server.seen("PATCH", f"/v2/porting_orders/{ORDER}")[0].json()["end_user"]["admin"][
        "account_number"] == "FIXED"
    telnyx.cancel_port_in(provider_order_id=ORDER)
    assert len(stub_server.seen("POST", f"/v2/porting_orders/{ORDER}/actions/cancel")) == 1


def test_port_out_authorises_the_pending_portout(telnyx, stub_server):
    portout = "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"
    stub_server.on("GET", "/v2/portouts", Reply(200, fixture("telnyx/portouts_pending.json")))
    stub_server.on("PATCH", f"/v2/portouts/{portout}/authorized", Reply(200, fixture("telnyx/portout_authorized.json")))
    order = telnyx.create_port_out(numbers=["+13125550123"], details={"authorized_person": "Jo",
                                                                       "customer_reference": "pout_1"})
    assert order.provider_order_id == portout and order.status == "foc_scheduled"
    assert str(order.foc_date) == "2026-12-05"
    assert stub_server.seen("GET", "/v2/portouts")[0].query == {"filter[phone_number]": ["+13125550123"],
                                                                "filter[status]": ["pending"]}
    assert "Jo" in stub_server.seen("PATCH", f"/v2/portouts/{portout}/authorized")[0].json()["reason"]

    stub_server.on("GET", f"/v2/portouts/{portout}", Reply(200, fixture("telnyx/portout_ported.json")),
                   Reply(200, fixture("telnyx/portout_rejected.json")))
    assert telnyx.port_out_status(provider_order_id=portout).status == "completed"
    rejected = telnyx.port_out_status(provider_order_id=portout)
    assert rejected.status == "rejected" and rejected.reject_code == "1002"
    stub_server.on("PATCH", f"/v2/portouts/{portout}/rejected-pending", Reply(200, fixture("telnyx/portout_rejected.json")))
    telnyx.cancel_port_out(provider_order_id=portout)
    assert len(stub_server.seen("PATCH", f"/v2/portouts/{portout}/rejected-pending")) == 1


def test_port_out_without_a_pending_portout_is_refused(telnyx, stub_server):
    stub_server.on("GET", "/v2/portouts", Reply(200, {"data": []}))
    with pytest.raises(ProviderError) as caught:
        telnyx.create_port_out(numbers=["+13125550199"], details={})
    assert caught.value.provider_code == "PORTOUT_NOT_FOUND"


def test_retries_503_and_429_then_succeeds(telnyx, stub_server):
    stub_server.on("POST", "/v2/portability_checks", Reply(503, {"errors": [{"code": "90001"}]}),
                   Reply(429, {"errors": [{"code": "10011"}]}, headers={"Retry-After": "0"}),
                   Reply(201, fixture("telnyx/portability_checks.json")))
    results = telnyx.check_portability(numbers=["+12125558724"])
    assert len(stub_server.seen("POST", "/v2/portability_checks")) == 3 and results


def test_gives_up_after_max_retries(telnyx, stub_server):
    stub_server.on("GET", f"/v2/porting_orders/{ORDER}", Reply(503, {"errors": [{"code": "90001",
                                                                                "detail": "maintenance"}]}))
    with pytest.raises(ProviderError) as caught:
        telnyx.port_in_status(provider_order_id=ORDER)
    assert len(stub_server.seen("GET", f"/v2/porting_orders/{ORDER}")) == 4  # 1 try + 3 retries
    assert caught.value.retryable and caught.value.provider_code == "90001" and "maintenance" in caught.value.message


def test_post_is_not_retried_after_a_500(telnyx, stub_server):
    stub_server.on("POST", "/v2/number_orders", Reply(500, {"errors": [{"code": "10007"}]}))
    with pytest.raises(ProviderError):
        telnyx.order_number(e164="+13125550123", provider_ref="+13125550123")
    assert len(stub_server.seen("POST", "/v2/number_orders")) == 1  # the order might exist: never place it twice


def test_client_errors_map_to_provider_error_without_retry(telnyx, stub_server):
    stub_server.on("POST", "/v2/portability_checks", Reply(422, fixture("telnyx/error_422.json")))
    with pytest.raises(ProviderError) as caught:
        telnyx.check_portability(numbers=["+1"])
    assert caught.value.provider_code == "10015" and "invalid" in caught.value.message
    assert not caught.value.retryable and len(stub_server.requests) == 1


def test_timeouts_become_provider_errors(telnyx, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "HTTP_TIMEOUT_SECONDS": 0.2, "HTTP_MAX_RETRIES": 1}
    adapter = TelnyxAdapter("telnyx")
    stub_server.on("GET", f"/v2/porting_orders/{ORDER}", Reply(200, {"data": {}}, delay=1.0))
    with pytest.raises(ProviderError) as caught:
        adapter.port_in_status(provider_order_id=ORDER)
    assert caught.value.provider_code == "UNAVAILABLE" and "timed out" in caught.value.message
    assert len(stub_server.seen("GET", f"/v2/porting_orders/{ORDER}")) == 2  # GET is retried once


def test_post_read_timeout_is_not_retried(telnyx, stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "HTTP_TIMEOUT_SECONDS": 0.2}
    adapter = TelnyxAdapter("telnyx")
    stub_server.on("POST", "/v2/portability_checks", Reply(201, {"data": []}, delay=1.0))
    with pytest.raises(ProviderError):
        adapter.check_portability(numbers=["+12125558724"])
    assert len(stub_server.seen("POST", "/v2/portability_checks")) == 1


def test_unreachable_carrier_is_retried_then_unavailable(settings):
    settings.ORBIT = {**settings.ORBIT, "HTTP_TIMEOUT_SECONDS": 0.5, "HTTP_MAX_RETRIES": 2,
                      "HTTP_BACKOFF_SECONDS": 0.01, "HTTP_MAX_BACKOFF_SECONDS": 0.01}
    sleeps = []
    client = CarrierHttpClient(provider="telnyx", base_url="http://127.0.0.1:9/v2", headers={}, sleep=sleeps.append)
    with pytest.raises(ProviderError) as caught:
        client.request("POST", "/portability_checks", json={})
    assert caught.value.provider_code == "UNAVAILABLE" and len(sleeps) == 2  # connect errors are safe to retry


def test_backoff_grows_and_honours_retry_after(stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "HTTP_MAX_RETRIES": 3, "HTTP_BACKOFF_SECONDS": 1,
                      "HTTP_MAX_BACKOFF_SECONDS": 5}
    sleeps = []
    client = CarrierHttpClient(provider="telnyx", base_url=stub_server.url, headers={}, sleep=sleeps.append)
    stub_server.on("GET", "/x", Reply(503), Reply(503), Reply(429, headers={"Retry-After": "4"}), Reply(200, {"ok": 1}))
    assert client.request("GET", "/x") == {"ok": 1}
    assert sleeps == [1, 2, 4]  # 1×2^0, 1×2^1, then Retry-After (4) over 1×2^2
    stub_server.on("GET", "/y", Reply(429, headers={"Retry-After": "60"}), Reply(200, {}))
    sleeps.clear()
    client.request("GET", "/y")
    assert sleeps == [5]  # capped


def test_simulator_is_the_default_backend(settings):
    from inventory.providers.simulator import SimulatorAdapter

    assert isinstance(get_adapter("telnyx"), SimulatorAdapter)


def test_find_port_in_by_reference_removes_unconfirmed_drafts(telnyx, stub_server):
    draft = {"id": "draft-1", "status": {"value": "draft"}, "customer_reference": "port_1"}
    confirmed = {"id": ORDER, "status": {"value": "in-process"}, "customer_reference": "port_1"}
    stub_server.on("GET", "/v2/porting_orders", Reply(200, {"data": [draft, confirmed]}), Reply(200, {"data": [draft]}))
    stub_server.on("DELETE", "/v2/porting_orders/draft-1", Reply(204))
    found = telnyx.find_port_in(customer_reference="port_1")
    assert found.provider_order_id == ORDER and found.status == "carrier_review"
    assert stub_server.seen("GET", "/v2/porting_orders")[0].query == {"filter[customer_reference]": ["port_1"]}
    assert telnyx.find_port_in(customer_reference="port_1") is None  # only a draft: no order
    assert len(stub_server.seen("DELETE", "/v2/porting_orders/draft-1")) == 2


def test_find_port_out_by_the_reference_in_our_authorisation(telnyx, stub_server):
    ours = {"id": "po-1", "status": "authorized", "phone_numbers": ["+13125550123"],
            "reason": "Authorized by Jo (Orbit pout_1)"}
    other = {"id": "po-2", "status": "pending", "phone_numbers": ["+13125550123"], "reason": None}
    stub_server.on("GET", "/v2/portouts", Reply(200, {"data": [other, ours]}))
    found = telnyx.find_port_out(customer_reference="pout_1", numbers=["+13125550123"])
    assert found.provider_order_id == "po-1"
    assert telnyx.find_port_out(customer_reference="pout_9", numbers=["+13125550123"]) is None


# --- number lookup and CNAM dip ---


def test_number_lookup_maps_carrier_line_type_and_portability(telnyx, stub_server):
    stub_server.on("GET", "/v2/number_lookup/+13129457420", Reply(200, fixture("telnyx/number_lookup_carrier.json")))
    result = telnyx.lookup_number(e164="+13129457420", fields=("carrier", "line_type", "portability", "sim_swap"))
    [sent] = stub_server.requests
    assert sent.query == {"type": ["carrier"]} and sent.headers["Authorization"] == "Bearer KEY123"
    assert (result.carrier.name, result.carrier.mcc, result.carrier.mnc) == ("T-Mobile", "310", "260")
    assert result.line_type == "mobile"
    assert (result.portability.lrn, result.portability.spid, result.portability.ported) == ("2245701999", "6529", True)
    assert result.portability.original_carrier == ""  # Telnyx does not say; the service asks the numbering plan
    assert result.sim_swap is None and "sim_swap" in result.unavailable and "roaming" not in result.unavailable


def test_number_lookup_without_a_carrier_record_reports_the_fields_unavailable(telnyx, stub_server):
    stub_server.on("GET", "/v2/number_lookup/+442079460018",
                   Reply(200, fixture("telnyx/number_lookup_voip_not_found.json")))
    result = telnyx.lookup_number(e164="+442079460018", fields=("carrier", "portability"))
    assert result.carrier is None and result.portability is None and result.line_type == "fixed_line"
    assert set(result.unavailable) == {"carrier", "portability"}


def test_cnam_dip_reads_the_caller_name(telnyx, stub_server):
    stub_server.on("GET", "/v2/number_lookup/+18665552368", Reply(200, fixture("telnyx/number_lookup_caller_name.json")))
    dip = telnyx.cnam_dip(e164="+18665552368")
    assert stub_server.requests[0].query == {"type": ["caller-name"]}
    assert (dip.caller_name, dip.caller_type) == ("TELNYX LLC", "business")


def test_number_lookup_failures_are_provider_errors_after_retries(telnyx, stub_server):
    stub_server.on("GET", "/v2/number_lookup/+13129457420", Reply(503, {"errors": [{"code": "10011"}]}))
    with pytest.raises(ProviderError) as raised:
        telnyx.lookup_number(e164="+13129457420", fields=("carrier",))
    assert raised.value.retryable and len(stub_server.requests) == 4  # 1 + HTTP_MAX_RETRIES
    stub_server.on("GET", "/v2/number_lookup/+18665552368", Reply(422, fixture("telnyx/error_422.json")))
    with pytest.raises(ProviderError):
        telnyx.cnam_dip(e164="+18665552368")


def test_the_lookup_service_through_telnyx_charges_what_telnyx_answered(telnyx, stub_server, settings, make_org):
    import phonenumbers
    from phonenumbers import carrier as pn_carrier

    from billing.models import LedgerEntry
    from inventory.services import number_lookup_perform

    settings.ORBIT = {**settings.ORBIT, "LOOKUP_PROVIDER": "telnyx"}
    stub_server.on("GET", "/v2/number_lookup/+13129457420", Reply(200, fixture("telnyx/number_lookup_carrier.json")))
    org = make_org("Telnyx lookups", credit_cents=1_00)
    answer = number_lookup_perform(organization=org, e164="+13129457420",
                                   fields=["carrier", "portability", "sim_swap"])
    # Telnyx names no original carrier: the numbering plan's (phonenumbers) fills in, as far as it knows one.
    assert answer.portability["original_carrier"] == pn_carrier.name_for_number(phonenumbers.parse("+13129457420"), "en")
    assert answer.portability["ported"] is True and answer.carrier["name"] == "T-Mobile"
    assert answer.sim_swap is None and "sim_swap" in answer.unavailable
    assert answer.charged == {"amount_cents": 2, "fields": ["carrier", "portability"]}
    assert LedgerEntry.objects.get(kind="lookup_fee").amount_cents == -2
