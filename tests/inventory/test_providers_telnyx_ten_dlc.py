"""The Telnyx adapter's 10DLC block against recorded Telnyx v2 responses (POST /10dlc/brand,
GET /10dlc/brand/{id}, POST /10dlc/campaignBuilder, GET /10dlc/campaign/{id}), and the registration
service running against it end to end."""
from __future__ import annotations

import pytest

from inventory.models import Brand, Campaign, RegistrationStatus
from inventory.providers.base import TenDlcBrandData, TenDlcCampaignData
from inventory.services import ten_dlc as services
from orbit_numbers.errors import ProviderError
from tests.httpstub import Reply, fixture

from .ten_dlc_support import create_brand, create_campaign
from . import test_providers_telnyx

BRAND_ID = "4b20019b-043a-78f8-0657-b3be3f4b4002"
CAMPAIGN_ID = "4b300178-131c-d902-d54e-72d90ba1620j"
telnyx = test_providers_telnyx.telnyx  # the adapter fixture, pointed at the stub server
BRAND = TenDlcBrandData(display_name="Acme Alerts", legal_name="Acme Telecom Inc.", entity_type="PRIVATE_PROFIT",
                        vertical="TECHNOLOGY", country="US", email="compliance@acme.example.com",
                        phone="+14155550100", tax_id="12-3456789", tax_id_country="US",
                        website="https://acme.example.com", street="600 Congress Ave", city="Austin", state="TX",
                        postal_code="78701", customer_reference="brd_1")
CAMPAIGN = TenDlcCampaignData(
    use_case="ACCOUNT_NOTIFICATION", description="Order confirmations and shipping updates for web shop buyers.",
    sample_messages=("Acme: your order 1234 has shipped. Reply STOP to opt out.",
                     "Acme: your order 1235 is confirmed. Reply HELP for help."),
    message_flow="Customers tick an opt-in box at checkout on our web shop.",
    opt_out_keywords=("STOP", "QUIT"), opt_out_message="Acme: you are unsubscribed.",
    help_keywords=("HELP",), help_message="Acme order alerts: support@acme.example.com", embedded_link=True,
    customer_reference="cmp_1")


def test_submit_brand_sends_the_registry_fields_and_reads_pending(telnyx, stub_server):
    stub_server.on("POST", "/v2/10dlc/brand", Reply(200, fixture("telnyx/ten_dlc_brand_pending.json")))
    vetting = telnyx.submit_ten_dlc_brand(brand=BRAND)
    assert (vetting.status, vetting.reference) == ("pending", BRAND_ID)
    sent = stub_server.requests[0]
    assert sent.headers["Authorization"] == "Bearer KEY123"
    assert sent.json() == {
        "entityType": "PRIVATE_PROFIT", "displayName": "Acme Alerts", "companyName": "Acme Telecom Inc.",
        "vertical": "TECHNOLOGY", "country": "US", "email": "compliance@acme.example.com", "ein": "12-3456789",
        "einIssuingCountry": "US", "phone": "+14155550100", "website": "https://acme.example.com",
        "street": "600 Congress Ave", "city": "Austin", "state": "TX", "postalCode": "78701",
        "referenceId": "brd_1"}


@pytest.mark.parametrize("name, status, identity, code", [
    ("ten_dlc_brand_pending.json", "pending", None, None),
    ("ten_dlc_brand_verified.json", "verified", "VERIFIED", None),
    ("ten_dlc_brand_unverified.json", "rejected", "UNVERIFIED", "UNVERIFIED"),
])
def test_brand_status_maps_the_identity_verdict(telnyx, stub_server, name, status, identity, code):
    stub_server.on("GET", f"/v2/10dlc/brand/{BRAND_ID}", Reply(200, fixture(f"telnyx/{name}")))
    vetting = telnyx.ten_dlc_brand_status(reference=BRAND_ID)
    assert (vetting.status, vetting.identity_status, vetting.reject_code) == (status, identity, code)
    if status == "rejected":
        assert vetting.reject_reason == "The EIN does not match the company name on record."


