"""POST /api/v1/numbers/readiness: one answer per number, in request order, from every check.

Most tests here are about the runner and the endpoint (order, worst status, a check that raises or
skips a number, a missing module, constant queries, tenants, scopes, bad input), so they run the
wallet, portability and 10DLC checks plus a fake check whose failures they control. The schema tests
run all six real checks; so does test_readiness_all_checks.py (every state of every check in one
request); the per-check states are in test_readiness_<check>.py."""
from __future__ import annotations

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import LedgerEntry
from billing.selectors import wallet_for
from inventory.models import OwnedNumber
from orbit_numbers.models import AuditLog
import porting.readiness
from porting.readiness.runner import ReadinessCheckMissing, readiness_checks, readiness_evaluate
from tests.porting.readiness_support import PORT_IN_US, FakeCheck, install_checks, make_campaign

URL = "/api/v1/numbers/readiness"
ALL_CHECKS = porting.readiness.CHECK_MODULES  # the deployed checks, read before any test patches them
NO_SMS = {"cap_sms": False, "cap_mms": False, "sms_two_way": False}


@pytest.fixture(autouse=True)
def checks(monkeypatch):
    return install_checks(monkeypatch)


def ask(client, numbers, **extra):
    return client.post(URL, {"numbers": numbers, **extra}, format="json")


def by_number(response) -> dict:
    return {r["phone_number"]: r for r in response.json()["data"]["results"]}


# --- the answer -----------------------------------------------------------------------------------


def test_answers_in_request_order_with_every_check_in_module_order(client, org, own_number, make_number):
    owned = own_number(org)
    on_sale = make_number("US")
    numbers = [PORT_IN_US[0], on_sale.e164, owned.e164]
    response = ask(client, numbers)
    assert response.status_code == 200, response.json()
    results = response.json()["data"]["results"]
    assert [r["phone_number"] for r in results] == numbers
    assert [r["kind"] for r in results] == ["port_in", "purchase", "owned"]
    for result in results:
        assert list(result["checks"]) == ["wallet", "portability", "campaign", "fake"]
        for check in result["checks"].values():
            assert set(check) == {"status", "reason", "next_action", "details"}
            assert check["status"] in ("ok", "warning", "blocked") and check["reason"]
    assert results[0]["checks"]["fake"]["reason"] == "fake says port_in"


def test_status_is_the_worst_check_and_ready_means_nothing_blocked(client, org, own_number, make_number):
    """Covers the three states end to end: an owned number without a campaign is blocked (10DLC); a
    number on sale with no ACTIVE campaign in the organisation is a warning; a foreign number is ok."""
    owned = own_number(org)
    on_sale = make_number("US")
    foreign = "+442079460300"  # GB: DIDWW has no instant check → warning; no 10DLC
    german_on_sale = make_number("DE", monthly_cents=100, setup_cents=0, **NO_SMS)
    response = ask(client, [owned.e164, on_sale.e164, foreign, german_on_sale.e164])
    results = by_number(response)
    assert results[owned.e164]["status"] == "blocked" and results[owned.e164]["ready"] is False
    assert results[owned.e164]["checks"]["campaign"]["status"] == "blocked"
    assert results[on_sale.e164]["status"] == "warning" and results[on_sale.e164]["ready"] is True
    assert results[foreign]["status"] == "warning" and results[foreign]["ready"] is True
    assert results[german_on_sale.e164]["status"] == "ok" and results[german_on_sale.e164]["ready"] is True
    assert response.json()["data"]["summary"] == {"ok": 1, "warning": 2, "blocked": 1}


def test_all_ok_when_everything_is_in_place(client, org, own_number):
    campaign = make_campaign(org)
    owned = own_number(org)
    OwnedNumber.objects.filter(pk=owned.pk).update(campaign=campaign)
    response = ask(client, [owned.e164, PORT_IN_US[1]])
    results = by_number(response)
    assert all(r["status"] == "ok" and r["ready"] for r in results.values()), results
    assert response.json()["data"]["summary"] == {"ok": 2, "warning": 0, "blocked": 0}


def test_changes_nothing(client, org, make_number):
    on_sale = make_number("US")
    def state():
        return LedgerEntry.objects.count(), AuditLog.objects.count(), wallet_for(organization=org).balance_cents

    before = state()
    assert ask(client, [on_sale.e164, PORT_IN_US[2]]).status_code == 200
    assert state() == before
    on_sale.refresh_from_db()
    assert on_sale.status == "available"


def test_a_check_that_raises_is_a_warning_for_that_check_only(client, monkeypatch, make_number, caplog):
    install_checks(monkeypatch, fake=FakeCheck(fail=True))
    on_sale = make_number("DE", **NO_SMS)
    response = ask(client, [on_sale.e164, PORT_IN_US[3]])
    assert response.status_code == 200
    for result in response.json()["data"]["results"]:
        assert result["checks"]["fake"]["status"] == "warning"
        assert "could not be checked" in result["checks"]["fake"]["reason"]
        assert result["checks"]["wallet"]["status"] == "ok"  # the other checks still answer
    assert results_status(response) == ["warning", "warning"]
    assert "Readiness check fake failed" in caplog.text


