"""POST /api/v1/numbers/porting/check: read-only pre-flight, per-carrier verdicts, 20/min.

One ``phone_number``: ``data`` is that number's verdict (the documented fields). ``numbers[]``:
``data.results[]``, one verdict per number, in request order (SPEC.md, decisions added later)."""
from __future__ import annotations

import pytest

from billing.models import LedgerEntry
from inventory.providers.base import CarrierAdapter
from orbit_numbers.errors import ProviderError
from porting.models import PortRequest

URL = "/api/v1/numbers/porting/check"


def check(client, **body):
    return client.post(URL, body, format="json")


def test_single_number_checked_by_telnyx(client):
    response = check(client, phone_number="+12015550124")
    assert response.status_code == 200
    result = response.json()["data"]
    assert result == {"phone_number": "+12015550124", "eligible": True, "reasons": [], "splittable": False,
                      "estimated_foc_date": result["estimated_foc_date"], "fast_portable": True,
                      "check_status": "checked", "provider": "telnyx"}
    assert result["estimated_foc_date"]  # fast ports come with the carrier's estimate


def test_many_numbers_grouped_by_carrier(client):
    numbers = ["+12015550123", "+442079460123", "+18005550000"]
    response = check(client, numbers=numbers)
    assert list(response.json()["data"]) == ["results"]
    assert [r["phone_number"] for r in response.json()["data"]["results"]] == numbers  # in request order
    results = {r["phone_number"]: r for r in response.json()["data"]["results"]}
    assert results["+12015550123"]["provider"] == "telnyx" and results["+12015550123"]["fast_portable"] is False
    assert results["+12015550123"]["estimated_foc_date"] is None
    assert results["+442079460123"] == {**results["+442079460123"], "provider": "didww",
                                        "check_status": "check-not-supported", "eligible": True}
    not_portable = results["+18005550000"]
    assert not_portable["eligible"] is False and not_portable["reasons"]


def test_toll_free_is_splittable(client):
    result = check(client, phone_number="+18005550102").json()["data"]
    assert result["splittable"] is True


def test_carrier_failure_is_check_skipped_and_optimistic(client):
    result = check(client, phone_number="+12015559999").json()["data"]
    assert result["check_status"] == "check-skipped" and result["eligible"] is True and result["provider"] == "telnyx"


def test_carrier_timeout_is_check_skipped(client, monkeypatch):
    def timeout(self, *, numbers):
        raise ProviderError("telnyx: POST /portability_checks timed out", provider_code="UNAVAILABLE", retryable=True)

    from inventory.providers.simulator import SimulatorAdapter
    monkeypatch.setattr(SimulatorAdapter, "check_portability", timeout)
    result = check(client, phone_number="+12015550124").json()["data"]
    assert result["check_status"] == "check-skipped" and result["eligible"] is True


def test_orbit_blockers_are_reported(client, org, own_number, upload_loa):
    owned = own_number(org, e164="+12015550132")
    client.post("/api/v1/numbers/porting", {"numbers": ["+12015550130"], "currentCarrier": "Acme"}, format="json")
    results = {r["phone_number"]: r for r in check(client, numbers=[owned.e164, "+12015550130"]).json()["data"]["results"]}
    assert results[owned.e164]["eligible"] is False
    assert results[owned.e164]["reasons"] == ["This number is already one of your numbers on Orbit."]
    assert results["+12015550130"]["eligible"] is False
    assert results["+12015550130"]["reasons"] == ["You already have an open port-in request for this number."]