def test_submit_campaign_sends_the_campaign_builder_body(telnyx, stub_server):
    stub_server.on("POST", "/v2/10dlc/campaignBuilder", Reply(200, fixture("telnyx/ten_dlc_campaign_pending.json")))
    vetting = telnyx.submit_ten_dlc_campaign(campaign=CAMPAIGN, brand_reference=BRAND_ID)
    assert (vetting.status, vetting.reference) == ("pending", CAMPAIGN_ID)
    body = stub_server.requests[0].json()
    assert body["brandId"] == BRAND_ID and body["usecase"] == "ACCOUNT_NOTIFICATION"
    assert (body["sample1"], body["sample2"]) == CAMPAIGN.sample_messages and "sample3" not in body
    assert body["optoutKeywords"] == "STOP,QUIT" and body["helpKeywords"] == "HELP"
    assert body["embeddedLink"] is True and body["subscriberOptin"] is False and "optinKeywords" not in body


@pytest.mark.parametrize("name, status, code, reason", [
    ("ten_dlc_campaign_pending.json", "pending", None, None),
    ("ten_dlc_campaign_provisioned.json", "verified", None, None),
    ("ten_dlc_campaign_rejected.json", "rejected", "MNO_REJECTED",
     "T-Mobile: sample messages do not match the use case."),
])
def test_campaign_status_maps_the_campaign_status(telnyx, stub_server, name, status, code, reason):
    stub_server.on("GET", f"/v2/10dlc/campaign/{CAMPAIGN_ID}", Reply(200, fixture(f"telnyx/{name}")))
    vetting = telnyx.ten_dlc_campaign_status(reference=CAMPAIGN_ID)
    assert (vetting.status, vetting.reject_code, vetting.reject_reason) == (status, code, reason)


def test_refusals_and_answers_without_an_id(telnyx, stub_server):
    stub_server.on("POST", "/v2/10dlc/brand", Reply(422, fixture("telnyx/error_422.json")))
    with pytest.raises(ProviderError) as refused:
        telnyx.submit_ten_dlc_brand(brand=BRAND)
    assert refused.value.provider_code == "10015" and not refused.value.retryable
    stub_server.on("GET", f"/v2/10dlc/campaign/{CAMPAIGN_ID}", Reply(200, {"campaignStatus": "MNO_PROVISIONED"}))
    with pytest.raises(ProviderError) as bad:
        telnyx.ten_dlc_campaign_status(reference=CAMPAIGN_ID)
    assert bad.value.provider_code == "BAD_RESPONSE"


@pytest.mark.django_db(transaction=True)
def test_registration_end_to_end_through_the_telnyx_adapter(telnyx, stub_server, client, org):
    """Submissions and polls reach Telnyx with no transaction open (the guard raises in tests)."""
    stub_server.on("POST", "/v2/10dlc/brand", Reply(200, fixture("telnyx/ten_dlc_brand_pending.json")))
    stub_server.on("GET", f"/v2/10dlc/brand/{BRAND_ID}", Reply(200, fixture("telnyx/ten_dlc_brand_verified.json")))
    stub_server.on("POST", "/v2/10dlc/campaignBuilder", Reply(200, fixture("telnyx/ten_dlc_campaign_pending.json")))
    stub_server.on("GET", f"/v2/10dlc/campaign/{CAMPAIGN_ID}",
                   Reply(200, fixture("telnyx/ten_dlc_campaign_provisioned.json")))
    brand = create_brand(client)
    assert client.post(f"/api/v1/10dlc/brands/{brand['id']}/submit", {}, format="json").status_code == 200
    assert Brand.objects.get(pk=brand["id"]).provider_ref == BRAND_ID
    assert stub_server.seen("POST", "/v2/10dlc/brand")[0].json()["referenceId"] == brand["id"]
    services.ten_dlc_vetting_refresh()
    assert Brand.objects.get(pk=brand["id"]).registration_status == RegistrationStatus.VERIFIED

    campaign = create_campaign(client, brand["id"])
    assert client.post(f"/api/v1/10dlc/campaigns/{campaign['id']}/submit", {}, format="json").status_code == 200
    assert stub_server.seen("POST", "/v2/10dlc/campaignBuilder")[0].json()["brandId"] == BRAND_ID
    services.ten_dlc_vetting_refresh()
    row = Campaign.objects.get(pk=campaign["id"])
    assert (row.registration_status, row.status, row.provider_ref) == (RegistrationStatus.VERIFIED,
                                                                       Campaign.Status.ACTIVE, CAMPAIGN_ID)
