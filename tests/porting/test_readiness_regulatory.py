"""The regulatory readiness check: every state it answers, and a constant number of queries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.services import number_purchase, ported_number_activate
from porting.readiness import Status, Target
from porting.readiness.regulatory import CHECK
from tests.conftest import valid_numbers
from tests.inventory.compliance_support import make_profile


def to_buy(row) -> Target:
    return Target(e164=row.e164, kind="purchase", country=row.country, line_type=row.line_type,
                  capabilities=tuple(row.capabilities), inventory=row)


def to_port(e164: str, country: str, line_type: str = "local") -> Target:
    return Target(e164=e164, kind="port_in", country=country, line_type=line_type)


def owned(number) -> Target:
    row = number.phone_number
    return Target(e164=number.e164, kind="owned", country=row.country, line_type=row.line_type,
                  capabilities=tuple(number.capabilities), owned=number)


def evaluate(org, *targets):
    return CHECK.evaluate(organization=org, targets=list(targets))


def test_the_check_is_named_regulatory():
    assert CHECK.name == "regulatory"


def test_unregulated_targets_are_ok(org, make_number):
    us = make_number("US")
    port = to_port("+12015550123", "US")
    results = evaluate(org, to_buy(us), port)
    assert results[us.e164].status == Status.OK and results[us.e164].next_action == ""
    assert results[port.e164].status == Status.OK
    assert [d["type"] for d in results[port.e164].details["with_port_request"]] == ["loa", "bill_copy"]
    assert "LoA" in results[port.e164].reason or "Letter of Authorization" in results[port.e164].reason


def test_a_regulated_purchase_is_blocked_then_warned_then_ok(org, make_number):
    de = make_number("DE")
    [blocked] = evaluate(org, to_buy(de)).values()
    assert blocked.status == Status.BLOCKED and blocked.next_action
    assert {d["type"] for d in blocked.details["missing"]["documents"]} == {"proof_of_local_address",
                                                                           "business_registration"}
    assert "postal_code" in {f["name"] for f in blocked.details["missing"]["fields"]}

    pending = make_profile(org, "DE", status="submitted")
    [warned] = evaluate(org, to_buy(de)).values()
    assert warned.status == Status.WARNING and pending.pk in warned.reason
    assert warned.details["profiles"][0]["status"] == "submitted"

    approved = make_profile(org, "DE", line_types=["local"], actions=["purchase"])
    [covered] = evaluate(org, to_buy(de)).values()
    assert covered.status == Status.OK and covered.details == {"profile_id": approved.pk}


def test_rejected_and_expired_profiles_do_not_cover(org, make_number):
    fr = make_number("FR")
    make_profile(org, "FR", status="rejected", rejection_reason="Blurred.")
    make_profile(org, "FR", valid_until=timezone.now() - timedelta(days=1))
    [result] = evaluate(org, to_buy(fr)).values()
    assert result.status == Status.BLOCKED
    assert sorted(p["status"] for p in result.details["profiles"]) == ["expired", "rejected"]


def test_port_in_needs_a_profile_covering_port_ins(org):
    e164 = next(valid_numbers("GB"))
    make_profile(org, "GB", actions=["purchase"])
    [result] = evaluate(org, to_port(e164, "GB")).values()
    assert result.status == Status.BLOCKED and result.details["action"] == "port_in"
    make_profile(org, "GB", actions=["port_in"])
    assert evaluate(org, to_port(e164, "GB"))[e164].status == Status.OK


def test_two_covering_profiles_warn_to_name_one(org, make_number):
    nl = make_number("NL")
    make_profile(org, "NL"), make_profile(org, "NL")
    [result] = evaluate(org, to_buy(nl)).values()
    assert result.status == Status.WARNING and len(result.details["profile_ids"]) == 2


def test_owned_numbers(org, make_number):
    active = number_purchase(organization=org, phone_number=make_number("US").e164)
    held = ported_number_activate(organization=org, e164=make_number("DE").e164, provider="didww",
                                  provider_order_id="o1")
    results = evaluate(org, owned(active), owned(held))
    assert results[active.e164].status == Status.OK
    hold = results[held.e164]
    assert hold.status == Status.BLOCKED and "regulatory hold" in hold.reason and hold.details["missing"]["fields"]

    pending = make_profile(org, "DE", status="submitted")
    hold = evaluate(org, owned(held))[held.e164]
    assert hold.status == Status.BLOCKED and pending.pk in hold.reason and "Wait" in hold.next_action

    approved = make_profile(org, "DE")
    hold = evaluate(org, owned(held))[held.e164]
    assert hold.status == Status.BLOCKED and approved.pk in hold.next_action


@pytest.mark.parametrize("count", [1, 60])
def test_queries_do_not_grow_with_the_targets(org, make_number, django_assert_max_num_queries, count):
    make_profile(org, "DE", status="submitted")
    targets = []
    for index in range(count):
        country = ("US", "DE", "GB", "FR")[index % 4]
        targets.append(to_buy(make_number(country)))
    targets.append(to_port(next(valid_numbers("CA")), "CA"))
    with django_assert_max_num_queries(2):
        results = evaluate(org, *targets)
    assert len(results) == count + 1
