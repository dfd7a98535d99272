"""Number lookup and CNAM dip: the API (fields, bad input, scopes, rate limit), the money (preflight,
charge after the carrier, one ledger line, check_ledger), the per-organisation cache, the history
list and the console's read-only log."""
from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
import pytest
from django.core.management import call_command
from django.urls import include, path
from django.utils import timezone

from billing.models import LedgerEntry, Wallet
from billing.services import wallet_adjust
from inventory.api.lookup import CnamDipViewSet, NumberLookupViewSet
from inventory.models import CarrierFailure, NumberLookup
from inventory.providers.simulator import SimulatorAdapter
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.models import AuditLog
from tests.conftest import valid_numbers
from tests.orbit_numbers.test_schema import generate
from tests.staff import make_staff, superuser_client  # noqa: F401

SIMULATOR = SimulatorAdapter("telnyx")
# The simulator's own answers, as tests read them (some tests count the calls the service makes).
simulated_lookup, simulated_dip = SimulatorAdapter.lookup_number, SimulatorAdapter.cnam_dip
GB_FIXED = "+442079460018"  # London: the numbering plan says fixed line
GB_MOBILE = "+447400123456"  # the numbering plan says mobile


def us_number(line_type: str, *, skip: int = 0) -> str:
    """A valid US number the simulated carrier reads as ``line_type`` (US numbers are fixed_line_or_mobile
    in the numbering plan, so the carrier decides)."""
    found = (n for n in valid_numbers("US") if not n.endswith("9999")
             and simulated_lookup(SIMULATOR, e164=n, fields=("line_type",)).line_type == line_type)
    for _ in range(skip):
        next(found)
    return next(found)


def failing_us_number() -> str:
    for number in valid_numbers("US"):
        candidate = number[:-4] + "9999"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    raise AssertionError("no valid US number ending 9999")


@pytest.fixture
def carrier_calls(monkeypatch):
    """Every lookup_number / cnam_dip the simulator serves, as (method, e164, fields)."""
    calls = []

    def counted_lookup(self, *, e164, fields):
        calls.append(("lookup", e164, tuple(fields)))
        return simulated_lookup(self, e164=e164, fields=fields)

    def counted_dip(self, *, e164):
        calls.append(("dip", e164, ()))
        return simulated_dip(self, e164=e164)

    monkeypatch.setattr(SimulatorAdapter, "lookup_number", counted_lookup)
    monkeypatch.setattr(SimulatorAdapter, "cnam_dip", counted_dip)
    return calls


def lookup(client, e164: str, **query):
    return client.get(f"/api/v1/numbers/lookup/{e164}", query)


def fees(org) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(wallet__organization=org,
                                           kind__in=["lookup_fee", "cnam_dip_fee"]).order_by("sequence"))


def balance(org) -> int:
    return Wallet.objects.get(organization=org).balance_cents


# --- answers and charges ----------------------------------------------------------------------------


def test_default_lookup_answers_carrier_and_line_type_and_charges_the_carrier_field(client, org, carrier_calls):
    number = us_number("mobile")
    response = lookup(client, number)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["phone_number"] == number and data["country"] == "US"
    assert data["national_format"] == phonenumbers.format_number(phonenumbers.parse(number),
                                                                 phonenumbers.PhoneNumberFormat.NATIONAL)
    assert data["fields"] == ["carrier", "line_type"]
    assert data["line_type"] == "mobile"  # the plan cannot tell for US numbers: the carrier's reading
    assert data["carrier"]["name"] and data["carrier"]["mcc"] in ("310", "311")
    assert data["portability"] is None and data["sim_swap"] is None and data["roaming"] is None
    assert data["cached"] is False and data["cached_fields"] == []
    assert data["charged"] == {"amount": 0.01, "fields": ["carrier"]}  # line_type is free
    assert carrier_calls == [("lookup", number, ("carrier", "line_type"))]

    [fee] = fees(org)
    record = NumberLookup.objects.get()
    assert data["id"] == record.pk
    assert (fee.kind, fee.amount_cents, fee.reference) == ("lookup_fee", -1, f"lookup:{record.pk}")
    assert "carrier" in fee.description and number in fee.description
    assert (record.organization, record.e164, record.fields, record.charged_fields, record.charged_cents,
            record.provider) == (org, number, ["carrier", "line_type"], ["carrier"], 1, "telnyx")
    assert record.api_key is not None
    assert AuditLog.objects.filter(action="number.lookup", object_id=record.pk).count() == 1