def results_status(response) -> list[str]:
    return [r["status"] for r in response.json()["data"]["results"]]


def test_a_check_that_skips_a_number_is_a_warning_for_it(client, monkeypatch, make_number):
    class Forgetful(FakeCheck):
        def evaluate(self, *, organization, targets):
            return {}

    install_checks(monkeypatch, fake=Forgetful())
    on_sale = make_number("DE", **NO_SMS)
    result = by_number(ask(client, [on_sale.e164]))[on_sale.e164]
    assert result["checks"]["fake"]["status"] == "warning" and result["status"] == "warning"


def test_a_missing_check_module_fails_loudly(client, org, monkeypatch):
    """A check module listed but not deployed is an error, never a silently shorter answer."""
    install_checks(monkeypatch, modules=("wallet", "no_such_check"))
    with pytest.raises(ReadinessCheckMissing, match="no_such_check"):
        readiness_evaluate(organization=org, numbers=[PORT_IN_US[0]])
    response = ask(client, [PORT_IN_US[0]])
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL"


def test_every_deployed_check_module_exposes_its_check(monkeypatch):
    monkeypatch.setattr(porting.readiness, "CHECK_MODULES", ALL_CHECKS)
    assert [c.name for c in readiness_checks()] == [
        "regulatory", "e911", "cnam", "wallet", "portability", "campaign"]


# --- constant queries ----------------------------------------------------------------------------


def _mix(org, own_number, make_number, count: int) -> list[str]:
    """count numbers: a third owned (with and without a campaign), a third on sale, a third to port."""
    campaign = make_campaign(org, name=f"Mix {count}")
    numbers = []
    for index in range(count):
        if index % 3 == 0:
            owned = own_number(org)
            if index % 2:
                OwnedNumber.objects.filter(pk=owned.pk).update(campaign=campaign)
            numbers.append(owned.e164)
        elif index % 3 == 1:
            numbers.append(make_number("US").e164)
        else:
            numbers.append(PORT_IN_US[10 + index])
    return numbers


def test_the_number_of_queries_does_not_grow_with_the_numbers(client, make_org, own_number, make_number,
                                                              make_client):
    org = make_org("Big spender", credit_cents=1_000_00)
    client = make_client(org)
    ask(client, [PORT_IN_US[0]])  # the key's first use of the minute records last_used_at (one more query)
    counts = []
    for count in (5, 50):
        numbers = _mix(org, own_number, make_number, count)
        with CaptureQueriesContext(connection) as queries:
            response = ask(client, numbers)
        assert response.status_code == 200
        assert len(response.json()["data"]["results"]) == count
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_runner_alone_is_constant_too(make_org, own_number, make_number):
    org = make_org("Runner", credit_cents=1_000_00)
    counts = []
    for count in (6, 60):
        numbers = _mix(org, own_number, make_number, count)
        with CaptureQueriesContext(connection) as queries:
            readiness_evaluate(organization=org, numbers=numbers)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts


# --- tenants and scopes ---------------------------------------------------------------------------


def test_another_tenants_number_is_only_a_port_in_that_is_not_eligible(client, make_org, own_number):
    other = make_org("Other", credit_cents=100_00)
    theirs = own_number(other, e164="+12015550142")
    their_campaign = make_campaign(other, name="Their secret campaign")
    OwnedNumber.objects.filter(pk=theirs.pk).update(campaign=their_campaign)
    response = ask(client, [theirs.e164])
    result = by_number(response)[theirs.e164]
    assert result["kind"] == "port_in"
    assert result["checks"]["portability"]["status"] == "blocked"
    assert result["checks"]["portability"]["details"]["reasons"] == ["This number is not eligible to port to Orbit."]
    body = response.content.decode()
    assert theirs.id not in body and their_campaign.id not in body and "secret" not in body


def test_another_tenants_open_port_in_is_not_named(client, make_org, make_client):
    other = make_org("Porter", credit_cents=100_00)
    porting = make_client(other).post("/api/v1/numbers/porting", {"numbers": [PORT_IN_US[5]],
                                                                   "currentCarrier": "Acme"}, format="json")
    assert porting.status_code == 201, porting.json()
    result = by_number(ask(client, [PORT_IN_US[5]]))[PORT_IN_US[5]]
    assert result["checks"]["portability"]["status"] == "blocked"
    assert result["checks"]["portability"]["reason"] == "Not portable: This number is not eligible to port to Orbit."


def test_another_tenants_campaign_is_never_offered(client, make_org, make_number):
    other = make_org("Other")
    make_campaign(other, name="Not yours")
    on_sale = make_number("US")
    campaign = by_number(ask(client, [on_sale.e164]))[on_sale.e164]["checks"]["campaign"]
    assert campaign["status"] == "warning" and "Not yours" not in campaign["reason"]


