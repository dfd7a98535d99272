"""The simulated carrier's porting: status from elapsed time, configurable pace, rejects and failures."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest

from inventory.providers.simulator import SimulatorAdapter
from orbit_numbers.errors import ProviderError


@pytest.fixture
def carrier(settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 100}
    return SimulatorAdapter("telnyx")


def test_port_in_progresses_one_stage_per_period(carrier):
    order = carrier.create_port_in(numbers=["+12015550123"], details={})
    assert order.status == "carrier_review"
    created = time.time()
    statuses = [carrier._progress(order.provider_order_id, "pin", now=created + offset).status
                for offset in (0, 99, 100, 199, 200, 299, 300, 10_000)]
    assert statuses == ["carrier_review", "carrier_review", "foc_assigned", "foc_assigned", "foc_scheduled",
                        "foc_scheduled", "completed", "completed"]
    assert carrier._progress(order.provider_order_id, "pin", now=created + 150).foc_date is not None


def test_pace_comes_from_settings(carrier, settings):
    order = carrier.create_port_in(numbers=["+12015550123"], details={})
    assert carrier.port_in_status(provider_order_id=order.provider_order_id).status == "carrier_review"
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    assert carrier.port_in_status(provider_order_id=order.provider_order_id).status == "completed"


def test_configured_suffixes_reject_with_their_code(carrier, settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_REJECT_SUFFIXES": {"0777": "SV_CONFLICT"}}
    order = carrier.create_port_in(numbers=["+12015550123", "+12015550777"], details={})
    now = time.time()
    assert carrier._progress(order.provider_order_id, "pin", now=now).status == "carrier_review"
    rejected = carrier._progress(order.provider_order_id, "pin", now=now + 100)
    assert rejected.status == "rejected" and rejected.reject_code == "SV_CONFLICT"
    fixed = carrier.supplement_port_in(provider_order_id=order.provider_order_id, details={})
    assert fixed.provider_order_id != order.provider_order_id
    assert carrier._progress(fixed.provider_order_id, "pin", now=time.time() + 1000).status == "completed"


def test_failing_numbers_and_unknown_orders(carrier):
    with pytest.raises(ProviderError):
        carrier.create_port_in(numbers=["+12015559999"], details={})
    with pytest.raises(ProviderError):
        carrier.check_portability(numbers=["+12015559999"])
    with pytest.raises(ProviderError) as caught:
        carrier.port_in_status(provider_order_id="not-ours")
    assert caught.value.provider_code == "ORDER_NOT_FOUND"
    with pytest.raises(ProviderError):
        carrier.port_out_status(provider_order_id=carrier.create_port_in(numbers=["+12015550123"],
                                                                         details={}).provider_order_id)


def test_port_out_progress(carrier, settings):
    order = carrier.create_port_out(numbers=["+12015550123"], details={})
    assert order.status == "carrier_review"
    assert carrier._progress(order.provider_order_id, "pout", now=time.time() + 250).status == "foc_scheduled"
    carrier.cancel_port_out(provider_order_id=order.provider_order_id)


def test_didww_simulator_has_no_synchronous_check():
    [result] = SimulatorAdapter("didww").check_portability(numbers=["+442079460123"])
    assert result.check_status == "check-not-supported"


def test_latency_is_configurable(settings, monkeypatch):
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_LATENCY_MS": 250}
    SimulatorAdapter("telnyx").check_portability(numbers=["+12015550124"])
    assert slept == [0.25]


def test_order_book_lists_orders_across_adapters_and_marks_releases(carrier):
    """The book lives in the shared cache, so another process (another adapter instance) sees it."""
    before = datetime.now(tz=dt_timezone.utc) - timedelta(seconds=1)
    kept = carrier.order_number(e164="+12015550123", provider_ref="r1")
    given_back = carrier.order_number(e164="+12015550124", provider_ref="r2")
    SimulatorAdapter("didww").order_number(e164="+12015550125", provider_ref="r3")
    carrier.release_number(e164="+12015550124", provider_order_id=given_back.provider_order_id)

    listed = SimulatorAdapter("telnyx").list_number_orders(since=before)
    assert [(o.provider_order_id, o.e164, o.status) for o in listed] == [
        (kept.provider_order_id, "+12015550123", "active"),
        (given_back.provider_order_id, "+12015550124", "released"),
    ]
    assert SimulatorAdapter("telnyx").list_number_orders(since=datetime.now(tz=dt_timezone.utc)
                                                         + timedelta(seconds=1)) == []


def test_simulated_port_orders_are_found_by_reference(settings):
    adapter = SimulatorAdapter("telnyx")
    reference = f"port_{time.time_ns()}"
    assert adapter.find_port_in(customer_reference=reference) is None
    order = adapter.create_port_in(numbers=["+12015550124"], details={"customer_reference": reference})
    assert adapter.find_port_in(customer_reference=reference).provider_order_id == order.provider_order_id
    out = adapter.create_port_out(numbers=["+12015550125"], details={"customer_reference": reference})
    assert adapter.find_port_out(customer_reference=reference, numbers=[]).provider_order_id == out.provider_order_id


# --- number lookup and CNAM dip ---


def test_lookup_is_deterministic_per_number_and_answers_only_what_was_asked(carrier):
    fields = ("carrier", "line_type", "portability")
    first = carrier.lookup_number(e164="+12015550123", fields=fields)
    assert first == carrier.lookup_number(e164="+12015550123", fields=fields)
    assert first.carrier is not None and first.portability is not None and first.line_type
    assert first.sim_swap is None and first.roaming is None and first.unavailable == {}
    assert len(first.portability.lrn) == 10 and first.portability.lrn.startswith("201555")


def test_lookup_of_a_gb_fixed_line_has_no_mobile_data_and_no_lrn(carrier):
    result = carrier.lookup_number(e164="+442079460018", fields=("carrier", "portability", "sim_swap", "roaming"))
    assert result.line_type == "fixed_line"
    assert (result.carrier.mcc, result.carrier.mnc) == ("", "")
    assert result.portability.lrn == ""  # LRNs are North American
    assert set(result.unavailable) == {"sim_swap", "roaming"}


def test_lookup_of_a_mobile_number_has_mobile_network_codes_and_sim_swap(carrier):
    result = carrier.lookup_number(e164="+447400123456", fields=("carrier", "sim_swap", "roaming"))
    assert result.line_type == "mobile" and result.carrier.mcc == "234"
    assert result.roaming.status in ("roaming", "not_roaming")
    assert result.sim_swap.last_swap_at is None or result.sim_swap.last_swap_at <= datetime.now(tz=dt_timezone.utc)


def test_lookup_and_dip_fail_for_the_failing_suffixes(carrier):
    with pytest.raises(ProviderError) as raised:
        carrier.lookup_number(e164="+12015559999", fields=("carrier",))
    assert raised.value.retryable
    with pytest.raises(ProviderError):
        carrier.cnam_dip(e164="+12015559999")


def test_cnam_names_fit_a_listing_and_carry_a_type(carrier):
    dips = [carrier.cnam_dip(e164=f"+1201555{n:04d}") for n in range(200)]
    assert {dip.caller_type for dip in dips} == {"business", "consumer", "unknown"}
    for dip in dips:
        assert (dip.caller_name is None) == (dip.caller_type == "unknown")
        assert dip.caller_name is None or len(dip.caller_name) <= 15