def test_every_field_of_a_mobile_number_is_answered_and_charged_at_its_price(client, org):
    number = us_number("mobile")
    before = balance(org)
    response = lookup(client, number, fields="carrier,line_type,portability,sim_swap,roaming", sim_swap_days="30")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert set(data["portability"]) == {"lrn", "spid", "ported", "original_carrier"}
    assert len(data["portability"]["lrn"]) == 10 and data["portability"]["original_carrier"]
    swap = data["sim_swap"]
    assert swap["swapped_within_days"] == 30
    if swap["last_swap_at"] is None:
        assert swap["swapped_recently"] is False
    else:
        last = datetime.fromisoformat(swap["last_swap_at"].replace("Z", "+00:00"))
        assert swap["swapped_recently"] == (last >= timezone.now() - timedelta(days=30))
    assert data["roaming"]["status"] in ("roaming", "not_roaming") and data["roaming"]["mcc"]
    assert data["unavailable"] == {}
    assert data["charged"] == {"amount": 0.1, "fields": ["carrier", "portability", "sim_swap", "roaming"]}
    assert before - balance(org) == 1 + 1 + 5 + 3
    assert len(fees(org)) == 1  # one ledger line per request


def test_sim_swap_and_roaming_of_a_fixed_line_are_null_with_a_reason_and_free(client, org, carrier_calls):
    response = lookup(client, GB_FIXED, fields="line_type,sim_swap,roaming")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["line_type"] == "fixed_line" and data["country"] == "GB"
    assert data["sim_swap"] is None and data["roaming"] is None
    assert "mobile" in data["unavailable"]["sim_swap"] and "mobile" in data["unavailable"]["roaming"]
    assert data["charged"] == {"amount": 0.0, "fields": []}
    assert carrier_calls == []  # the numbering plan already said: no carrier call
    assert fees(org) == [] and NumberLookup.objects.get().charged_cents == 0


def test_a_us_fixed_line_is_told_by_the_carrier_and_its_sim_swap_is_not_charged(client, org, carrier_calls):
    number = us_number("fixed_line")
    data = lookup(client, number, fields="sim_swap").json()["data"]
    assert data["sim_swap"] is None and "mobile" in data["unavailable"]["sim_swap"]
    assert data["charged"]["fields"] == [] and fees(org) == []
    assert carrier_calls == [("lookup", number, ("sim_swap",))]


def test_a_mobile_number_by_the_plan_gets_its_sim_swap_from_the_carrier(client, org):
    data = lookup(client, GB_MOBILE, fields="sim_swap").json()["data"]
    assert data["sim_swap"]["swapped_within_days"] == 7  # the default window
    assert data["charged"] == {"amount": 0.05, "fields": ["sim_swap"]}


# --- the cache ----------------------------------------------------------------------------------------


def test_a_cached_lookup_is_not_charged_again_and_says_so(client, org, carrier_calls):
    number = us_number("mobile")
    first = lookup(client, number, fields="carrier,portability").json()["data"]
    second = lookup(client, number, fields="carrier,portability").json()["data"]
    assert second["cached"] is True and second["cached_fields"] == ["carrier", "portability"]
    assert second["charged"] == {"amount": 0.0, "fields": []}
    assert (second["carrier"], second["portability"]) == (first["carrier"], first["portability"])
    assert len(carrier_calls) == 1 and len(fees(org)) == 1
    assert NumberLookup.objects.count() == 2  # a log row per request, cached or not


def test_only_the_uncached_fields_are_fetched_and_charged(client, org, carrier_calls):
    number = us_number("mobile")
    lookup(client, number, fields="carrier")
    data = lookup(client, number, fields="carrier,portability").json()["data"]
    assert data["cached"] is False and data["cached_fields"] == ["carrier"]
    assert data["charged"] == {"amount": 0.01, "fields": ["portability"]}
    assert carrier_calls[-1] == ("lookup", number, ("portability",))


