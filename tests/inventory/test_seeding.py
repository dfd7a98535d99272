"""Generated inventory is realistic (valid per phonenumbers, right type, region, area code), varied,
unique and deterministic; the loaders skip what already exists."""
from __future__ import annotations

import collections
from io import StringIO
from unittest import mock

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from phonenumbers import PhoneNumberType, geocoder

from inventory import seeding
from inventory.models import PhoneNumber
from inventory.providers import get_adapter
from inventory.seeding import CATALOGUE, COUNTRY_NAMES, generate_offers, inventory_seed, offers_load

ZONES = {name for market in CATALOGUE["FR"].values() for _, name in market.regions}

EXPECTED_TYPES = {
    "local": {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    "mobile": {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    "toll_free": {PhoneNumberType.TOLL_FREE},
}


@pytest.fixture(scope="module")
def offers():
    return generate_offers(count=4000, seed="test")


def test_count_and_uniqueness(offers):
    assert len(offers) == 4000
    assert len({o.e164 for o in offers}) == 4000
    assert len({o.provider_ref for o in offers}) == 4000


def test_every_number_is_valid_for_its_country_and_type(offers):
    for offer in offers:
        parsed = phonenumbers.parse(offer.e164)
        assert phonenumbers.is_valid_number_for_region(parsed, offer.country), offer
        assert phonenumbers.number_type(parsed) in EXPECTED_TYPES[offer.line_type], offer
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == offer.e164


def test_spread_over_countries_line_types_and_providers(offers):
    countries = {o.country for o in offers}
    assert {"US", "CA", "GB", "DE"} <= countries and len(countries) >= 8
    pairs = {(o.country, o.line_type) for o in offers}
    assert pairs == {(c, t) for c in countries for t in ("local", "mobile", "toll_free")}
    assert {o.provider for o in offers} == {"devotel", "telnyx", "didww"}
    by_country = collections.Counter(o.country for o in offers)
    assert by_country.most_common(1)[0][0] == "US"


def test_region_and_area_code(offers):
    for offer in offers:
        assert offer.region, offer
        national = offer.e164[1 + len(str(phonenumbers.country_code_for_region(offer.country))):]
        assert national.startswith(offer.area_code), offer
        parsed = phonenumbers.parse(offer.e164)
        area_length = phonenumbers.length_of_geographical_area_code(parsed)
        if area_length:
            assert offer.area_code == national[:area_length], offer
    us_local = [o for o in offers if o.country == "US" and o.line_type == "local"]
    assert all(len(o.area_code) == 3 for o in us_local)
    assert {o.area_code for o in offers if o.country == "US" and o.line_type == "toll_free"} <= {
        "800", "833", "844", "855", "866", "877", "888"}


def test_region_computed_per_block_is_the_region_of_every_number(offers):
    for offer in offers:
        geocoded = geocoder.description_for_number(phonenumbers.parse(offer.e164), "en")
        if geocoded and geocoded != COUNTRY_NAMES[offer.country]:
            assert offer.region == geocoded, offer
        else:  # the geocoder knows only the country: its name, or the zone (France's 01-05)
            assert offer.region in {COUNTRY_NAMES[offer.country], *ZONES}, offer
    assert len({o.region for o in offers}) > 25


def test_well_known_area_codes():
    offers = generate_offers(count=6000, countries=["US", "GB", "DE"], line_types=["local"], seed="areas")
    known = {("US", "415"): ", CA", ("US", "212"): "New York", ("US", "312"): "Chicago", ("GB", "20"): "London",
             ("GB", "131"): "Edinburgh", ("DE", "30"): "Berlin", ("DE", "89"): "Munich", ("DE", "40"): "Hamburg"}
    seen = set()
    for offer in offers:
        expected = known.get((offer.country, offer.area_code))
        if expected:
            assert expected in offer.region, offer
            seen.add((offer.country, offer.area_code))
    assert len(seen) >= 5


def test_region_is_looked_up_per_block_not_per_number():
    real = phonenumbers.geocoder.description_for_number
    with mock.patch.object(phonenumbers.geocoder, "description_for_number", side_effect=real) as lookup:
        generated = generate_offers(count=3000, countries=["US"], line_types=["local"], seed="blocks")
    assert len(generated) == 3000
    assert 1 <= lookup.call_count <= 3000 / 15


def test_capabilities_are_realistic(offers):
    for offer in offers:
        assert set(offer.capabilities) <= {"sms", "mms", "voice", "fax"}
        assert "voice" in offer.capabilities
        if offer.line_type == "toll_free":
            assert offer.sms_two_way is False, offer
        if offer.sms_two_way:
            assert "sms" in offer.capabilities, offer
        if offer.line_type == "mobile":
            assert {"sms", "voice"} <= set(offer.capabilities) and offer.sms_two_way
    assert any(o.line_type == "toll_free" and "sms" in o.capabilities for o in offers)  # NANP send-only SMS
    assert any("fax" in o.capabilities for o in offers)


def test_prices_are_positive_and_varied(offers):
    monthly = {o.monthly_cents for o in offers}
    assert min(monthly) > 0 and len(monthly) > 30
    assert any(o.setup_cents for o in offers) and any(not o.setup_cents for o in offers)
    us_local = [o.monthly_cents for o in offers if o.country == "US" and o.line_type == "local"]
    de_mobile = [o.monthly_cents for o in offers if o.country == "DE" and o.line_type == "mobile"]
    assert sorted(us_local)[len(us_local) // 2] < sorted(de_mobile)[len(de_mobile) // 2]


def test_same_seed_same_numbers_other_seed_other_numbers():
    first = generate_offers(count=200, seed="a")
    assert first == generate_offers(count=200, seed="a")
    other = generate_offers(count=200, seed="b")
    assert len({o.e164 for o in first} & {o.e164 for o in other}) < 20


def test_filters():
    chosen = generate_offers(count=300, countries=["gb", "FR"], providers=["didww"], line_types=["toll_free"])
    assert len(chosen) == 300
    assert {o.country for o in chosen} == {"GB", "FR"}
    assert {(o.provider, o.line_type) for o in chosen} == {("didww", "toll_free")}


@pytest.mark.parametrize("kwargs", [{"countries": ["XX"]}, {"countries": []}, {"providers": ["twilio"]},
                                    {"line_types": ["short_code"]}, {"count": -1}])
def test_bad_filters_are_refused(kwargs):
    with pytest.raises(ValueError):
        generate_offers(**{"count": 10, **kwargs})


def test_simulator_offers_its_own_numbers():
    offers = get_adapter("telnyx").search_inventory(country="CA", line_type="mobile", limit=7)
    assert len(offers) == 7
    assert {(o.provider, o.country, o.line_type) for o in offers} == {("telnyx", "CA", "mobile")}


# --- loading ------------------------------------------------------------------------------------

def test_offers_load_writes_complete_rows_and_skips_existing(db):
    batch = generate_offers(count=150, countries=["US", "DE"], seed="load")
    assert offers_load(batch[:120]) == 120
    assert offers_load(batch[:120]) == 0
    assert offers_load(batch) == 30
    offer = batch[0]
    row = PhoneNumber.objects.get(e164=offer.e164)
    assert (row.provider, row.provider_ref, row.country, row.line_type, row.region, row.area_code) == (
        offer.provider, offer.provider_ref, offer.country, offer.line_type, offer.region, offer.area_code)
    assert row.capabilities == list(offer.capabilities)
    assert (row.monthly_cents, row.setup_cents, row.sms_two_way) == (offer.monthly_cents, offer.setup_cents,
                                                                      offer.sms_two_way)
    assert row.national_number == str(phonenumbers.parse(offer.e164).national_number)
    assert row.status == "available" and row.created_at is not None


def test_offers_load_skips_a_number_already_sold(db, make_number):
    offer = generate_offers(count=1, countries=["US"], line_types=["local"], seed="sold")[0]
    make_number("US", e164=offer.e164, status="assigned", provider_ref="existing-ref")
    assert offers_load([offer]) == 0
    assert PhoneNumber.objects.get(e164=offer.e164).status == "assigned"


def test_inventory_seed_inserts_exactly_the_count_even_over_existing_rows(db):
    assert inventory_seed(count=250, seed="again", batch_size=100).inserted == 250
    result = inventory_seed(count=250, seed="again", batch_size=100)  # starts with numbers already loaded
    assert result.inserted == 250 and result.skipped > 0
    assert PhoneNumber.objects.count() == 500


def test_seed_inventory_command(db):
    out = StringIO()
    call_command("seed_inventory", "--count", "400", "--countries", "US,GB", "--seed", "cmd", stdout=out)
    assert "Loaded 400 numbers" in out.getvalue()
    assert set(PhoneNumber.objects.values_list("country", flat=True).distinct()) == {"US", "GB"}
    assert PhoneNumber.objects.count() == 400


@pytest.mark.parametrize("args, message", [(["--count", "0"], "positive"), (["--count", "5", "--countries", "US,XX"],
                                                                            "unknown countries"),
                                           (["--count", "5", "--providers", "acme"], "unknown providers")])
def test_seed_inventory_rejects_bad_arguments(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_inventory", *args, stdout=StringIO())
