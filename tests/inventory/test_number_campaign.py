"""PUT /api/v1/numbers/{id} with campaign_id: attach a US 10DLC campaign to an owned number (what the
readiness pre-flight's 10DLC check tells a tenant to do), or detach it."""
from __future__ import annotations

import pytest

from inventory.models import Brand, Campaign, OwnedNumber
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog
from tests.porting.readiness_support import install_checks, make_campaign


@pytest.fixture
def owned(org, make_number):
    row = make_number("US")
    return number_purchase(organization=org, phone_number=row.e164, country_code="US")


def put(client, number, **changes):
    return client.put(f"/api/v1/numbers/{number.id}", changes, format="json")


def test_attach_an_active_campaign_then_readiness_is_ok(client, org, owned, monkeypatch):
    install_checks(monkeypatch, modules=("campaign",))
    blocked = client.post("/api/v1/numbers/readiness", {"numbers": [owned.e164]}, format="json")
    assert blocked.json()["data"]["results"][0]["checks"]["campaign"]["status"] == "blocked"
    campaign = make_campaign(org)
    response = put(client, owned, campaign_id=campaign.id)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["campaign_id"] == campaign.id
    assert OwnedNumber.objects.get(pk=owned.pk).campaign_id == campaign.id
    audit = AuditLog.objects.filter(action="number.update").latest("pk")
    assert audit.after == {"campaign_id": campaign.id}
    readiness = client.post("/api/v1/numbers/readiness", {"numbers": [owned.e164]}, format="json")
    assert readiness.json()["data"]["results"][0]["checks"]["campaign"]["status"] == "ok"


@pytest.mark.parametrize("value", [None, ""])
def test_detach(client, org, owned, value):
    campaign = make_campaign(org)
    OwnedNumber.objects.filter(pk=owned.pk).update(campaign=campaign)
    response = put(client, owned, campaign_id=value)
    assert response.status_code == 200 and response.json()["data"]["campaign_id"] is None
    assert OwnedNumber.objects.get(pk=owned.pk).campaign_id is None


@pytest.mark.parametrize("status, brand_status, message", [
    (Campaign.Status.PENDING, Brand.IdentityStatus.VERIFIED, "not ACTIVE"),
    (Campaign.Status.SUSPENDED, Brand.IdentityStatus.VERIFIED, "not ACTIVE"),
    (Campaign.Status.ACTIVE, Brand.IdentityStatus.UNVERIFIED, "not VERIFIED"),
])
def test_unusable_campaigns_are_refused(client, org, owned, status, brand_status, message):
    campaign = make_campaign(org, status, brand_status=brand_status)
    response = put(client, owned, campaign_id=campaign.id)
    assert response.status_code == 422 and message in response.json()["error"]["details"]["campaign_id"]
    assert OwnedNumber.objects.get(pk=owned.pk).campaign_id is None


def test_another_organisations_campaign_is_unknown(client, owned, make_org):
    theirs = make_campaign(make_org("Other"))
    response = put(client, owned, campaign_id=theirs.id)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["campaign_id"] == "no such campaign in this organisation"


def test_too_long(client, owned):
    assert put(client, owned, campaign_id="c" * 33).status_code == 422