def test_the_cache_lasts_the_configured_time(client, org, carrier_calls, settings):
    settings.ORBIT = {**settings.ORBIT, "LOOKUP_CACHE_SECONDS": 0}  # Django: 0 means "do not cache"
    number = us_number("mobile")
    lookup(client, number)
    assert lookup(client, number).json()["data"]["cached"] is False
    assert len(carrier_calls) == 2 and len(fees(org)) == 2


def test_another_organisation_pays_for_its_own_lookup(client, org, make_org, make_client, carrier_calls):
    number = us_number("mobile")
    lookup(client, number)
    other = make_org("Other", credit_cents=10_00)
    data = lookup(make_client(other), number).json()["data"]
    assert data["cached"] is False and data["charged"]["fields"] == ["carrier"]
    assert len(carrier_calls) == 2 and len(fees(org)) == 1 and len(fees(other)) == 1


def test_prices_come_from_the_settings(client, org, settings):
    settings.ORBIT = {**settings.ORBIT, "LOOKUP_PRICES_CENTS": {
        "carrier": 7, "line_type": 2, "portability": 0, "sim_swap": 5, "roaming": 3}}
    data = lookup(client, us_number("mobile"), fields="carrier,line_type,portability").json()["data"]
    assert data["charged"] == {"amount": 0.09, "fields": ["carrier", "line_type"]}
    assert [entry.amount_cents for entry in fees(org)] == [-9]


# --- money refused, carrier failures -------------------------------------------------------------------


def test_an_empty_wallet_is_402_before_the_carrier_is_asked(make_org, make_client, carrier_calls):
    broke = make_org("Broke")
    response = lookup(make_client(broke), us_number("mobile"))
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    assert carrier_calls == [] and fees(broke) == [] and not NumberLookup.objects.exists()


def test_free_fields_need_no_credit(make_org, make_client):
    broke = make_org("Broke")
    response = lookup(make_client(broke), GB_FIXED, fields="line_type")
    assert response.status_code == 200 and response.json()["data"]["line_type"] == "fixed_line"


def test_a_wallet_emptied_during_the_carrier_call_is_402_and_nothing_is_recorded_or_cached(
        make_org, make_client, monkeypatch, carrier_calls):
    org = make_org("Tight", credit_cents=1)
    client = make_client(org)
    number = us_number("mobile")

    def spend_meanwhile(self, *, e164, fields):
        wallet_adjust(organization=org, amount_cents=-1, reason="spent elsewhere meanwhile")
        return simulated_lookup(self, e164=e164, fields=fields)

    monkeypatch.setattr(SimulatorAdapter, "lookup_number", spend_meanwhile)
    response = lookup(client, number)
    assert response.status_code == 402
    assert fees(org) == [] and not NumberLookup.objects.exists() and balance(org) == 0
    wallet_adjust(organization=org, amount_cents=5, reason="top up")
    monkeypatch.setattr(SimulatorAdapter, "lookup_number", simulated_lookup)
    again = lookup(client, number).json()["data"]
    assert again["cached"] is False and again["charged"]["fields"] == ["carrier"]  # it was never cached


def test_a_carrier_failure_is_503_and_charges_nothing(client, org):
    number = failing_us_number()
    before = balance(org)
    response = lookup(client, number, fields="carrier,portability")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "CARRIER_UNAVAILABLE" and "nothing was charged" in body["error"]["message"]
    assert response["Retry-After"] == "30"
    assert balance(org) == before and fees(org) == [] and not NumberLookup.objects.exists()
    failure = CarrierFailure.objects.get()
    assert (failure.operation, failure.e164, failure.organization) == ("lookup", number, org)


def test_a_carrier_without_a_lookup_api_is_503(client, org, settings):
    settings.ORBIT = {**settings.ORBIT, "LOOKUP_PROVIDER": "didww",
                      "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"], "didww": "didww"}}
    response = lookup(client, us_number("mobile"))
    assert response.status_code == 503 and "NOT_SUPPORTED" in response.json()["error"]["message"]
    assert fees(org) == []


# --- bad input, scopes, rate limits -----------------------------------------------------------------------


