"""campaign_id on POST /api/v1/numbers/purchase and POST /api/v1/numbers/buy-bulk: the checks assign
orders make (the organisation's own campaign, ACTIVE, verified brand; US local numbers only), the
number created with the campaign, and nothing held or charged when refused."""
from __future__ import annotations

import pytest

from inventory.models import Brand, BulkReservation, Campaign, InventoryStatus, LineType, OwnedNumber, PhoneNumber
from tests.porting.readiness_support import make_campaign

from . import bulk_support
from .bulk_support import balance

pytestmark = pytest.mark.django_db(transaction=True)
stock = bulk_support.stock  # the fixture

PURCHASE = "/api/v1/numbers/purchase"
BUY_BULK = "/api/v1/numbers/buy-bulk"


def purchase(client, row, **extra):
    return client.post(PURCHASE, {"phone_number": row.e164, "country_code": row.country, **extra}, format="json")


def buy_bulk(client, rows, **extra):
    return client.post(BUY_BULK, {"items": [{"phone_number": row.e164, "country_code": row.country}
                                            for row in rows], **extra}, format="json")


def untouched(org, rows, credit: int) -> None:
    assert balance(org) == credit
    assert not OwnedNumber.objects.filter(organization=org).exists()
    assert set(PhoneNumber.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)) == {
        InventoryStatus.AVAILABLE}
    assert not BulkReservation.objects.filter(organization=org).exclude(
        status__in=[BulkReservation.Status.CANCELLED, BulkReservation.Status.EXPIRED]).exists()


def test_purchase_with_an_active_campaign_creates_the_number_with_it(org, client, stock):
    campaign = make_campaign(org)
    row = stock(1)[0]
    response = purchase(client, row, campaign_id=campaign.id)
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["campaign_id"] == campaign.id
    assert OwnedNumber.objects.get(organization=org, e164=row.e164).campaign_id == campaign.id


def test_purchase_with_a_null_campaign_id(org, client, stock):
    row = stock(1)[0]
    response = purchase(client, row, campaign_id=None)
    assert response.status_code == 201 and response.json()["data"]["campaign_id"] is None


def _bad_campaign(org, make_org, case: str) -> str:
    if case == "unknown":
        return "cmp_doesnotexist"
    if case == "other_org":
        return make_campaign(make_org("Other")).id
    if case == "pending":
        return make_campaign(org, Campaign.Status.PENDING).id
    if case == "suspended":
        return make_campaign(org, Campaign.Status.SUSPENDED).id
    if case == "rejected":
        return make_campaign(org, Campaign.Status.REJECTED).id
    if case == "brand_unverified":
        return make_campaign(org, brand_status=Brand.IdentityStatus.UNVERIFIED).id
    raise AssertionError(case)


BAD_CAMPAIGNS = [("unknown", "no such campaign"), ("other_org", "no such campaign"), ("pending", "not ACTIVE"),
                 ("suspended", "not ACTIVE"), ("rejected", "not ACTIVE"), ("brand_unverified", "not VERIFIED")]


@pytest.mark.parametrize("case, message", BAD_CAMPAIGNS)
def test_purchase_refuses_an_unusable_campaign(org, make_org, client, stock, case, message):
    row = stock(1)[0]
    response = purchase(client, row, campaign_id=_bad_campaign(org, make_org, case))
    assert response.status_code == 422
    assert message in response.json()["error"]["details"]["campaign_id"]
    untouched(org, [row], 100_00)


@pytest.mark.parametrize("country, line_type", [("US", LineType.TOLL_FREE), ("US", LineType.MOBILE),
                                                ("CA", LineType.LOCAL)])
def test_purchase_refuses_a_campaign_for_a_number_outside_us_local(org, client, stock, country, line_type):
    row = stock(1, country=country, line_type=line_type)[0]
    response = purchase(client, row, campaign_id=make_campaign(org).id)
    assert response.status_code == 422
    assert "US local numbers only" in response.json()["error"]["details"]["campaign_id"]
    assert row.e164 in response.json()["error"]["details"]["campaign_id"]
    untouched(org, [row], 100_00)


@pytest.mark.parametrize("value", ["", "x" * 33, ["cmp"]])
def test_purchase_refuses_a_malformed_campaign_id(org, client, stock, value):
    row = stock(1)[0]
    response = purchase(client, row, campaign_id=value)
    assert response.status_code == 422 and "campaign_id" in response.json()["error"]["details"]
    untouched(org, [row], 100_00)


def test_buy_bulk_with_a_campaign_gives_it_to_every_number(org, client, stock):
    campaign = make_campaign(org)
    rows = stock(3)
    response = buy_bulk(client, rows, campaign_id=campaign.id)
    assert response.status_code == 200, response.json()
    assert len(response.json()["data"]["succeeded"]) == 3
    assert set(OwnedNumber.objects.filter(organization=org).values_list("campaign_id", flat=True)) == {campaign.id}


def test_buy_bulk_without_a_campaign_leaves_numbers_without_one(org, client, stock):
    buy_bulk(client, stock(2))
    assert set(OwnedNumber.objects.filter(organization=org).values_list("campaign_id", flat=True)) == {None}


@pytest.mark.parametrize("case, message", BAD_CAMPAIGNS)
def test_buy_bulk_refuses_an_unusable_campaign(org, make_org, client, stock, case, message):
    rows = stock(2)
    response = buy_bulk(client, rows, campaign_id=_bad_campaign(org, make_org, case))
    assert response.status_code == 422
    assert message in response.json()["error"]["details"]["campaign_id"]
    untouched(org, rows, 100_00)


def test_buy_bulk_refuses_the_whole_batch_when_one_number_is_not_us_local(org, client, stock):
    rows = stock(2) + stock(1, line_type=LineType.TOLL_FREE)
    response = buy_bulk(client, rows, campaign_id=make_campaign(org).id)
    assert response.status_code == 422
    details = response.json()["error"]["details"]["campaign_id"]
    assert rows[2].e164 in details and rows[0].e164 not in details
    untouched(org, rows, 100_00)


@pytest.mark.parametrize("value", ["", "x" * 33, True])
def test_buy_bulk_refuses_a_malformed_campaign_id(org, client, stock, value):
    rows = stock(1)
    response = buy_bulk(client, rows, campaign_id=value)
    assert response.status_code == 422 and "campaign_id" in response.json()["error"]["details"]
    untouched(org, rows, 100_00)
