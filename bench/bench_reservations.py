"""Benchmark: reserve 1000 and finalize 1000 numbers on a 1,000,000-number inventory.

Not a test. Runs against the database in DATABASE_URL (PostgreSQL), which it migrates; loads the
inventory once with COPY if it holds fewer than --inventory rows, then times each operation and
counts its SQL statements. Results go to stdout as Markdown rows (copied into bench/RESULTS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orbit_bench \\
        .venv/bin/python bench/bench_reservations.py [--inventory 1000000] [--rounds 3] [--latency-ms 0]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orbit_numbers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")  # DEBUG is off: the settings require one

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

COLUMNS = ("e164", "provider", "provider_ref", "country", "line_type", "region", "area_code", "national_number",
           "cap_sms", "cap_mms", "cap_voice", "cap_fax", "sms_two_way", "monthly_cents", "setup_cents", "status",
           "created_at", "updated_at")
US_AREA_CODES = [str(npa) for npa in range(300, 371) if npa != 311]  # 70 codes


def inventory_rows(total: int):
    """Distinct numbers: 70% US (70 area codes x 10,000 lines), the rest GB and DE; three carriers."""
    rng = random.Random(1000000)
    now = timezone.now()
    providers = ("telnyx", "didww", "devotel")
    us_total = total * 7 // 10
    for index in range(total):
        if index < us_total:
            npa, line = US_AREA_CODES[index // 10_000 % len(US_AREA_CODES)], index % 10_000
            exchange = 555 + index // (10_000 * len(US_AREA_CODES))
            national, country, area = f"{npa}{exchange}{line:04d}", "US", npa
            e164 = f"+1{national}"
        elif index % 2:
            national, country, area = f"20{index:08d}", "GB", "20"
            e164 = f"+44{national}"
        else:
            national, country, area = f"30{index:08d}", "DE", "30"
            e164 = f"+49{national}"
        provider = providers[index % 3]
        yield (e164, provider, f"{provider}-{index}", country, "local", "Bench", area, national,
               True, True, True, index % 5 == 0, True, rng.randint(100, 500), rng.choice((0, 0, 100)),
               "available", now, now)


def load_inventory(total: int) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY inventory_phonenumber ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in inventory_rows(total):
                copy.write_row(row)
        cursor.execute("ANALYZE inventory_phonenumber")
    return time.perf_counter() - started


def timed(operation):
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = operation()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", type=int, default=1_000_000)
    parser.add_argument("--quantity", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=0, help="simulated carrier latency per call")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL (set DATABASE_URL).")
    settings.ORBIT["SIMULATOR_LATENCY_MS"] = options.latency_ms

    from billing.services import ledger_reconcile, wallet_credit, wallet_get_or_create
    from inventory.models import PhoneNumber
    from inventory.services import (reservation_cancel, reservation_create, reservation_finalize,
                                    reservations_expire)
    from orbit_numbers.services import organization_get_or_create

    call_command("migrate", verbosity=0)
    present = PhoneNumber.objects.count()
    if present < options.inventory:
        if present:
            sys.exit(f"{present} rows present, fewer than {options.inventory}: use an empty database.")
        print(f"Loaded {options.inventory:,} inventory rows with COPY in {load_inventory(options.inventory):.1f}s")
    available = PhoneNumber.objects.filter(status="available").count()
    print(f"Inventory: {PhoneNumber.objects.count():,} rows, {available:,} available")

    organization, _ = organization_get_or_create(name="Bench")
    wallet_get_or_create(organization=organization)
    cost = options.quantity * 1000 * options.rounds * 2
    wallet_credit(organization=organization, amount_cents=cost, description="bench top-up")

    samples: dict[str, list[tuple[float, int]]] = {}

    def record(name, elapsed, queries):
        samples.setdefault(name, []).append((elapsed, queries))

    quantity = options.quantity
    for _ in range(options.rounds):
        held, elapsed, queries = timed(lambda: reservation_create(organization=organization, country="US",
                                                                  quantity=quantity))
        assert held.quantity_reserved == quantity, held
        record(f"reserve {quantity} (US local, cheapest across didww+telnyx)", elapsed, queries)
        result, elapsed, queries = timed(lambda: reservation_finalize(organization=organization,
                                                                      reservation_id=held.pk))
        record(f"finalize {quantity} (carrier latency {options.latency_ms} ms, 8 calls in flight)",
               elapsed, queries)
        print(f"  finalize counts: {result.counts}, debited {result.checkout.debited_cents} cents")

        held, elapsed, queries = timed(lambda: reservation_create(organization=organization, country="US",
                                                                  quantity=quantity, area_code="305"))
        record(f"reserve {quantity} with area_code filter", elapsed, queries)
        _, elapsed, queries = timed(lambda: reservation_cancel(organization=organization, reservation_id=held.pk))
        record(f"cancel {quantity}", elapsed, queries)

        held, elapsed, queries = timed(lambda: reservation_create(organization=organization, country="US",
                                                                  quantity=quantity, name_pattern="77",
                                                                  pattern_type="contains"))
        record(f"reserve {quantity} with name_pattern contains (no index helps)", elapsed, queries)
        _, elapsed, queries = timed(lambda: reservations_expire(now=timezone.now() + timedelta(minutes=16)))
        record(f"expiry sweep of one {quantity}-number hold", elapsed, queries)

    print(f"\n| operation ({options.inventory:,}-row inventory) | wall time, median of {options.rounds} "
          "(min-max) | SQL statements |")
    print("|---|---|---|")
    for name, runs in samples.items():
        times = [elapsed for elapsed, _ in runs]
        counts = sorted({queries for _, queries in runs})
        print(f"| {name} | {statistics.median(times) * 1000:.0f} ms ({min(times) * 1000:.0f}-"
              f"{max(times) * 1000:.0f}) | {', '.join(map(str, counts))} |")
    drifts = ledger_reconcile()
    print(f"\nledger_reconcile(): {'clean' if not drifts else drifts}")


if __name__ == "__main__":
    main()
