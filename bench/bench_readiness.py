"""Benchmark: the readiness pre-flight for 1, 10 and 100 numbers, in a constant number of queries.

Not a test. Runs against the database in DATABASE_URL (PostgreSQL), which it migrates; seeds one
organisation ("Readiness bench") once with --per-kind owned US numbers (half on an ACTIVE 10DLC
campaign, half with a provisioned E911 address, a third with a listed CNAM name), as many numbers on
sale (one in four in Germany, a regulated pool it has no compliance profile for), and picks as many
numbers to port in (not in the database), so every check walks its full query path.
Each size asks a mix of the three kinds. For each size it counts SQL statements and times the
runner (``readiness_evaluate``) and the whole API request (authentication, rate limit, rendering);
time per number is also given as a ratio to one raw SQL round trip (``SELECT 1``) timed in the same
run, so results from a busy and a quiet machine compare. Markdown rows go to stdout.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orbit_bench_readiness \\
        .venv/bin/python bench/bench_readiness.py [--rounds 7] [--latency-ms 0] [--checks wallet,portability,campaign]

--checks runs a subset of CHECK_MODULES (default: all of them; a missing module fails loudly).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orbit_numbers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")  # DEBUG is off: the settings require one

import django  # noqa: E402

django.setup()

import phonenumbers  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

SIZES = (1, 10, 100)
BENCH_ORG = "Readiness bench"


def valid_us(area_code: str, count: int, first_tail: int = 1000) -> list[str]:
    """``count`` valid US numbers in one area code, exchange 555 then 556…, tails from ``first_tail``."""
    numbers = []
    exchange, tail = 555, first_tail
    while len(numbers) < count:
        e164 = f"+1{area_code}{exchange}{tail:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            numbers.append(e164)
        tail += 1
        if tail > 9998:  # 9999 is the simulator's failing suffix
            exchange, tail = exchange + 1, first_tail
    return numbers


def valid_de(count: int) -> list[str]:
    """``count`` valid German geographic (Berlin) numbers: a regulated pool."""
    numbers, tail = [], 1000
    while len(numbers) < count:
        e164 = f"+4930901{tail:05d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            numbers.append(e164)
        tail += 1
    return numbers


def seed(per_kind: int):
    """The bench organisation and its numbers: (organization, owned, on sale, to port), idempotent."""
    from billing.services import wallet_credit, wallet_get_or_create
    from inventory.models import (Brand, Campaign, CnamListing, EmergencyAddress, EmergencyAssignment,
                                  InventoryStatus, NumberRoute, OwnedNumber, PhoneNumber)
    from orbit_numbers.services import organization_get_or_create

    organization, _ = organization_get_or_create(name=BENCH_ORG)
    wallet = wallet_get_or_create(organization=organization)
    if wallet.balance_cents < 10_000_00:
        wallet_credit(organization=organization, amount_cents=10_000_00, description="bench top-up")
    owned, to_port = valid_us("212", per_kind), valid_us("415", per_kind)
    # One number on sale in four is German (from the second on, so 10 numbers already ask about one).
    german = valid_de(per_kind)
    on_sale = [german[index] if index % 4 == 1 else e164 for index, e164 in enumerate(valid_us("312", per_kind))]

    def rows(numbers, status):
        existing = set(PhoneNumber.objects.filter(e164__in=numbers).values_list("e164", flat=True))
        PhoneNumber.objects.bulk_create([PhoneNumber(
            e164=e164, provider="telnyx", provider_ref=f"bench-readiness-{e164[1:]}",
            country="DE" if e164.startswith("+49") else "US", line_type="local",
            region="Bench", area_code=e164[2:5], national_number=e164[2:], cap_sms=True, cap_mms=True,
            cap_voice=True, sms_two_way=True, monthly_cents=150, setup_cents=100, status=status)
            for e164 in numbers if e164 not in existing])

    rows(on_sale, InventoryStatus.AVAILABLE)
    rows(owned, InventoryStatus.ASSIGNED)
    brand, _ = Brand.objects.get_or_create(organization=organization, name="Bench brand",
                                           defaults={"identity_status": Brand.IdentityStatus.VERIFIED})
    campaign, _ = Campaign.objects.get_or_create(organization=organization, brand=brand, name="Bench campaign",
                                                 defaults={"status": Campaign.Status.ACTIVE})
    have = set(OwnedNumber.objects.live().filter(organization=organization).values_list("e164", flat=True))
    by_e164 = dict(PhoneNumber.objects.filter(e164__in=owned).values_list("e164", "pk"))
    created = OwnedNumber.objects.bulk_create([OwnedNumber(
        organization=organization, phone_number_id=by_e164[e164], e164=e164, capabilities=["sms", "mms", "voice"],
        monthly_cents=150, setup_cents=100, campaign=campaign if index % 2 else None)
        for index, e164 in enumerate(owned) if e164 not in have])
    NumberRoute.objects.bulk_create([NumberRoute(number=number) for number in created])
    # E911 and CNAM state as their carriers' answers leave it (the bench seeds rows, not carrier round trips).
    address, _ = EmergencyAddress.objects.get_or_create(
        organization=organization, caller_name="Bench", defaults={
            "street_number": "1", "street_name": "Broadway", "city": "New York", "state": "NY",
            "postal_code": "10004", "country": "US", "validated_by": "telnyx"})
    now = timezone.now()
    EmergencyAssignment.objects.bulk_create([EmergencyAssignment(
        number=number, organization=organization, address=address, status=EmergencyAssignment.Status.PROVISIONED,
        provider="telnyx", request_token=f"bench{index}", requested_at=now, provisioned_at=now)
        for index, number in enumerate(created) if index % 2 == 0])
    CnamListing.objects.bulk_create([CnamListing(
        organization=organization, number=number, e164=number.e164, provider="telnyx", display_name="BENCH CO",
        status=CnamListing.Status.LISTED, listed_at=now) for index, number in enumerate(created) if index % 3 == 0])
    return organization, owned, on_sale, to_port


def mix(owned, on_sale, to_port, size: int) -> list[str]:
    kinds = (owned, on_sale, to_port)
    return [kinds[index % 3][index // 3] for index in range(size)]


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-kind", type=int, default=100, help="numbers seeded per kind (at least 34)")
    parser.add_argument("--latency-ms", type=int, default=0, help="simulated carrier latency per call")
    parser.add_argument("--checks", default="", help="comma-separated subset of CHECK_MODULES")
    args = parser.parse_args()

    import porting.readiness
    from orbit_numbers.services import api_key_create
    from porting.readiness.runner import readiness_evaluate

    if args.checks:
        porting.readiness.CHECK_MODULES = tuple(name.strip() for name in args.checks.split(","))
    # Carrier latency as asked; the bench asks faster than a tenant may, so the per-minute limits are lifted.
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_LATENCY_MS": args.latency_ms, "RATE_LIMIT_MULTIPLIER": 1_000_000}
    call_command("migrate", verbosity=0)
    organization, owned, on_sale, to_port = seed(max(args.per_kind, 34))
    _, raw_key = api_key_create(organization=organization, scopes=["numbers:read"])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)

    with connection.cursor() as cursor:
        round_trips = []
        for _ in range(200):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append(time.perf_counter() - started)
    round_trip_ms = median_ms(round_trips)

    print(f"checks: {', '.join(porting.readiness.CHECK_MODULES)}; carrier latency {args.latency_ms} ms; "
          f"{args.rounds} rounds; one SQL round trip (SELECT 1, median of 200): {round_trip_ms:.3f} ms\n")
    print("| numbers | SQL (runner) | SQL (API request) | runner, median ms | API request, median ms "
          "| API ms per number | per number ÷ SQL round trip |")
    print("|---|---|---|---|---|---|---|")
    for size in SIZES:
        numbers = mix(owned, on_sale, to_port, size)
        client.post("/api/v1/numbers/readiness", {"numbers": numbers}, format="json")  # warm: key last_used_at
        runner_times, api_times, runner_queries, api_queries = [], [], set(), set()
        for _ in range(args.rounds):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                report = readiness_evaluate(organization=organization, numbers=numbers)
                runner_times.append(time.perf_counter() - started)
            runner_queries.add(len(queries))
            assert len(report.results) == size
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post("/api/v1/numbers/readiness", {"numbers": numbers}, format="json")
                api_times.append(time.perf_counter() - started)
            api_queries.add(len(queries))
            assert response.status_code == 200, response.content[:500]
        per_number = median_ms(api_times) / size
        print(f"| {size} | {', '.join(map(str, sorted(runner_queries)))} | {', '.join(map(str, sorted(api_queries)))} "
              f"| {median_ms(runner_times):.1f} | {median_ms(api_times):.1f} | {per_number:.2f} "
              f"| {per_number / round_trip_ms:.0f} |")
    kinds = {k: 0 for k in ("owned", "purchase", "port_in")}
    for result in report.results:
        kinds[result.kind] += 1
    print(f"\nlast report (100 numbers): kinds {kinds}, summary {report.summary}")


if __name__ == "__main__":
    main()
