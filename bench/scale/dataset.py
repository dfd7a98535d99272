"""The scale dataset: 1,000,000 inventory numbers and 100,000 owned numbers, loaded once per bench database.

Countries are skewed as real stock is (US 60 % … SE 0.1 %), so a plan that is right for the US must also be
right for a country with a thousand rows. National digits are a bijective scramble of the row index
(``index × 7919 mod 10^k``), so they are unique and look random to a digit search. One row in ten is
assigned: those are the owned numbers, 50,000 of them in ``bench-big`` and 500 in each of
``bench-org-000`` … ``bench-org-099``; ``bench-fresh-0`` … ``bench-fresh-7`` own nothing. Every bench
organisation has a funded wallet. Inventory goes in with one COPY, owned numbers with bulk_create.
"""
from __future__ import annotations

import random
import time
from datetime import timedelta

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

INVENTORY_ROWS = 1_000_000
BIG_ORGANIZATION = "bench-big"
BIG_OWNED = 50_000
MEDIUM_ORGANIZATIONS = [f"bench-org-{n:03d}" for n in range(100)]
MEDIUM_OWNED = 500
FRESH_ORGANIZATIONS = [f"bench-fresh-{n}" for n in range(8)]
WALLET_CENTS = 100_000_000  # $1,000,000 each: purchases and finalizes never run short

# country, calling code, share of the rows, national number length, local prefixes (area codes)
_CA_AREA_CODES = ["416", "647", "604", "778", "514", "438", "403", "613"]
COUNTRIES = (
    ("US", "1", 0.600, 10, [str(npa) for npa in range(201, 990, 13) if str(npa) not in _CA_AREA_CODES]),
    ("GB", "44", 0.150, 10, ["20", "121", "131", "141", "161", "113", "117", "7"]),
    ("DE", "49", 0.100, 10, ["30", "40", "69", "89", "221", "211", "15"]),
    ("FR", "33", 0.050, 9, ["1", "2", "3", "4", "5", "6", "7"]),
    ("CA", "1", 0.040, 10, _CA_AREA_CODES),
    ("AU", "61", 0.030, 9, ["2", "3", "7", "8", "4"]),
    ("NL", "31", 0.015, 9, ["20", "10", "70", "30", "6"]),
    ("ES", "34", 0.010, 9, ["91", "93", "95", "96", "6"]),
    ("IE", "353", 0.004, 9, ["1", "21", "61", "91", "8"]),
    ("SE", "46", 0.001, 9, ["8", "31", "40", "7"]),
)
PROVIDERS = ("telnyx", "didww", "devotel")
COLUMNS = ("e164", "provider", "provider_ref", "country", "line_type", "region", "area_code", "national_number",
           "cap_sms", "cap_mms", "cap_voice", "cap_fax", "sms_two_way", "monthly_cents", "setup_cents", "status",
           "aging_until", "retired_at", "created_at", "updated_at")


def _line_type(index: int) -> str:
    bucket = index % 100
    return "local" if bucket < 80 else "mobile" if bucket < 92 else "toll_free"


def _status(index: int) -> str:
    if index % 10 == 0:
        return "assigned"
    if index % 1000 == 3:
        return "retired"
    return "available"


def inventory_rows(total: int = INVENTORY_ROWS):
    rng = random.Random(11)
    now = timezone.now()
    aging = now + timedelta(days=20)
    index = 0
    for country, code, share, length, prefixes in COUNTRIES:
        count = round(total * share) if country != COUNTRIES[-1][0] else total - index
        for local_index in range(count):
            prefix = prefixes[local_index % len(prefixes)]
            width = length - len(prefix)
            digits = f"{(local_index * 7919 + 17) % 10 ** width:0{width}d}"
            national = prefix + digits
            line_type = _line_type(index)
            provider = PROVIDERS[index % 3]
            status = _status(index)
            sms = index % 7 != 0
            two_way = sms and line_type != "toll_free"
            yield (f"+{code}{national}", provider, f"{provider}-bench-{index}", country, line_type,
                   f"{country} region {prefix}", prefix, national, sms, sms and index % 3 != 0, True, index % 5 == 0,
                   two_way, rng.randint(100, 500), rng.choice((0, 0, 100)), status,
                   aging if status == "available" and index % 500 == 7 else None,
                   now if status == "retired" else None, now, now)
            index += 1


