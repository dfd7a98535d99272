"""The Telnyx adapter's CNAM listing (PATCH/GET /v2/phone_numbers/{id}/voice, cnam_listing) against
recorded responses served by the local stub server."""
from __future__ import annotations

import pytest

from inventory.providers import get_adapter
from orbit_numbers.errors import ProviderError
from tests.httpstub import Reply, fixture

NUMBER_ID = "1293384261075731499"
VOICE = f"/v2/phone_numbers/{NUMBER_ID}/voice"


@pytest.fixture
def telnyx(stub_server, settings):
    settings.ORBIT = {**settings.ORBIT, "TELNYX_BASE_URL": f"{stub_server.url}/v2", "TELNYX_API_KEY": "KEY123",
                      "HTTP_TIMEOUT_SECONDS": 2, "HTTP_MAX_RETRIES": 2, "HTTP_BACKOFF_SECONDS": 0.01,
                      "HTTP_MAX_BACKOFF_SECONDS": 0.02,
                      "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"], "telnyx": "telnyx"}}
    stub_server.on("GET", "/v2/phone_numbers", Reply(200, fixture("telnyx/phone_numbers.json")))
    return get_adapter("telnyx")


def test_submit_sets_the_listing_on_the_numbers_voice_settings(telnyx, stub_server):
    stub_server.on("PATCH", VOICE, Reply(200, fixture("telnyx/phone_number_voice_cnam.json")))
    result = telnyx.submit_cnam_listing(e164="+13125550123", display_name="ACME PLUMBING")
    assert (result.status, result.reference) == ("listed", NUMBER_ID)
    assert stub_server.seen("GET", "/v2/phone_numbers")[0].query == {"filter[phone_number]": ["+13125550123"]}
    [patch] = stub_server.seen("PATCH", VOICE)
    assert patch.json() == {"cnam_listing": {"cnam_listing_enabled": True, "cnam_listing_details": "ACME PLUMBING"}}
    assert patch.headers["Authorization"] == "Bearer KEY123"


def test_a_refused_name_is_a_rejection_with_telnyxs_reason(telnyx, stub_server):
    stub_server.on("PATCH", VOICE, Reply(422, {"errors": [{"code": "10015", "title": "Bad Request",
                                                            "detail": "cnam_listing_details is invalid"}]}))
    result = telnyx.submit_cnam_listing(e164="+13125550123", display_name="ACME PLUMBING")
    assert result.status == "rejected" and result.reject_code == "10015"
    assert "cnam_listing_details is invalid" in result.reject_reason


def test_an_outage_is_retried_then_raised_as_retryable(telnyx, stub_server):
    stub_server.on("PATCH", VOICE, Reply(503, {"errors": [{"code": "503", "title": "Unavailable"}]}))
    with pytest.raises(ProviderError) as caught:
        telnyx.submit_cnam_listing(e164="+13125550123", display_name="ACME PLUMBING")
    assert caught.value.retryable is True
    assert len(stub_server.seen("PATCH", VOICE)) == 3  # the first try and two retries


def test_a_number_not_at_telnyx_is_refused(telnyx, stub_server):
    with pytest.raises(ProviderError) as caught:
        telnyx.submit_cnam_listing(e164="+13125559876", display_name="ACME")
    assert caught.value.provider_code == "NUMBER_NOT_FOUND"


def test_status_reads_the_voice_settings(telnyx, stub_server):
    body = fixture("telnyx/phone_number_voice_cnam.json")
    stub_server.on("GET", VOICE, Reply(200, body))
    assert telnyx.cnam_listing_status(e164="+13125550123", reference=NUMBER_ID).status == "listed"
    body["data"]["cnam_listing"] = {"cnam_listing_enabled": False, "cnam_listing_details": None}
    stub_server.on("GET", VOICE, Reply(200, body))
    result = telnyx.cnam_listing_status(e164="+13125550123", reference=NUMBER_ID)
    assert result.status == "rejected" and result.reject_code == "NOT_LISTED"


def test_delete_disables_the_listing_and_tolerates_a_gone_number(telnyx, stub_server):
    stub_server.on("PATCH", VOICE, Reply(404, {"errors": [{"code": "404", "title": "Not found"}]}))
    telnyx.delete_cnam_listing(e164="+13125550123", reference=NUMBER_ID)
    assert stub_server.seen("PATCH", VOICE)[0].json() == {"cnam_listing": {"cnam_listing_enabled": False}}


def test_telnyx_has_no_spam_label_feed(telnyx):
    with pytest.raises(ProviderError) as caught:
        telnyx.spam_labels(e164="+13125550123")
    assert caught.value.provider_code == "NOT_SUPPORTED"