@pytest.mark.parametrize("e164, field", [
    ("+1234", "e164"), ("hello", "e164"), ("+14155550100x", "e164"), ("+1415555010", "e164"),
    ("+999123456789", "e164"), ("++14155550100", "e164"), ("+4402079460018", "e164"),
])
def test_a_number_that_is_not_valid_e164_is_422(client, e164, field):
    response = lookup(client, e164)
    assert response.status_code == 422, (e164, response.content)
    assert field in response.json()["error"]["details"]


@pytest.mark.parametrize("query, field", [
    ({"fields": "carrier,caller_name"}, "fields"), ({"fields": ""}, "fields"), ({"fields": "carrier,"}, "fields"),
    ({"fields": "CARRIER"}, "fields"), ({"sim_swap_days": "7"}, "sim_swap_days"),
    ({"fields": "sim_swap", "sim_swap_days": "0"}, "sim_swap_days"),
    ({"fields": "sim_swap", "sim_swap_days": "366"}, "sim_swap_days"),
    ({"fields": "sim_swap", "sim_swap_days": "week"}, "sim_swap_days"), ({"type": "carrier"}, "type"),
])
def test_bad_query_parameters_are_422_and_charge_nothing(client, org, query, field, carrier_calls):
    response = lookup(client, us_number("mobile"), **query)
    assert response.status_code == 422, (query, response.content)
    assert field in response.json()["error"]["details"]
    assert carrier_calls == [] and fees(org) == []


def test_the_number_may_be_sent_without_its_plus_or_encoded(client):
    number = us_number("mobile")
    for sent in (number[1:], number.replace("+", "%2B")):
        response = client.get(f"/api/v1/numbers/lookup/{sent}")
        assert response.status_code == 200 and response.json()["data"]["phone_number"] == number


def test_repeated_fields_are_looked_up_once(client, org):
    data = lookup(client, us_number("mobile"), fields="carrier,carrier").json()["data"]
    assert data["fields"] == ["carrier"] and data["charged"]["fields"] == ["carrier"]


def test_lookups_and_dips_need_numbers_write_and_the_history_numbers_read(make_client, org):
    number = us_number("mobile")
    reader, writer = make_client(org, scopes=["numbers:read"]), make_client(org, scopes=["numbers:write"])
    assert lookup(reader, number).status_code == 403
    assert reader.get(f"/api/v1/numbers/cnam-dip/{number}").status_code == 403
    assert writer.get("/api/v1/numbers/lookups").status_code == 403
    assert lookup(writer, number).status_code == 200
    assert reader.get("/api/v1/numbers/lookups").status_code == 200
    assert lookup(make_client(org, scopes=["porting:write", "billing:read"]), number).status_code == 403
    assert fees(org) and len(fees(org)) == 1


