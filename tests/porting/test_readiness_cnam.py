"""The CNAM readiness check: every state of an owned US/CA voice number (listed, pending, rejected,
failed, none), spam labels, numbers to buy or port, numbers elsewhere; constant queries."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import CnamListing, NumberSpamLabel, SpamDispute
from porting.readiness import CHECK_MODULES
from porting.readiness.base import Status, Target
from porting.readiness.cnam import CHECK


def owned_target(number) -> Target:
    return Target(e164=number.e164, kind="owned", country=number.phone_number.country,
                  line_type=number.phone_number.line_type, capabilities=tuple(number.phone_number.capabilities),
                  owned=number)


def listing(number, status: str, **fields) -> CnamListing:
    return CnamListing.objects.create(organization=number.organization, number=number, e164=number.e164,
                                      provider="telnyx", display_name="ACME", status=status, **fields)


def flag(number, provider: str = "hiya", label: str = "Spam Risk", score: int = 80) -> None:
    now = timezone.now()
    NumberSpamLabel.objects.create(number=number, analytics_provider=provider, label=label, score=score,
                                   flagged_at=now, checked_at=now)


def evaluate(org, *targets):
    return CHECK.evaluate(organization=org, targets=list(targets))


def test_the_module_is_a_listed_check():
    assert "cnam" in CHECK_MODULES and CHECK.name == "cnam"


@pytest.mark.parametrize(("status", "expected", "words"), [
    ("listed", Status.OK, "ACME"),
    ("pending", Status.WARNING, "pending"),
    ("rejected", Status.WARNING, "outbound calls show no branded name"),
    ("failed", Status.WARNING, "outbound calls show no branded name"),
])
def test_owned_voice_number_by_listing_state(org, own_number, status, expected, words):
    number = own_number(org)
    listing(number, status, reject_reason="Looks like a brand" if status == "rejected" else "")
    result = evaluate(org, owned_target(number))[number.e164]
    assert result.status == expected and words in result.reason
    assert result.details["cnam_status"] == status
    assert (result.next_action == "") == (expected == Status.OK)


def test_owned_number_without_a_listing_warns_with_the_next_action(org, own_number):
    number = own_number(org)
    result = evaluate(org, owned_target(number))[number.e164]
    assert result.status == Status.WARNING and "outbound calls show no branded name" in result.reason
    assert f"/api/v1/numbers/{number.id}/cnam" in result.next_action


def test_a_flagged_number_warns_with_its_labels_even_when_listed(org, own_number):
    number = own_number(org)
    listing(number, "listed")
    flag(number, "hiya", "Spam Risk", 88)
    flag(number, "tns", "Potential Spam", 70)
    result = evaluate(org, owned_target(number))[number.e164]
    assert result.status == Status.WARNING and "Spam Risk" in result.reason and "Potential Spam" in result.reason
    assert [label["analytics_provider"] for label in result.details["spam_labels"]] == ["hiya", "tns"]
    assert "spam-disputes" in result.next_action and "hiya, tns" in result.next_action


def test_an_open_dispute_changes_the_next_action(org, own_number):
    number = own_number(org)
    listing(number, "listed")
    flag(number, "hiya")
    SpamDispute.objects.create(organization=org, number=number, e164=number.e164, analytics_provider="hiya",
                               label="Spam Risk", reason="r" * 10, contact_email="a@b.example",
                               traffic_description="t" * 10)
    result = evaluate(org, owned_target(number))[number.e164]
    assert result.status == Status.WARNING and result.details["disputed"] == ["hiya"]
    assert "spam-disputes" not in result.next_action and "spam_dispute.updated" in result.next_action


def test_numbers_to_buy_or_port_have_no_cnam_yet(org, make_number):
    row = make_number("US")
    buy = Target(e164=row.e164, kind="purchase", country="US", line_type="local", capabilities=("sms", "voice"),
                 inventory=row)
    sms_only = Target(e164="+12015550177", kind="purchase", country="US", line_type="local", capabilities=("sms",))
    port = Target(e164="+12015550188", kind="port_in", country="US", line_type="local")
    results = evaluate(org, buy, sms_only, port)
    assert results[buy.e164].status == Status.WARNING and "no CNAM until you list one" in results[buy.e164].reason
    assert results[port.e164].status == Status.WARNING and results[port.e164].next_action
    assert results[sms_only.e164].status == Status.OK and "Not applicable" in results[sms_only.e164].reason


def test_elsewhere_and_without_voice_it_is_not_applicable(org, own_number):
    gb = own_number(org, "GB")
    no_voice = own_number(org, cap_voice=False)
    results = evaluate(org, owned_target(gb), owned_target(no_voice))
    assert results[gb.e164].status == Status.OK and "Not applicable" in results[gb.e164].reason
    assert results[no_voice.e164].status == Status.OK and "no voice" in results[no_voice.e164].reason


def test_constant_queries_whatever_the_number_of_targets(org, own_number):
    few = [own_number(org) for _ in range(2)]
    many = few + [own_number(org) for _ in range(8)]
    for number in many[::2]:
        listing(number, "listed")
        flag(number)
    few_targets, many_targets = list(map(owned_target, few)), list(map(owned_target, many))
    with CaptureQueriesContext(connection) as small:
        evaluate(org, *few_targets)
    with CaptureQueriesContext(connection) as large:
        results = evaluate(org, *many_targets)
    assert len(small.captured_queries) == len(large.captured_queries) == 3
    assert len(results) == 10
