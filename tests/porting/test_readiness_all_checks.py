"""POST /api/v1/numbers/readiness with all six real checks (regulatory, E911, CNAM, wallet, portability,
10DLC) and nothing stood in: one request whose numbers cover every state each check can produce, a
constant number of queries for any mix of numbers, and nothing of another organisation in the answer.

State is set through the services (compliance profiles created, submitted and approved; E911 addresses
validated and provisioned; CNAM names listed; campaigns attached), running what their commits schedule
where the carrier answers (the simulator decides at once). Only a campaign still PENDING review is set
on the model: the API attaches ACTIVE campaigns only.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import porting.readiness
from billing.selectors import wallet_for
from inventory.models import Campaign, CnamListing, EmergencyAssignment, OwnedNumber
from inventory.services import number_purchase
from inventory.services.caller_id import cnam_listing_set
from inventory.services.compliance import (compliance_profile_approve, compliance_profile_create,
                                           compliance_profile_submit)
from inventory.services.emergency import emergency_address_create, number_emergency_address_set
from inventory.services.numbers import number_update
from tests.porting.readiness_support import PORT_IN_US, make_campaign

URL = "/api/v1/numbers/readiness"
ALL_CHECKS = ("regulatory", "e911", "cnam", "wallet", "portability", "campaign")
ADDRESS = {"caller_name": "Jane Roe", "street_number": "1", "street_name": "Market St", "city": "San Francisco",
           "state": "CA", "postal_code": "94105", "country": "US"}
GB_FIELDS = {"business_name": "Acme Ltd", "street_address": "10 Downing Street", "city": "London",
             "postal_code": "SW1A 2AA"}
BALANCE_CENTS = 10_00  # what the wallet holds when the question is asked


@pytest.fixture(autouse=True)
def carriers(settings):
    """Every check real; the simulator decides CNAM listings at once and flags no number as spam."""
    assert porting.readiness.CHECK_MODULES == ALL_CHECKS  # nothing patched them
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_CNAM_LISTING_SECONDS": 0, "SIMULATOR_SPAM_FLAG_PERCENT": 0,
                      "CARRIER_TRANSACTION_GUARD": "raise"}
    return settings


def ask(client, numbers):
    response = client.post(URL, {"numbers": numbers}, format="json")
    assert response.status_code == 200, response.json()
    return response


def by_number(response) -> dict:
    return {r["phone_number"]: r for r in response.json()["data"]["results"]}


def buy(organization, row) -> OwnedNumber:
    return number_purchase(organization=organization, phone_number=row.e164, country_code=row.country)


def gb_profile(organization, *, line_types, actions, approve: bool):
    """A GB profile (fields only: Ofcom asks for no documents) created and submitted through the services;
    approved by staff when ``approve``."""
    profile = compliance_profile_create(organization=organization, name=f"GB {'/'.join(line_types)}", country="GB",
                                        line_types=line_types, actions=actions, fields=GB_FIELDS)
    profile = compliance_profile_submit(organization=organization, profile_id=profile.pk)
    if approve:
        profile = compliance_profile_approve(profile_id=profile.pk).profile
    return profile


def attach_address(organization, number, address, capture, *, carrier_answers: bool):
    """Attach an E911 address; the carrier's answer (the task queued on commit) runs only if asked."""
    with capture(execute=carrier_answers):
        number_emergency_address_set(organization=organization, number_id=number.pk, address_id=address.pk)


def list_name(organization, number, name, capture, *, carrier_answers: bool):
    with capture(execute=carrier_answers):
        cnam_listing_set(organization=organization, number_id=number.pk, display_name=name)


# --- every state in one request ------------------------------------------------------------------


OK, WARNING, BLOCKED = "ok", "warning", "blocked"

# name → the status each check answers, in check order (regulatory, e911, cnam, wallet, portability, campaign)
EXPECTED = {
    # owned US local: E911 provisioned, CNAM listed, ACTIVE campaign, renewal covered
    "ready": (OK, OK, OK, OK, OK, OK),
    # owned: E911 provisioning pending, CNAM name pending, campaign PENDING review, renewal above the balance
    "in_flight": (OK, WARNING, WARNING, WARNING, OK, WARNING),
    # owned: no E911 address, no CNAM name, no campaign
    "bare": (OK, BLOCKED, WARNING, OK, OK, BLOCKED),
    # owned: the PSAP refused the address, the carrier rejected the name; ACTIVE campaign
    "refused": (OK, BLOCKED, WARNING, OK, OK, OK),
    # on sale GB local (no E911 outside US/CA: emergency calls blocked), covered by an approved profile; the wallet covers it but not every purchase together
    "gb_local": (OK, WARNING, OK, WARNING, OK, OK),
    # on sale GB mobile: its profile is submitted, pending review
    "gb_mobile": (WARNING, WARNING, OK, WARNING, OK, OK),
    # on sale DE local: no profile at all
    "de_local": (BLOCKED, WARNING, OK, WARNING, OK, OK),
    # on sale US local costing more than the wallet holds
    "us_dear": (OK, WARNING, WARNING, BLOCKED, OK, OK),
    # to port: a portable US local number
    "us_port": (OK, WARNING, WARNING, OK, OK, OK),
    # to port: the losing carrier says not portable (the simulator's ineligible suffix 0000)
    "us_not_portable": (OK, WARNING, WARNING, OK, BLOCKED, OK),
    # to port: GB local, whose carrier (DIDWW) has no instant check; the approved profile covers port-ins
    "gb_port": (OK, WARNING, OK, OK, WARNING, OK),
}
WORST = {name: (BLOCKED if BLOCKED in states else WARNING if WARNING in states else OK)
         for name, states in EXPECTED.items()}