@pytest.mark.parametrize("scopes", [[], ["porting:read"], ["billing:read", "porting:write"]])
def test_needs_numbers_read(make_client, org, scopes):
    response = make_client(org, scopes=scopes).post(URL, {"numbers": [PORT_IN_US[0]]}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_numbers_read_is_enough(make_client, org):
    assert make_client(org, scopes=["numbers:read"]).post(URL, {"numbers": [PORT_IN_US[0]]},
                                                           format="json").status_code == 200


def test_needs_a_key(db):
    from rest_framework.test import APIClient

    response = APIClient().post(URL, {"numbers": [PORT_IN_US[0]]}, format="json")
    assert response.status_code == 401


def test_rate_limited_per_organisation(client, settings):
    settings.ORBIT = {**settings.ORBIT, "READINESS_RATE_LIMIT_PER_MINUTE": 20}
    statuses = [ask(client, [PORT_IN_US[0]]).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


# --- bad input -----------------------------------------------------------------------------------


def details(response) -> dict:
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    return response.json()["error"]["details"]


@pytest.mark.parametrize("body, field", [
    ({}, "numbers"),
    ({"numbers": []}, "numbers"),
    ({"numbers": "+12025550300"}, "numbers"),
    ({"numbers": None}, "numbers"),
    ({"numbers": PORT_IN_US[:1], "extra": 1}, "extra"),
])
def test_bad_bodies(client, body, field):
    assert field in details(client.post(URL, body, format="json"))


def test_more_than_100_numbers(client):
    assert "101" in details(ask(client, PORT_IN_US + [f"+1203555{t:04d}" for t in range(300, 301)]))["numbers"]


def test_100_numbers_are_fine(client):
    response = ask(client, PORT_IN_US[:100])
    assert response.status_code == 200 and len(response.json()["data"]["results"]) == 100


def test_each_bad_number_is_named_by_its_index(client):
    problems = details(ask(client, [PORT_IN_US[0], "12025550300", "+1202555", "+999123", 42, PORT_IN_US[0]]))
    assert set(problems) == {"numbers[1]", "numbers[2]", "numbers[3]", "numbers[4]", "numbers[5]"}
    assert "E.164" in problems["numbers[1]"]
    assert problems["numbers[5]"].startswith("repeats numbers[0]")


def test_not_json(client):
    response = client.post(URL, "{", content_type="application/json")
    assert response.status_code == 400


def test_in_the_schema_typed(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/numbers/readiness"]["post"]
    assert operation["operationId"] == "numbers_readiness"
    checks = schema["components"]["schemas"]["ReadinessChecks"]
    assert list(checks["properties"]) == ["regulatory", "e911", "cnam", "wallet", "portability", "campaign"]
    result = schema["components"]["schemas"]["CheckResult"]
    assert set(result["required"]) >= {"status", "reason", "next_action", "details"}
    assert result["properties"]["status"]["allOf"] == [{"$ref": "#/components/schemas/ReadinessStatusEnum"}]
    assert schema["components"]["schemas"]["ReadinessStatusEnum"]["enum"] == ["ok", "warning", "blocked"]



def test_every_response_matches_the_schema(client, org, own_number, make_number, make_org, make_client, monkeypatch):
    from rest_framework.test import APIClient

    from tests.orbit_numbers.test_schema import assert_documented

    monkeypatch.setattr(porting.readiness, "CHECK_MODULES", ALL_CHECKS)  # the six real checks, no fake
    schema = yaml.safe_load(APIClient().get("/api/v1/schema/").content)
    owned = own_number(org)
    cases = [
        (client, {"numbers": [owned.e164, make_number("US").e164, PORT_IN_US[0], "+442079460300"]}, 200),
        (client, {"numbers": []}, 422),
        (client, {"numbers": ["+1"], "x": 1}, 422),
        (client, b"{", 400),
        (APIClient(), {"numbers": [PORT_IN_US[0]]}, 401),
        (make_client(org, scopes=["porting:read"]), {"numbers": [PORT_IN_US[0]]}, 403),
    ]
    for api, body, status in cases:
        response = (api.post(URL, body, content_type="application/json") if isinstance(body, bytes)
                    else api.post(URL, body, format="json"))
        assert response.status_code == status, response.content[:300]
        assert_documented(schema, response, "POST", "/api/v1/numbers/readiness")
    for _ in range(20):  # READINESS_RATE_LIMIT_PER_MINUTE
        client.post(URL, {"numbers": [PORT_IN_US[0]]}, format="json")
    limited = client.post(URL, {"numbers": [PORT_IN_US[0]]}, format="json")
    assert limited.status_code == 429
    assert_documented(schema, limited, "POST", "/api/v1/numbers/readiness")
