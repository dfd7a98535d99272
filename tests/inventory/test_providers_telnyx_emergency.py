"""The Telnyx adapter's E911 block against recorded Telnyx v2 responses: address validation (with the
carrier's suggestions and its per-field reasons), address creation, enabling and disabling emergency."""
from __future__ import annotations

import pytest

from inventory.providers.base import EmergencyAddressData
from orbit_numbers.errors import ProviderError
from tests.httpstub import Reply, fixture

from .test_providers_telnyx import telnyx  # noqa: F401

NUMBER_ID = "1293384261075731499"
ADDRESS_ID = "1315261609962112019"
ADDRESS = EmergencyAddressData(caller_name="Alfred Foster", business_name="Toy-O'Kon", street_number="600",
                               street_name="Congress Avenue", unit="14th Floor", city="Austin", state="TX",
                               postal_code="78701", country="US")


def test_validate_maps_the_suggested_address_and_what_changed(telnyx, stub_server):  # noqa: F811
    stub_server.on("POST", "/v2/addresses/actions/validate", Reply(200, fixture("telnyx/address_validate_valid.json")))
    verdict = telnyx.validate_emergency_address(address=ADDRESS)
    assert stub_server.requests[0].json() == {
        "street_address": "600 Congress Avenue", "extended_address": "14th Floor", "locality": "Austin",
        "administrative_area": "TX", "postal_code": "78701", "country_code": "US"}
    assert verdict.valid and verdict.normalized.street_name == "Congress Ave"
    assert verdict.normalized.unit == "Fl 14" and verdict.normalized.postal_code == "78701-3245"
    assert set(verdict.corrected_fields) == {"street_name", "unit", "postal_code"}
    assert verdict.normalized.caller_name == "Alfred Foster"


def test_validate_invalid_gives_the_reason_per_field(telnyx, stub_server):  # noqa: F811
    stub_server.on("POST", "/v2/addresses/actions/validate",
                   Reply(200, fixture("telnyx/address_validate_invalid.json")))
    verdict = telnyx.validate_emergency_address(address=ADDRESS)
    assert not verdict.valid
    assert verdict.errors == {"street_name": "The street address provided is invalid.",
                              "postal_code": "The postal code does not match the locality."}


def test_provision_creates_the_address_once_then_enables_emergency(telnyx, stub_server):  # noqa: F811
    stub_server.on("GET", "/v2/phone_numbers", Reply(200, fixture("telnyx/phone_numbers.json")))
    stub_server.on("POST", "/v2/addresses", Reply(200, fixture("telnyx/address.json")))
    stub_server.on("POST", f"/v2/phone_numbers/{NUMBER_ID}/actions/enable_emergency",
                   Reply(200, fixture("telnyx/enable_emergency_active.json")))
    result = telnyx.provision_emergency_address(e164="+13125550123", address=ADDRESS)
    assert (result.status, result.carrier_address_id) == ("provisioned", ADDRESS_ID)
    created = stub_server.seen("POST", "/v2/addresses")[0].json()
    assert (created["first_name"], created["last_name"], created["business_name"]) == ("Alfred", "Foster",
                                                                                       "Toy-O'Kon")
    assert created["street_address"] == "600 Congress Avenue" and created["customer_reference"] == "+13125550123"
    assert stub_server.seen("POST", f"/v2/phone_numbers/{NUMBER_ID}/actions/enable_emergency")[0].json() == {
        "emergency_enabled": True, "emergency_address_id": ADDRESS_ID}

    # The carrier's address record is reused: no second POST /addresses.
    telnyx.provision_emergency_address(e164="+13125550123", address=ADDRESS, carrier_address_id=ADDRESS_ID)
    assert len(stub_server.seen("POST", "/v2/addresses")) == 1


def test_provision_still_registering_is_pending(telnyx, stub_server):  # noqa: F811
    body = fixture("telnyx/enable_emergency_active.json")
    body["data"]["emergency"]["emergency_status"] = "provisioning"
    stub_server.on("GET", "/v2/phone_numbers", Reply(200, fixture("telnyx/phone_numbers.json")))
    stub_server.on("POST", f"/v2/phone_numbers/{NUMBER_ID}/actions/enable_emergency", Reply(200, body))
    result = telnyx.provision_emergency_address(e164="+13125550123", address=ADDRESS, carrier_address_id=ADDRESS_ID)
    assert result.status == "pending"


def test_provision_refusals(telnyx, stub_server):  # noqa: F811
    stub_server.on("GET", "/v2/phone_numbers", Reply(200, {"data": [], "meta": {"total_pages": 1}}))
    with pytest.raises(ProviderError) as missing:
        telnyx.provision_emergency_address(e164="+13125550123", address=ADDRESS)
    assert missing.value.provider_code == "NUMBER_NOT_FOUND"

    stub_server.on("GET", "/v2/phone_numbers", Reply(200, fixture("telnyx/phone_numbers.json")))
    stub_server.on("POST", f"/v2/phone_numbers/{NUMBER_ID}/actions/enable_emergency",
                   Reply(422, fixture("telnyx/error_422.json")))
    with pytest.raises(ProviderError) as refused:
        telnyx.provision_emergency_address(e164="+13125550123", address=ADDRESS, carrier_address_id=ADDRESS_ID)
    assert refused.value.provider_code and not refused.value.retryable


def test_remove_disables_emergency_through_the_settings_job(telnyx, stub_server):  # noqa: F811
    stub_server.on("POST", "/v2/phone_numbers/jobs/update_emergency_settings",
                   Reply(200, fixture("telnyx/update_emergency_settings_job.json")))
    telnyx.remove_emergency_address(e164="+13125550123")
    assert stub_server.requests[0].json() == {"emergency_enabled": False, "phone_numbers": ["+13125550123"]}

    failed = fixture("telnyx/update_emergency_settings_job.json")
    failed["data"]["failed_operations"] = [{"phone_number": "+13125550123", "errors": [
        {"code": "10015", "title": "Bad Request", "detail": "The field is invalid."}]}]
    stub_server.on("POST", "/v2/phone_numbers/jobs/update_emergency_settings", Reply(200, failed))
    with pytest.raises(ProviderError) as refused:
        telnyx.remove_emergency_address(e164="+13125550123")
    assert refused.value.provider_code == "10015" and "The field is invalid." in refused.value.message