@pytest.fixture
def world(make_org, make_client, make_number, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    owned_rows = {"ready": make_number("US"), "in_flight": make_number("US", monthly_cents=50_00),
                  "bare": make_number("US"), "refused": make_number("US", e164="+12015550911")}  # 0911: PSAP refuses
    setup_costs = sum(row.setup_cents + row.monthly_cents for row in owned_rows.values())
    org = make_org("All checks", credit_cents=setup_costs + BALANCE_CENTS)
    owned = {name: buy(org, row) for name, row in owned_rows.items()}
    assert wallet_for(organization=org).balance_cents == BALANCE_CENTS

    active = make_campaign(org, name="Alerts")
    for name in ("ready", "refused"):
        number_update(organization=org, number_id=owned[name].pk, changes={"campaign_id": active.pk})
    pending = make_campaign(org, Campaign.Status.PENDING, name="Promotions")
    OwnedNumber.objects.filter(pk=owned["in_flight"].pk).update(campaign=pending)

    address = emergency_address_create(organization=org, fields=ADDRESS)
    attach_address(org, owned["ready"], address, capture, carrier_answers=True)
    attach_address(org, owned["in_flight"], address, capture, carrier_answers=False)
    attach_address(org, owned["refused"], address, capture, carrier_answers=True)

    list_name(org, owned["ready"], "ACME CO", capture, carrier_answers=True)
    list_name(org, owned["in_flight"], "ACME CO", capture, carrier_answers=False)
    list_name(org, owned["refused"], "FREE CALLS", capture, carrier_answers=True)  # a prohibited word

    gb_local_profile = gb_profile(org, line_types=["local"], actions=["purchase", "port_in"], approve=True)
    gb_mobile_profile = gb_profile(org, line_types=["mobile"], actions=["purchase"], approve=False)

    numbers = {name: number.e164 for name, number in owned.items()}
    numbers.update(gb_local=make_number("GB", "local").e164, gb_mobile=make_number("GB", "mobile").e164,
                   de_local=make_number("DE", "local").e164,
                   us_dear=make_number("US", setup_cents=15_00, monthly_cents=5_00).e164,
                   us_port=PORT_IN_US[2], us_not_portable="+12025550000", gb_port="+442079460300")
    return {"org": org, "client": make_client(org), "numbers": numbers, "owned": owned, "address": address,
            "active": active, "pending": pending, "gb_local_profile": gb_local_profile,
            "gb_mobile_profile": gb_mobile_profile}


def test_the_world_is_what_the_services_made_it(world):
    """The fixture's states come from the services and the simulated carrier, not from the test."""
    owned = world["owned"]
    states = {name: (EmergencyAssignment.objects.get(number=owned[name]).status,
                     CnamListing.objects.get(number=owned[name]).status)
              for name in ("ready", "in_flight", "refused")}
    assert states == {"ready": ("provisioned", "listed"), "in_flight": ("pending", "pending"),
                      "refused": ("failed", "rejected")}
    assert world["gb_local_profile"].status == "approved" and world["gb_mobile_profile"].status == "submitted"


def test_one_request_covers_every_state_of_every_check(world):
    numbers = world["numbers"]
    asked = [numbers[name] for name in EXPECTED]
    response = ask(world["client"], asked)
    data = response.json()["data"]
    assert [r["phone_number"] for r in data["results"]] == asked
    results = {name: by_number(response)[numbers[name]] for name in EXPECTED}

    got = {name: tuple(result["checks"][check]["status"] for check in ALL_CHECKS) for name, result in results.items()}
    assert got == EXPECTED
    assert {name: result["status"] for name, result in results.items()} == WORST
    assert {name: result["ready"] for name, result in results.items()} == {
        name: worst != BLOCKED for name, worst in WORST.items()}
    assert [results[name]["kind"] for name in EXPECTED] == (
        ["owned"] * 4 + ["purchase"] * 4 + ["port_in"] * 3)
    assert data["summary"] == {"ok": 1, "warning": 5, "blocked": 5}

    # Every check of every number explains itself; only an ok needs no next action.
    for name, result in results.items():
        assert list(result["checks"]) == list(ALL_CHECKS)
        for check, answer in result["checks"].items():
            assert answer["reason"].strip(), (name, check)
            if answer["status"] == OK:
                assert answer["next_action"] == "", (name, check)
            else:
                assert answer["next_action"].strip(), (name, check)

    # Each state says what matters in its details.
    check = {name: result["checks"] for name, result in results.items()}
    de_missing = check["de_local"]["regulatory"]["details"]["missing"]
    assert {d["type"] for d in de_missing["documents"]} == {"proof_of_local_address", "business_registration"}
    assert {f["name"] for f in de_missing["fields"]} == {"business_name", "contact_name", "street_address", "city",
                                                         "postal_code"}
    assert "compliance-profiles" in check["de_local"]["regulatory"]["next_action"]
    assert check["de_local"]["regulatory"]["details"]["profiles"] == []
    pending = world["gb_mobile_profile"]
    assert pending.pk in check["gb_mobile"]["regulatory"]["reason"]
    assert check["gb_mobile"]["regulatory"]["details"]["profiles"] == [
        {"id": pending.pk, "name": pending.name, "status": "submitted", "reason": "submitted, pending review"}]
    assert check["gb_local"]["regulatory"]["details"] == {"profile_id": world["gb_local_profile"].pk}
    assert check["gb_port"]["regulatory"]["details"]["profile_id"] == world["gb_local_profile"].pk

    address_id = world["address"].pk
    assert check["ready"]["e911"]["details"] == {"address_id": address_id}
    assert check["in_flight"]["e911"]["details"] == {"address_id": address_id}
    assert check["refused"]["e911"]["details"]["error_code"] == "E911_PSAP_REJECTED"
    assert "emergency-address" in check["bare"]["e911"]["next_action"]

    assert check["ready"]["cnam"]["details"] == {"cnam_status": "listed", "display_name": "ACME CO"}
    assert check["in_flight"]["cnam"]["details"]["cnam_status"] == "pending"
    assert check["refused"]["cnam"]["details"]["reject_code"] == "PROHIBITED_WORD"
    assert check["bare"]["cnam"]["details"] == {"cnam_status": None}

    assert check["us_dear"]["wallet"]["details"]["top_up_cents"] == 20_00 - BALANCE_CENTS
    buy_total = sum(check[name]["wallet"]["details"]["cost_cents"]
                    for name in ("gb_local", "gb_mobile", "de_local", "us_dear"))
    assert check["gb_local"]["wallet"]["details"]["top_up_cents"] == buy_total - BALANCE_CENTS
    assert check["in_flight"]["wallet"]["details"]["top_up_cents"] == 50_00 - BALANCE_CENTS

    assert check["us_port"]["portability"]["details"]["check_status"] == "checked"
    assert check["us_not_portable"]["portability"]["details"]["reasons"] == [
        "The losing carrier reports this number as not portable (no coverage in its rate centre)."]
    assert check["gb_port"]["portability"]["details"]["check_status"] == "check-not-supported"

    assert check["ready"]["campaign"]["details"] == {"campaign_id": world["active"].pk, "campaign_status": "ACTIVE"}
    assert check["in_flight"]["campaign"]["details"] == {"campaign_id": world["pending"].pk,
                                                         "campaign_status": "PENDING"}
    assert check["bare"]["campaign"]["details"] == {"campaign_id": None, "campaign_status": None}
    assert check["us_port"]["campaign"]["details"]["campaign_id"] == world["active"].pk


def test_a_carrier_that_does_not_answer_is_a_portability_warning(world):
    """The simulator fails a whole Telnyx portability batch holding a number ending 9999: every US number
    of that request is check-skipped (a warning), while the other checks still answer."""
    numbers = [PORT_IN_US[3], "+12025559999"]
    results = by_number(ask(world["client"], numbers))
    for e164 in numbers:
        portability = results[e164]["checks"]["portability"]
        assert portability["status"] == WARNING and portability["details"]["check_status"] == "check-skipped"
        assert portability["next_action"]
        assert results[e164]["checks"]["wallet"]["status"] == OK
        assert results[e164]["checks"]["regulatory"]["status"] == OK


# --- constant queries ----------------------------------------------------------------------------


def _mixed(org, make_number, capture, address, campaign, count: int) -> list[str]:
    """``count`` numbers cycling through every kind and every query path of the six checks: owned US
    voice numbers (E911 provisioned or not, CNAM listed or not, on a campaign or not), numbers on sale
    in the US, in covered GB and in uncovered DE, and US and GB numbers to port."""
    numbers = []
    for index in range(count):
        slot = index % 5
        if slot == 0:
            number = buy(org, make_number("US"))
            if index % 2 == 0:
                attach_address(org, number, address, capture, carrier_answers=True)
                list_name(org, number, "ACME CO", capture, carrier_answers=True)
                number_update(organization=org, number_id=number.pk, changes={"campaign_id": campaign.pk})
            numbers.append(number.e164)
        elif slot == 1:
            numbers.append(make_number("US").e164)
        elif slot == 2:
            numbers.append(make_number("GB" if index % 2 else "DE").e164)
        elif slot == 3:
            numbers.append(PORT_IN_US[20 + index])
        else:
            numbers.append(f"+4420794603{index:02d}")
    return numbers


def test_the_number_of_queries_is_the_same_for_5_and_50_numbers(make_org, make_client, make_number,
                                                                 django_capture_on_commit_callbacks):
    org = make_org("Many", credit_cents=1_000_00)
    client = make_client(org)
    address = emergency_address_create(organization=org, fields=ADDRESS)
    campaign = make_campaign(org)
    gb_profile(org, line_types=["local"], actions=["purchase", "port_in"], approve=True)
    gb_profile(org, line_types=["mobile"], actions=["purchase"], approve=False)
    ask(client, [PORT_IN_US[0]])  # the key's first use of the minute records last_used_at (one more query)
    counts = {}
    for count in (5, 50):
        numbers = _mixed(org, make_number, django_capture_on_commit_callbacks, address, campaign, count)
        with CaptureQueriesContext(connection) as queries:
            response = ask(client, numbers)
        results = response.json()["data"]["results"]
        assert len(results) == count
        assert {r["kind"] for r in results} == {"owned", "purchase", "port_in"}
        statuses = {(name, c["status"]) for r in results for name, c in r["checks"].items()}
        assert {("regulatory", OK), ("regulatory", BLOCKED), ("e911", OK), ("cnam", OK), ("campaign", OK),
                ("portability", OK), ("portability", WARNING)} <= statuses
        counts[count] = len(queries)
    assert counts[5] == counts[50], counts


# --- tenants -------------------------------------------------------------------------------------


def test_another_organisations_numbers_profiles_addresses_and_names_never_show(
        client, org, own_number, make_org, make_number, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    other = make_org("Other", credit_cents=100_00)
    theirs = buy(other, make_number("US", e164="+12015550142"))  # not the simulator's ineligible 0000
    their_address = emergency_address_create(organization=other, fields={**ADDRESS, "caller_name": "Secret Sam"})
    attach_address(other, theirs, their_address, capture, carrier_answers=True)
    list_name(other, theirs, "OTHERCO", capture, carrier_answers=True)
    their_campaign = make_campaign(other, name="Their campaign")
    number_update(organization=other, number_id=theirs.pk, changes={"campaign_id": their_campaign.pk})
    their_profile = gb_profile(other, line_types=["local", "mobile"], actions=["purchase", "port_in"], approve=True)

    mine = own_number(org)
    gb_on_sale = make_number("GB", "mobile")
    response = ask(client, [theirs.e164, mine.e164, gb_on_sale.e164, "+442079460301"])
    results = by_number(response)

    their_answer = results[theirs.e164]
    assert their_answer["kind"] == "port_in"
    assert their_answer["checks"]["portability"]["status"] == BLOCKED
    assert their_answer["checks"]["portability"]["details"]["reasons"] == [
        "This number is not eligible to port to Orbit."]
    assert their_answer["checks"]["cnam"]["details"] == {"cnam_status": None}
    assert their_answer["checks"]["e911"]["status"] == WARNING  # as for any number to port: not provisioned here
    # Their address, name and campaign are not ours: my number has none of them.
    assert results[mine.e164]["checks"]["e911"]["status"] == BLOCKED
    assert results[mine.e164]["checks"]["cnam"]["details"] == {"cnam_status": None}
    assert results[mine.e164]["checks"]["campaign"]["status"] == BLOCKED
    # Their approved GB profile covers nothing of mine.
    for e164 in (gb_on_sale.e164, "+442079460301"):
        regulatory = results[e164]["checks"]["regulatory"]
        assert regulatory["status"] == BLOCKED and regulatory["details"]["profiles"] == []

    body = response.content.decode()
    for secret in (theirs.pk, their_address.pk, their_campaign.pk, their_profile.pk, "OTHERCO", "Secret Sam",
                   "Their campaign", their_profile.name):
        assert str(secret) not in body, secret
