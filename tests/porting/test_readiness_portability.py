"""The portability readiness check: the carrier's verdict plus Orbit's own blockers, for numbers not
ours yet; numbers already on our network need no port."""
from __future__ import annotations

import pytest
from django.db import transaction

from inventory.providers import CarrierCallInTransaction
from inventory.providers.simulator import SimulatorAdapter
from porting.readiness.portability import CHECK
from porting.readiness.targets import readiness_targets


def evaluate(org, numbers):
    return CHECK.evaluate(organization=org, targets=readiness_targets(organization=org, numbers=numbers))


def test_eligible_and_checked_is_ok(org):
    result = evaluate(org, ["+12025550302"])["+12025550302"]
    assert result.status == "ok" and result.next_action == ""
    assert "Eligible to port to Orbit via Telnyx" in result.reason and "FOC date" in result.reason
    assert result.details["check_status"] == "checked" and result.details["provider"] == "telnyx"
    assert result.details["estimated_foc_date"]  # ISO date, JSON-ready


def test_toll_free_is_ok_and_says_sms_may_stay_behind(org):
    result = evaluate(org, ["+18005550300"])["+18005550300"]
    assert result.status == "ok" and result.details["splittable"] is True and "SMS" in result.reason


def test_no_synchronous_check_is_a_warning(org):
    result = evaluate(org, ["+442079460300"])["+442079460300"]
    assert result.status == "warning" and result.details["check_status"] == "check-not-supported"
    assert result.details["provider"] == "didww" and "POST /api/v1/numbers/porting" in result.next_action


def test_a_carrier_that_does_not_answer_is_a_warning(org):
    result = evaluate(org, ["+12025559999"])["+12025559999"]  # the simulator's failing suffix
    assert result.status == "warning" and result.details["check_status"] == "check-skipped"


def test_not_portable_is_blocked_with_the_carriers_reasons(org):
    result = evaluate(org, ["+12025550000"])["+12025550000"]  # the simulator's ineligible suffix
    assert result.status == "blocked"
    assert result.reason.startswith("Not portable: The losing carrier reports this number as not portable")
    assert result.details["reasons"] and "current carrier" in result.next_action


def test_your_open_port_in_is_blocked_and_points_at_it(org, client):
    response = client.post("/api/v1/numbers/porting", {"numbers": ["+12025550310"], "currentCarrier": "Acme"},
                           format="json")
    assert response.status_code == 201
    result = evaluate(org, ["+12025550310"])["+12025550310"]
    assert result.status == "blocked" and "open port-in request" in result.reason
    assert result.next_action.startswith("Follow your open port-in request")


def test_numbers_on_our_network_are_ok_without_asking_the_carrier(org, own_number, make_number, monkeypatch):
    def never(self, *, numbers):
        raise AssertionError("no carrier call for numbers already on our network")

    monkeypatch.setattr(SimulatorAdapter, "check_portability", never)
    owned = own_number(org, e164="+12015550150")
    on_sale = make_number("US", e164="+12015550151")
    answers = evaluate(org, [owned.e164, on_sale.e164])
    assert answers[owned.e164].status == "ok" and "your number" in answers[owned.e164].reason
    assert answers[on_sale.e164].status == "ok" and "no port needed" in answers[on_sale.e164].reason


def test_one_carrier_call_per_porting_carrier(org, monkeypatch):
    calls = []
    original = SimulatorAdapter.check_portability

    def counting(self, *, numbers):
        calls.append((self.name, list(numbers)))
        return original(self, numbers=numbers)

    monkeypatch.setattr(SimulatorAdapter, "check_portability", counting)
    numbers = [f"+1202555{t:04d}" for t in range(320, 340)] + ["+442079460301", "+442079460302"]
    answers = evaluate(org, numbers)
    assert len(answers) == len(numbers)
    assert sorted(name for name, _ in calls) == ["didww", "telnyx"]


def test_never_asks_a_carrier_inside_a_transaction(org):
    with pytest.raises(CarrierCallInTransaction), transaction.atomic():
        evaluate(org, ["+12025550302"])
