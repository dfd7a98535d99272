"""The 10DLC readiness check: US local numbers that send SMS need an ACTIVE campaign."""
from __future__ import annotations

import pytest

from inventory.models import Brand, Campaign, OwnedNumber
from porting.readiness.campaign import CHECK
from porting.readiness.targets import readiness_targets
from tests.porting.readiness_support import make_campaign


def evaluate(org, numbers):
    return CHECK.evaluate(organization=org, targets=readiness_targets(organization=org, numbers=numbers))


def attached(org, own_number, status):
    owned = own_number(org)
    campaign = make_campaign(org, status) if status else None
    OwnedNumber.objects.filter(pk=owned.pk).update(campaign=campaign)
    return owned, campaign


def test_owned_on_an_active_campaign_is_ok(org, own_number):
    owned, campaign = attached(org, own_number, Campaign.Status.ACTIVE)
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "ok" and campaign.name in result.reason
    assert result.details == {"campaign_id": campaign.id, "campaign_status": "ACTIVE"}


def test_owned_on_a_pending_campaign_is_a_warning(org, own_number):
    owned, campaign = attached(org, own_number, Campaign.Status.PENDING)
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "warning" and "PENDING" in result.reason
    assert f"PUT /api/v1/numbers/{owned.id}" in result.next_action


@pytest.mark.parametrize("status", [None, Campaign.Status.SUSPENDED, Campaign.Status.EXPIRED])
def test_owned_without_a_usable_campaign_is_blocked(org, own_number, status):
    owned, _ = attached(org, own_number, status)
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "blocked"
    assert "US carriers block A2P SMS from unregistered 10DLC numbers" in result.reason
    assert f"PUT /api/v1/numbers/{owned.id} with campaign_id" in result.next_action
    assert result.details["campaign_status"] == status


def test_blocked_owned_number_is_pointed_at_an_attachable_campaign(org, own_number):
    owned, _ = attached(org, own_number, None)
    usable = make_campaign(org, name="Ready to go")
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "blocked" and usable.id in result.next_action


def test_owned_without_sms_is_not_applicable(org, own_number):
    owned, _ = attached(org, own_number, None)
    OwnedNumber.objects.filter(pk=owned.pk).update(capabilities=["voice"])
    result = evaluate(org, [owned.e164])[owned.e164]
    assert result.status == "ok" and result.reason.startswith("Not applicable")


@pytest.mark.parametrize("kind", ["purchase", "port_in"])
def test_to_buy_or_port_is_ok_with_an_attachable_campaign(org, make_number, kind):
    number = make_number("US").e164 if kind == "purchase" else "+12025550300"
    make_campaign(org, Campaign.Status.SUSPENDED, name="Aardvark")  # first by name, but not attachable
    usable = make_campaign(org, name="Marketing")
    result = evaluate(org, [number])[number]
    assert result.status == "ok" and "Marketing" in result.reason
    assert result.details == {"campaign_id": usable.id, "campaign_status": "ACTIVE"}


@pytest.mark.parametrize("kind", ["purchase", "port_in"])
def test_to_buy_or_port_without_a_campaign_is_a_warning(org, make_number, kind):
    number = make_number("US").e164 if kind == "purchase" else "+12025550300"
    result = evaluate(org, [number])[number]
    assert result.status == "warning" and "no 10DLC campaign" in result.reason
    assert "Register a brand and a campaign" in result.next_action


def test_a_pending_campaign_or_unverified_brand_is_a_warning_naming_it(org, make_number):
    row = make_number("US")
    pending = make_campaign(org, Campaign.Status.ACTIVE, name="Unvetted", brand_status=Brand.IdentityStatus.UNVERIFIED)
    result = evaluate(org, [row.e164])[row.e164]
    assert result.status == "warning" and "Unvetted" in result.reason
    assert result.details["campaign_id"] == pending.id


@pytest.mark.parametrize("number, fields", [
    ("+442079460300", None),  # GB: 10DLC is a US registry
    ("+18005550300", None),  # toll-free: its own verification, not 10DLC
    (None, {"country": "US", "cap_sms": False, "cap_mms": False, "sms_two_way": False}),  # no SMS
    (None, {"country": "CA"}),
])
def test_not_applicable(org, make_number, number, fields):
    if number is None:
        number = make_number(**fields).e164
    result = evaluate(org, [number])[number]
    assert result.status == "ok" and result.reason.startswith("Not applicable")


def test_no_query_when_nothing_applies(org, django_assert_num_queries):
    targets = readiness_targets(organization=org, numbers=["+442079460300"])
    with django_assert_num_queries(0):
        CHECK.evaluate(organization=org, targets=targets)