def test_no_key_is_401(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/numbers/lookup/+14155550100").status_code == 401


def test_lookups_and_dips_are_rate_limited_per_organisation(client, org, make_client, monkeypatch):
    monkeypatch.setattr(NumberLookupViewSet, "rate_limits", {"retrieve": RateLimit("number_lookup", 2)})
    monkeypatch.setattr(CnamDipViewSet, "rate_limits", {"retrieve": RateLimit("cnam_dip", 1)})
    other_key = make_client(org)
    assert lookup(client, GB_FIXED, fields="line_type").status_code == 200
    ok = lookup(other_key, GB_FIXED, fields="line_type")
    assert ok.status_code == 200 and ok["X-RateLimit-Limit"] == "2"
    limited = lookup(client, GB_FIXED, fields="line_type")  # the organisation's budget, not the key's
    assert limited.status_code == 429 and limited["Retry-After"]
    number = us_number("mobile")
    assert client.get(f"/api/v1/numbers/cnam-dip/{number}").status_code == 200  # a budget of its own
    assert client.get(f"/api/v1/numbers/cnam-dip/{number}").status_code == 429


# --- CNAM dip ---------------------------------------------------------------------------------------------


def test_a_cnam_dip_answers_the_caller_name_and_charges_the_dip_fee(client, org, carrier_calls):
    number = us_number("mobile")
    response = client.get(f"/api/v1/numbers/cnam-dip/{number}")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    expected = simulated_dip(SIMULATOR, e164=number)
    assert (data["phone_number"], data["caller_name"], data["caller_type"]) == (
        number, expected.caller_name, expected.caller_type)
    assert data["caller_type"] in ("business", "consumer", "unknown")
    assert data["cached"] is False and data["charged"] == {"amount": 0.01, "fields": ["caller_name"]}
    [fee] = fees(org)
    record = NumberLookup.objects.get()
    assert (fee.kind, fee.amount_cents, fee.reference) == ("cnam_dip_fee", -1, f"lookup:{record.pk}")
    assert record.kind == "cnam_dip" and data["id"] == record.pk

    again = client.get(f"/api/v1/numbers/cnam-dip/{number}").json()["data"]
    assert again["cached"] is True and again["charged"]["amount"] == 0 and again["caller_name"] == data["caller_name"]
    assert len(fees(org)) == 1 and carrier_calls == [("dip", number, ())]


def test_a_dip_and_a_lookup_of_one_number_are_cached_apart(client, org):
    number = us_number("mobile")
    lookup(client, number)
    data = client.get(f"/api/v1/numbers/cnam-dip/{number}").json()["data"]
    assert data["cached"] is False and len(fees(org)) == 2


def test_cnam_dip_refuses_what_has_no_caller_name(client, org, carrier_calls):
    for bad in (GB_MOBILE, "+1234", "nonsense"):
        response = client.get(f"/api/v1/numbers/cnam-dip/{bad}")
        assert response.status_code == 422 and "e164" in response.json()["error"]["details"]
    assert client.get(f"/api/v1/numbers/cnam-dip/{us_number('mobile')}", {"fields": "x"}).status_code == 422
    assert carrier_calls == [] and fees(org) == []


def test_cnam_dip_costs_the_configured_fee_and_needs_credit(make_org, make_client, settings, carrier_calls):
    settings.ORBIT = {**settings.ORBIT, "CNAM_DIP_PRICE_CENTS": 4}
    org = make_org("Three cents", credit_cents=3)
    client = make_client(org)
    assert client.get(f"/api/v1/numbers/cnam-dip/{us_number('mobile')}").status_code == 402
    assert carrier_calls == []
    wallet_adjust(organization=org, amount_cents=1, reason="top up")
    assert client.get(f"/api/v1/numbers/cnam-dip/{us_number('mobile')}").json()["data"]["charged"]["amount"] == 0.04
    assert balance(org) == 0


def test_a_failed_dip_is_503_and_free(client, org):
    response = client.get(f"/api/v1/numbers/cnam-dip/{failing_us_number()}")
    assert response.status_code == 503 and fees(org) == []
    assert CarrierFailure.objects.get().operation == "cnam_dip"


def test_the_ledger_reconciles_after_lookups_and_dips(client, org, make_org, make_client, capsys):
    other = make_client(make_org("Other", credit_cents=1_00))
    for number in (us_number("mobile"), us_number("fixed_line"), us_number("voip")):
        lookup(client, number, fields="carrier,portability,sim_swap,roaming")
        lookup(other, number)
        client.get(f"/api/v1/numbers/cnam-dip/{number}")
    assert LedgerEntry.objects.filter(kind__in=["lookup_fee", "cnam_dip_fee"]).count() == 9
    call_command("check_ledger")
    assert "Ledger OK" in capsys.readouterr().out


# --- history ----------------------------------------------------------------------------------------------


def test_the_history_lists_this_organisations_lookups_newest_first(client, org, make_org, make_client):
    mobile, fixed = us_number("mobile"), us_number("fixed_line")
    lookup(client, mobile)
    lookup(client, mobile)
    client.get(f"/api/v1/numbers/cnam-dip/{fixed}")
    lookup(make_client(make_org("Other", credit_cents=1_00)), mobile)

    response = client.get("/api/v1/numbers/lookups")
    assert response.status_code == 200
    items = response.json()["data"]
    assert [item["kind"] for item in items] == ["cnam_dip", "lookup", "lookup"]  # not the other tenant's
    dip, cached, first = items
    assert dip["fields"] == ["caller_name"] and dip["charged"] == {"amount": 0.01, "fields": ["caller_name"]}
    assert cached["cached_fields"] == ["carrier", "line_type"] and cached["charged"]["amount"] == 0
    assert first["phone_number"] == mobile and first["charged"] == {"amount": 0.01, "fields": ["carrier"]}
    assert response.json()["meta"]["pagination"] == {"cursor": None, "has_more": False}

    by_number = client.get("/api/v1/numbers/lookups", {"phone_number": fixed[1:]}).json()["data"]
    assert [item["kind"] for item in by_number] == ["cnam_dip"]
    assert len(client.get("/api/v1/numbers/lookups", {"kind": "lookup"}).json()["data"]) == 2
    assert client.get("/api/v1/numbers/lookups", {"created_after": "2999-01-01T00:00:00Z"}).json()["data"] == []
    assert len(client.get("/api/v1/numbers/lookups", {"created_before": "2999-01-01T00:00:00Z"}).json()["data"]) == 3
    page = client.get("/api/v1/numbers/lookups", {"limit": 2}).json()
    assert len(page["data"]) == 2 and page["meta"]["pagination"]["has_more"] is True
    rest = client.get("/api/v1/numbers/lookups", {"limit": 2, "cursor": page["meta"]["pagination"]["cursor"]})
    assert [item["id"] for item in rest.json()["data"]] == [first["id"]]


@pytest.mark.parametrize("query, field", [
    ({"phone_number": "+1234"}, "phone_number"), ({"kind": "hlr"}, "kind"),
    ({"created_after": "yesterday"}, "created_after"), ({"e164": "+14155550100"}, "e164"), ({"kind": ""}, "kind"),
    ({"cursor": "forged"}, "cursor"), ({"limit": "0"}, "limit"),
])
def test_history_filters_refuse_bad_values(client, query, field):
    response = client.get("/api/v1/numbers/lookups", query)
    assert response.status_code == 422, (query, response.content)
    assert field in response.json()["error"]["details"]


# --- console, schema ------------------------------------------------------------------------------------


def test_the_console_log_is_read_only_and_readable_by_finance(client, org, make_staff, superuser_client):  # noqa: F811
    lookup(client, us_number("mobile"))
    record = NumberLookup.objects.get()
    page = superuser_client.get("/admin/inventory/numberlookup/")
    assert page.status_code == 200 and record.e164 in page.content.decode()
    assert superuser_client.get(f"/admin/inventory/numberlookup/{record.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/inventory/numberlookup/add/").status_code == 403
    finance = make_staff("finance")
    assert finance.get("/admin/inventory/numberlookup/").status_code == 200
    search = superuser_client.get("/admin/inventory/numberlookup/", {"q": record.e164[2:8]})
    assert record.e164 in search.content.decode()


def test_the_lookup_operations_generate_a_clean_schema(db):
    schema, problems = generate([path("api/v1/", include("inventory.api.lookup"))])
    assert problems == ""
    assert set(schema["paths"]) == {"/api/v1/numbers/lookup/{e164}", "/api/v1/numbers/cnam-dip/{e164}",
                                    "/api/v1/numbers/lookups"}
    operation = schema["paths"]["/api/v1/numbers/lookup/{e164}"]["get"]
    assert {"200", "402", "403", "404", "422", "429", "503"} <= set(operation["responses"])
    assert "numbers:write" in operation["description"]


def test_simulated_answers_are_deterministic_per_number():
    number = us_number("mobile")
    fields = ("carrier", "line_type", "portability", "roaming")
    assert SIMULATOR.lookup_number(e164=number, fields=fields) == SIMULATOR.lookup_number(e164=number, fields=fields)
    assert SIMULATOR.cnam_dip(e164=number) == SIMULATOR.cnam_dip(e164=number)
    kinds = {SIMULATOR.lookup_number(e164=n, fields=("line_type",)).line_type
             for n in (us_number("mobile"), us_number("fixed_line"), us_number("voip"))}
    assert kinds == {"mobile", "fixed_line", "voip"}
    ported = {SIMULATOR.lookup_number(e164=us_number("mobile", skip=i), fields=("portability",)).portability.ported
              for i in range(12)}
    assert ported == {True, False}


def test_a_path_no_route_matches_is_a_404_envelope(client):
    response = client.get("/api/v1/numbers/cnam-dip/%2B14155550100%0A")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