def test_another_organisations_numbers_are_not_eligible_without_saying_why(client, org, own_number, make_client,
                                                                          make_org):
    """Whether another tenant hosts a number or is porting it in, the answer is the same plain
    "not eligible", with nothing about that tenant's state."""
    hosted = own_number(org, e164="+12015550132")
    client.post("/api/v1/numbers/porting", {"numbers": ["+12015550130"], "currentCarrier": "Acme"}, format="json")
    prober = make_client(make_org("Prober"))
    results = check(prober, numbers=[hosted.e164, "+12015550130", "+12015550131"]).json()["data"]["results"]
    by_number = {r["phone_number"]: r for r in results}
    nobodys = by_number["+12015550131"]  # on no one's books at Orbit: the carrier's verdict alone
    assert nobodys["eligible"] is True and nobodys["reasons"] == []
    for e164 in (hosted.e164, "+12015550130"):
        verdict = by_number[e164]
        assert verdict["eligible"] is False and verdict["reasons"] == ["This number is not eligible to port to Orbit."]
        leftover = {k: v for k, v in verdict.items() if k not in ("phone_number", "eligible", "reasons",
                                                                   "estimated_foc_date", "fast_portable")}
        assert leftover == {k: v for k, v in nobodys.items() if k in leftover}  # the carrier's answer, as for anyone
    text = str(results).lower()
    assert "hosted" not in text and "port-in" not in text and "acme" not in text and "your" not in text


def test_one_number_in_numbers_still_answers_results(client):
    data = check(client, numbers=["+12015550124"]).json()["data"]
    assert list(data) == ["results"] and [r["phone_number"] for r in data["results"]] == ["+12015550124"]
    assert data["results"][0] == check(client, phone_number="+12015550124").json()["data"]


def test_the_phone_number_alias_is_accepted(client):
    response = check(client, phoneNumber="+12015550124")
    assert response.status_code == 200 and response.json()["data"]["phone_number"] == "+12015550124"


def test_check_creates_nothing_and_charges_nothing(client, org):
    before = LedgerEntry.objects.count()
    check(client, numbers=["+12015550124", "+442079460123"])
    assert PortRequest.objects.count() == 0 and LedgerEntry.objects.count() == before


@pytest.mark.parametrize("body,field", [
    ({}, "phone_number"),
    ({"phone_number": "+12015550124", "numbers": ["+12015550125"]}, "phone_number"),
    ({"phone_number": "2015550124"}, "phone_number"),
    ({"phone_number": "+1201555012"}, "phone_number"),
    ({"numbers": []}, "numbers"),
    ({"numbers": "+12015550124"}, "numbers"),
    ({"numbers": ["+12015550124", "+12015550124"]}, "numbers"),
    ({"numbers": ["+12015550124", "nope"]}, "numbers"),
    ({"numbers": [f"+1201555{n:04d}" for n in range(100, 151)]}, "numbers"),
    ({"phone_number": "+12015550124", "colour": "red"}, "colour"),
])
def test_bad_bodies_are_422(client, body, field):
    response = check(client, **body)
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_scope_is_porting_read(make_client, org):
    assert check(make_client(org, ["porting:read"]), phone_number="+12015550124").status_code == 200
    assert check(make_client(org, ["porting:write", "numbers:read"]), phone_number="+12015550124").status_code == 403


def test_rate_limited_at_20_per_minute_per_organisation(make_client, org, make_org):
    first, second = make_client(org), make_client(org)  # two keys, one organisation
    for index in range(20):
        response = check(first if index % 2 else second, phone_number="+12015550124")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "20"
    limited = check(first, phone_number="+12015550124")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited["Retry-After"]) >= 1
    assert check(make_client(make_org("Other")), phone_number="+12015550124").status_code == 200


def test_default_adapter_reports_check_not_supported():
    class Bare(CarrierAdapter):
        def search_inventory(self, **kwargs):
            return []

        def order_number(self, **kwargs):
            raise AssertionError

        def release_number(self, **kwargs):
            pass

    [result] = Bare("devotel").check_portability(numbers=["+12015550124"])
    assert result.check_status == "check-not-supported" and result.eligible is True
    with pytest.raises(ProviderError) as caught:
        Bare("devotel").create_port_in(numbers=[], details={})
    assert caught.value.provider_code == "NOT_SUPPORTED"
