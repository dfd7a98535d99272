"""Realistic sellable inventory for the demo, load tests and the carrier simulator.

Numbers come from real numbering ranges (area codes, mobile ranges, toll-free codes), and every
one is checked with ``phonenumbers``: valid for its country and of the right type. Carriers hold
numbers in blocks (NPA-NXX in North America, number ranges elsewhere), so offers are generated
block by block: a block is a national prefix whose last four digits vary, held by one carrier at
one price tier with one capability set. Region (geocoder) and area code are computed once per
block, which keeps a million numbers within seconds of CPU.

``offers_load`` writes offers into the inventory table, skipping numbers that already exist: on
PostgreSQL through COPY into a temporary table and one INSERT … ON CONFLICT DO NOTHING, elsewhere
(the SQLite demo) through bulk_create(ignore_conflicts=True).
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.db import connection, transaction
from django.utils import timezone
from phonenumbers import PhoneNumberType

from .models import CAPABILITY_FIELDS, InventoryStatus, LineType, PhoneNumber, Provider
from .providers.base import InventoryOffer

_NANP_LOCAL = ("212", "213", "305", "312", "404", "415", "512", "617", "646", "702", "206", "303", "602", "214",
               "713", "503", "615", "919")
_CA_LOCAL = ("416", "647", "604", "778", "514", "438", "403", "613", "780", "902")


@dataclass(frozen=True)
class Market:
    """What one country sells of one line type."""

    prefixes: tuple[str, ...]  # national-number prefixes of real ranges
    length: int  # national significant number length for these prefixes
    monthly_cents: int  # typical monthly rate
    capabilities: tuple[str, ...]  # what every block supports
    optional: tuple[str, ...] = ()  # what some blocks add
    setup_cents: int = 0  # typical setup fee
    activation_hours: int | None = None  # None: the carrier activates at once
    # Region names for prefixes the geocoder only knows at country level (e.g. France's zones).
    regions: tuple[tuple[str, str], ...] = ()


CATALOGUE: dict[str, dict[str, Market]] = {
    "US": {
        LineType.LOCAL: Market(_NANP_LOCAL, 10, 100, ("sms", "mms", "voice"), ("fax",)),
        LineType.MOBILE: Market(_NANP_LOCAL[:10], 10, 200, ("sms", "mms", "voice")),
        # Toll-free SMS is send-only: sms without two-way.
        LineType.TOLL_FREE: Market(("800", "833", "844", "855", "866", "877", "888"), 10, 200, ("sms", "voice"),
                                   setup_cents=100, activation_hours=24),
    },
    "CA": {
        LineType.LOCAL: Market(_CA_LOCAL, 10, 110, ("sms", "mms", "voice"), ("fax",)),
        LineType.MOBILE: Market(_CA_LOCAL, 10, 220, ("sms", "mms", "voice")),
        LineType.TOLL_FREE: Market(("800", "844", "855", "866", "877", "888"), 10, 250, ("sms", "voice"),
                                   setup_cents=100, activation_hours=24),
    },
    "GB": {
        LineType.LOCAL: Market(("20", "121", "161", "113", "131", "141", "117", "151", "29", "28"), 10, 150,
                               ("voice",), ("sms", "fax")),
        LineType.MOBILE: Market(("74", "75", "77", "78", "79"), 10, 400, ("sms", "voice")),
        LineType.TOLL_FREE: Market(("800", "808"), 10, 500, ("voice",), setup_cents=1000, activation_hours=72),
    },
    "DE": {
        LineType.LOCAL: Market(("30", "40", "89", "69", "221", "211", "711", "341"), 10, 200, ("voice",), ("fax",),
                               activation_hours=48),
        LineType.MOBILE: Market(("151", "152", "157", "160", "170", "171", "172", "176"), 11, 600,
                                ("sms", "voice"), setup_cents=500, activation_hours=48),
        LineType.TOLL_FREE: Market(("800",), 10, 800, ("voice",), setup_cents=1500, activation_hours=72),
    },
    "FR": {
        LineType.LOCAL: Market(("1", "2", "3", "4", "5"), 9, 150, ("voice",), ("fax",), activation_hours=48,
                               regions=(("1", "Île-de-France"), ("2", "Nord-Ouest"), ("3", "Nord-Est"),
                                        ("4", "Sud-Est"), ("5", "Sud-Ouest"))),
        LineType.MOBILE: Market(("6", "75", "76", "77", "78"), 9, 500, ("sms", "voice"), setup_cents=500,
                                activation_hours=48),
        LineType.TOLL_FREE: Market(("800", "805"), 9, 900, ("voice",), setup_cents=1500, activation_hours=72),
    },
    "NL": {
        LineType.LOCAL: Market(("20", "10", "70", "30", "40"), 9, 175, ("voice",), ("fax",)),
        LineType.MOBILE: Market(("61", "62", "63", "64", "65"), 9, 500, ("sms", "voice")),
        LineType.TOLL_FREE: Market(("800",), 10, 900, ("voice",), setup_cents=1000, activation_hours=72),
    },
    "AU": {
        LineType.LOCAL: Market(("28", "29", "39", "38", "73", "89", "88", "26"), 9, 300, ("voice",), ("sms", "fax")),
        LineType.MOBILE: Market(("4",), 9, 650, ("sms", "voice"), ("mms",)),
        LineType.TOLL_FREE: Market(("1800",), 10, 1200, ("voice",), setup_cents=2000, activation_hours=72),
    },
    "ES": {
        LineType.LOCAL: Market(("91", "93", "96", "95", "94"), 9, 175, ("voice",), ("fax",)),
        LineType.MOBILE: Market(("6", "71", "72", "73", "74"), 9, 500, ("sms", "voice")),
        LineType.TOLL_FREE: Market(("800", "900"), 9, 900, ("voice",), setup_cents=1000, activation_hours=72),
    },
    "SE": {
        LineType.LOCAL: Market(("8", "31", "40", "18"), 9, 200, ("voice",), ("sms",)),
        LineType.MOBILE: Market(("70", "72", "73", "76", "79"), 9, 550, ("sms", "voice")),
        LineType.TOLL_FREE: Market(("20",), 9, 1000, ("voice",), setup_cents=1000, activation_hours=72),
    },
    "BR": {
        LineType.LOCAL: Market(("11", "21", "31", "61", "41", "51"), 10, 250, ("voice",), ("fax",),
                               activation_hours=48),
        LineType.MOBILE: Market(("119", "219", "319", "619", "419", "519"), 11, 700, ("sms", "voice"),
                                setup_cents=500, activation_hours=48),
        LineType.TOLL_FREE: Market(("800",), 10, 1500, ("voice",), setup_cents=3000, activation_hours=72),
    },
}

COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "FR": "France",
                 "NL": "Netherlands", "AU": "Australia", "ES": "Spain", "SE": "Sweden", "BR": "Brazil"}

# Share of the generated inventory per country and per line type.
COUNTRY_WEIGHTS = {"US": 30, "GB": 12, "DE": 10, "CA": 8, "FR": 8, "BR": 8, "AU": 7, "NL": 6, "ES": 6, "SE": 5}
LINE_TYPE_WEIGHTS = {LineType.LOCAL: 60, LineType.MOBILE: 25, LineType.TOLL_FREE: 15}
# Which carrier holds a block: Telnyx is strongest in North America, DIDWW elsewhere.
PROVIDER_WEIGHTS = {
    "US": {"telnyx": 5, "devotel": 3, "didww": 2},
    "CA": {"telnyx": 5, "devotel": 3, "didww": 2},
}
_DEFAULT_PROVIDER_WEIGHTS = {"didww": 5, "devotel": 3, "telnyx": 2}
PROVIDER_PRICE_FACTOR = {"devotel": 1.0, "telnyx": 1.1, "didww": 0.9}

_ACCEPTED_TYPES = {
    LineType.LOCAL: {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    LineType.MOBILE: {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    LineType.TOLL_FREE: {PhoneNumberType.TOLL_FREE},
}
_SUFFIX_DIGITS = 4
_REF_NAMESPACE = uuid.UUID("5b0c0e5e-8f0a-4b8e-9a51-0b1e7c2d4f10")


def _provider_ref(provider: str, e164: str) -> str:
    """Carrier inventory ids as the carriers shape them (UUIDs; Devotel's prefixed ids), derived
    from the number so the simulator offers the same id for the same number every time."""
    ref = uuid.uuid5(_REF_NAMESPACE, f"{provider}:{e164}")
    return f"dvt_{ref.hex[:24]}" if provider == "devotel" else str(ref)


def _is_golden(suffix: str) -> bool:
    """Memorable endings (7777, 0000, 1234 …) sell at a premium, as carriers price them."""
    return len(set(suffix)) == 1 or suffix.endswith("000") or suffix in "0123456789" or suffix in "9876543210"


@dataclass(frozen=True)
class _Block:
    country: str
    line_type: str
    country_code: int
    prefix: str  # national digits before the varying suffix
    provider: str
    region: str
    area_code: str
    capabilities: tuple[str, ...]
    monthly_cents: int
    setup_cents: int
    activation_hours: int | None


@lru_cache(maxsize=None)
def _country_code(country: str) -> int:
    return phonenumbers.country_code_for_region(country)


def _round5(cents: float) -> int:
    return max(5, int(round(cents / 5)) * 5)


def _allocate(count: int, weights: Sequence[tuple[object, float]]) -> list[tuple[object, int]]:
    """Split ``count`` by weight (largest remainder), deterministically."""
    total = sum(weight for _, weight in weights)
    exact = [(key, count * weight / total) for key, weight in weights]
    quotas = {key: int(share) for key, share in exact}
    leftover = count - sum(quotas.values())
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - int(exact[i][1])), i))
    for index in by_remainder[:leftover]:
        quotas[exact[index][0]] += 1
    return [(key, quotas[key]) for key, _ in weights if quotas[key]]


def _validated_filter(values, allowed, what: str) -> list[str]:
    if values is None:
        return list(allowed)
    values = [str(value) for value in values]
    unknown = sorted(set(values) - set(allowed))
    if unknown or not values:
        raise ValueError(f"unknown {what}: {', '.join(unknown) or '(none given)'}; known: {', '.join(allowed)}")
    return [value for value in allowed if value in values]


class OfferGenerator:
    """A deterministic stream of offers (same seed, same numbers). Successive ``take`` calls never
    repeat a number, so a loader can ask for more until it has inserted enough."""

    def __init__(self, *, countries: Iterable[str] | None = None, providers: Iterable[str] | None = None,
                 line_types: Iterable[str] | None = None, seed: str = "orbit") -> None:
        self.countries = _validated_filter(
            [c.upper() for c in countries] if countries is not None else None, list(CATALOGUE), "countries")
        self.providers = _validated_filter(providers, list(Provider.values), "providers")
        self.line_types = _validated_filter(line_types, list(LineType.values), "line types")
        self._rng = random.Random(f"orbit-inventory:{seed}")
        self._used_blocks: set[tuple[int, str]] = set()
        self._markets = [((country, line_type), COUNTRY_WEIGHTS[country] * LINE_TYPE_WEIGHTS[line_type])
                         for country in self.countries for line_type in self.line_types]

    def take(self, count: int) -> list[InventoryOffer]:
        if count < 0:
            raise ValueError("count must be >= 0")
        offers: list[InventoryOffer] = []
        for (country, line_type), quota in _allocate(count, self._markets):
            offers.extend(self._market_offers(country, line_type, quota))
        return offers

    def _market_offers(self, country: str, line_type: str, quota: int) -> list[InventoryOffer]:
        market = CATALOGUE[country][line_type]
        free_digits = min(market.length - len(prefix) for prefix in market.prefixes) - _SUFFIX_DIGITS
        # Markets with few distinct blocks (e.g. AU 1800) put more numbers in each block.
        largest_block = 250 if len(market.prefixes) * 10 ** free_digits >= 1000 else 2500
        offers: list[InventoryOffer] = []
        misses = 0
        while len(offers) < quota:
            block = self._new_block(country, line_type, market)
            if block is None:
                misses += 1
                if misses > 50:
                    raise RuntimeError(f"inventory generator ran out of {country} {line_type} number blocks")
                continue
            size = min(quota - len(offers), self._rng.randint(20, largest_block))
            offers.extend(self._fill(block, size))
        return offers

    def _new_block(self, country: str, line_type: str, market: Market) -> _Block | None:
        rng = self._rng
        country_code = _country_code(country)
        for _ in range(100):
            prefix = rng.choice(market.prefixes)
            prefix += "".join(rng.choices("0123456789", k=market.length - len(prefix) - _SUFFIX_DIGITS))
            key = (country_code, prefix)
            if key in self._used_blocks:
                continue
            self._used_blocks.add(key)
            # North America: 555 exchanges are reserved for fiction/directory, N11 for services.
            if country_code == 1 and (prefix[3:6] == "555" or prefix[4:6] == "11"):
                continue
            probe = phonenumbers.PhoneNumber(country_code=country_code,
                                             national_number=int(prefix + "%04d" % rng.randrange(10_000)))
            if not self._valid(probe, country, line_type):
                continue
            return self._describe(country, line_type, market, country_code, prefix, probe)
        return None

    def _describe(self, country: str, line_type: str, market: Market, country_code: int, prefix: str,
                  probe: phonenumbers.PhoneNumber) -> _Block:
        # Imported here: the geocoder's data is ~100 MB, and every process (web, worker, command) imports
        # this module through the console; only seeding needs it.
        from phonenumbers import geocoder

        rng = self._rng
        region = geocoder.description_for_number(probe, "en")
        if not region or region == COUNTRY_NAMES[country]:
            region = next((name for start, name in market.regions if prefix.startswith(start)), COUNTRY_NAMES[country])
        area_length = phonenumbers.length_of_geographical_area_code(probe)
        if area_length:
            area_code = prefix[:area_length]
        elif line_type == LineType.TOLL_FREE:
            # The toll-free code (800, 888 …) is what buyers filter on.
            area_code = prefix[:phonenumbers.length_of_national_destination_code(probe)]
        elif line_type == LineType.LOCAL:
            # Countries without formal area codes (e.g. Spain): the dialling prefix of the region.
            area_code = next(p for p in market.prefixes if prefix.startswith(p))
        else:
            area_code = ""  # non-geographic mobile ranges
        providers = PROVIDER_WEIGHTS.get(country, _DEFAULT_PROVIDER_WEIGHTS)
        candidates = [p for p in providers if p in self.providers]
        provider = rng.choices(candidates, weights=[providers[p] for p in candidates])[0]
        factor = PROVIDER_PRICE_FACTOR[provider] * rng.uniform(0.85, 1.25)
        setup = 0
        if market.setup_cents and rng.random() > 0.3:  # some blocks run without a setup fee
            setup = _round5(market.setup_cents * factor)
        capabilities = set(market.capabilities)
        capabilities.update(cap for cap in market.optional if rng.random() < 0.35)
        if line_type == LineType.LOCAL and country_code == 1 and rng.random() < 0.1:
            capabilities -= {"sms", "mms"}  # voice-only blocks exist (legacy carrier ranges)
        return _Block(
            country=country, line_type=line_type, country_code=country_code, prefix=prefix, provider=provider,
            region=region[:100], area_code=area_code[:8],
            capabilities=tuple(name for name in CAPABILITY_FIELDS if name in capabilities),
            monthly_cents=_round5(market.monthly_cents * factor), setup_cents=setup,
            activation_hours=market.activation_hours,
        )

    @staticmethod
    def _valid(number: phonenumbers.PhoneNumber, country: str, line_type: str) -> bool:
        return (phonenumbers.is_valid_number_for_region(number, country)
                and phonenumbers.number_type(number) in _ACCEPTED_TYPES[line_type])

    def _fill(self, block: _Block, size: int) -> list[InventoryOffer]:
        offers: list[InventoryOffer] = []
        sms_two_way = "sms" in block.capabilities and block.line_type != LineType.TOLL_FREE
        for suffix_value in self._rng.sample(range(10 ** _SUFFIX_DIGITS), min(10 ** _SUFFIX_DIGITS, size * 2)):
            suffix = "%04d" % suffix_value
            national = block.prefix + suffix
            number = phonenumbers.PhoneNumber(country_code=block.country_code, national_number=int(national))
            if not self._valid(number, block.country, block.line_type):
                continue
            e164 = f"+{block.country_code}{national}"
            golden = _is_golden(suffix)
            offers.append(InventoryOffer(
                e164=e164, provider_ref=_provider_ref(block.provider, e164), country=block.country,
                line_type=block.line_type, region=block.region, area_code=block.area_code,
                capabilities=block.capabilities, sms_two_way=sms_two_way,
                monthly_cents=block.monthly_cents * 5 if golden else block.monthly_cents,
                setup_cents=block.setup_cents + (2500 if golden else 0),
                provider=block.provider, activation_hours=block.activation_hours,
            ))
            if len(offers) == size:
                break
        return offers


def generate_offers(*, count: int, countries: Iterable[str] | None = None, providers: Iterable[str] | None = None,
                    line_types: Iterable[str] | None = None, seed: str = "orbit") -> list[InventoryOffer]:
    """``count`` distinct offers spread over the countries × line types × providers asked for."""
    return OfferGenerator(countries=countries, providers=providers, line_types=line_types, seed=seed).take(count)


# --- loading -----------------------------------------------------------------------------------

_COLUMNS = ("e164", "provider", "provider_ref", "country", "line_type", "region", "area_code", "national_number",
            "cap_sms", "cap_mms", "cap_voice", "cap_fax", "sms_two_way", "monthly_cents", "setup_cents",
            "activation_hours", "status", "created_at", "updated_at")


def _row(offer: InventoryOffer, now, provider: str) -> tuple:
    national = offer.e164[len(str(_country_code(offer.country))) + 1:]
    capabilities = set(offer.capabilities)
    return (offer.e164, offer.provider or provider, offer.provider_ref, offer.country, offer.line_type,
            offer.region, offer.area_code, national, "sms" in capabilities, "mms" in capabilities,
            "voice" in capabilities, "fax" in capabilities, offer.sms_two_way, offer.monthly_cents,
            offer.setup_cents, offer.activation_hours, InventoryStatus.AVAILABLE.value, now, now)


@transaction.atomic
def offers_load(offers: Sequence[InventoryOffer], *, provider: str = "") -> int:
    """Insert offers as available inventory, skipping numbers (or carrier ids) already present.
    Returns how many rows were inserted. ``provider`` fills offers that do not name one."""
    if not offers:
        return 0
    now = timezone.now()
    rows = [_row(offer, now, provider) for offer in offers]
    if connection.vendor == "postgresql":
        return _load_postgresql(rows)
    before = PhoneNumber.objects.count()
    PhoneNumber.objects.bulk_create([PhoneNumber(**dict(zip(_COLUMNS, row))) for row in rows],
                                    batch_size=500, ignore_conflicts=True)
    return PhoneNumber.objects.count() - before


def _load_postgresql(rows: list[tuple]) -> int:
    table = PhoneNumber._meta.db_table
    columns = ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        # COPY cannot skip conflicts, so stage the rows and let one INSERT … ON CONFLICT pick the new ones.
        cursor.execute(f"CREATE TEMP TABLE seed_phonenumber ON COMMIT DROP AS "
                       f"SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY seed_phonenumber ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_phonenumber "
                       f"ON CONFLICT DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute("DROP TABLE seed_phonenumber")
    return inserted


@dataclass(frozen=True)
class SeedResult:
    inserted: int
    generated: int

    @property
    def skipped(self) -> int:
        return self.generated - self.inserted


def inventory_seed(*, count: int, countries: Iterable[str] | None = None, providers: Iterable[str] | None = None,
                   line_types: Iterable[str] | None = None, seed: str = "orbit", batch_size: int = 50_000,
                   progress=None) -> SeedResult:
    """Insert ``count`` new numbers, generating more when some already exist. Each batch commits on
    its own, so a million rows never sit in memory or in one transaction."""
    generator = OfferGenerator(countries=countries, providers=providers, line_types=line_types, seed=seed)
    inserted = generated = 0
    idle_batches = 0
    while inserted < count:
        batch = generator.take(min(batch_size, count - inserted))
        generated += len(batch)
        added = offers_load(batch)
        inserted += added
        idle_batches = idle_batches + 1 if added == 0 else 0
        if idle_batches >= 20:
            raise RuntimeError(f"only {inserted} of {count} numbers are new: this seed's inventory is already loaded")
        if progress is not None:
            progress(inserted, generated)
    if connection.vendor == "postgresql" and inserted >= 10_000:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PhoneNumber._meta.db_table}")  # fresh statistics for search plans
    return SeedResult(inserted=inserted, generated=generated)