def _copy_inventory() -> None:
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY inventory_phonenumber ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in inventory_rows():
                copy.write_row(row)


def _organizations():
    from billing.services import wallet_credit, wallet_get_or_create
    from orbit_numbers.services import organization_get_or_create

    made = {}
    for name in [BIG_ORGANIZATION, *MEDIUM_ORGANIZATIONS, *FRESH_ORGANIZATIONS]:
        org, created = organization_get_or_create(name=name)
        wallet_get_or_create(organization=org)
        if created:
            wallet_credit(organization=org, amount_cents=WALLET_CENTS, description="bench funding")
        made[name] = org
    return made


def _owned_numbers(organizations) -> None:
    from inventory.models import OwnedNumber, PhoneNumber

    owners = [organizations[BIG_ORGANIZATION]] * BIG_OWNED
    for name in MEDIUM_ORGANIZATIONS:
        owners += [organizations[name]] * MEDIUM_OWNED
    started = timezone.now() - timedelta(days=720)
    rows = PhoneNumber.objects.filter(status="assigned").order_by("id").values_list(
        "id", "e164", "monthly_cents", "setup_cents", "cap_sms", "cap_voice")
    batch = []
    for n, (owner, (pk, e164, monthly, setup, sms, voice)) in enumerate(zip(owners, rows.iterator(chunk_size=5000))):
        label = "=HYPERLINK(\"x\")" if n % 997 == 0 else f"line {n}"
        batch.append(OwnedNumber(
            organization=owner, phone_number_id=pk, e164=e164, label=label,
            capabilities=[c for c, on in (("sms", sms), ("voice", voice)) if on],
            tags=["vip"] if n % 50 == 0 else [], monthly_cents=monthly, setup_cents=setup))
        if len(batch) == 5000:
            _insert_owned(batch, started)
            batch = []
    if batch:
        _insert_owned(batch, started)


def _insert_owned(batch, started) -> None:
    from inventory.models import OwnedNumber

    OwnedNumber.objects.bulk_create(batch)
    # created_at is auto_now_add: spread it over two years afterwards, as a real customer base is.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_ownednumber o SET created_at = %s + ((abs(hashtext(o.id)) %% 1036800) || ' minutes')"
            "::interval WHERE id = ANY(%s)", [started, [number.pk for number in batch]])


def ensure_dataset(*, verbose: bool = True) -> None:
    """Migrate, then load whatever part of the dataset is missing (a second run loads nothing)."""
    from inventory.models import OwnedNumber, PhoneNumber
    from orbit_numbers.models import Organization

    if connection.vendor != "postgresql":
        raise SystemExit("make bench needs PostgreSQL (BENCH_DATABASE_URL).")
    call_command("migrate", verbosity=0)
    if PhoneNumber.objects.filter(provider_ref__startswith="telnyx-bench-").exists() is False:
        started = time.perf_counter()
        with transaction.atomic():
            _copy_inventory()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inventory_phonenumber")
        if verbose:
            print(f"dataset: {INVENTORY_ROWS:,} inventory rows loaded with COPY in {time.perf_counter() - started:.1f}s")
    organizations = _organizations()
    big = organizations[BIG_ORGANIZATION]
    if not OwnedNumber.objects.filter(organization=big).exists():
        started = time.perf_counter()
        with transaction.atomic():
            _owned_numbers(organizations)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inventory_ownednumber")
        if verbose:
            print(f"dataset: {BIG_OWNED + MEDIUM_OWNED * len(MEDIUM_ORGANIZATIONS):,} owned numbers loaded in "
                  f"{time.perf_counter() - started:.1f}s")
    if verbose:
        print(f"dataset: {PhoneNumber.objects.count():,} inventory rows, "
              f"{OwnedNumber.objects.count():,} owned numbers, {Organization.objects.count()} organisations")


def organization(name: str):
    from orbit_numbers.models import Organization

    return Organization.objects.get(name=name)


def bench_api_key(org, scopes: list[str] | None = None) -> str:
    """Mint a key for ``org`` (every scope unless given) and return its secret."""
    from orbit_numbers.models import SCOPES
    from orbit_numbers.services import api_key_create

    _, secret = api_key_create(organization=org, scopes=list(scopes or SCOPES), name="bench")
    return secret
