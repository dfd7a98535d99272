"""Writes at scale (issue #11): concurrent purchases by one organisation, and finalize at any organisation size.

1. Eight purchases at once (the purchase service, eight threads, each with its own database connection) at
   300 ms carrier latency, all by ``bench-big``, against the same eight by ``bench-fresh-0`` … ``-7``: if
   anything serialised one organisation's purchases (its wallet row, an advisory lock …) the first would
   take about eight carrier calls, the second one.
2. Finalize a 1000-number reservation (carrier latency 0) for ``bench-big`` (50,000 numbers and more each
   round) against a brand-new organisation each round; then the same for an organisation whose 50,000
   numbers were bulk-loaded after the last ANALYZE (autovacuum paused meanwhile), so the planner believes
   it owns next to nothing. Those rows are removed again afterwards.

Both run rounds A, B, A, B … so the machine's noise hits them alike.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections, transaction

from .dataset import BIG_ORGANIZATION, BIG_OWNED, FRESH_ORGANIZATIONS, WALLET_CENTS, organization
from .harness import Row, interleaved, ratio_row

PURCHASE_LATENCY_MS = 300
CONCURRENT_PURCHASES = 8
FINALIZE_QUANTITY = 1000
STALE_OWNED = 50_000


@contextmanager
def carrier_latency(milliseconds: int):
    previous = settings.ORBIT["SIMULATOR_LATENCY_MS"]
    settings.ORBIT["SIMULATOR_LATENCY_MS"] = milliseconds
    try:
        yield
    finally:
        settings.ORBIT["SIMULATOR_LATENCY_MS"] = previous


def _sellable_us_numbers(count: int) -> list[str]:
    """Available US local numbers the simulator will not refuse, cheapest pool excluded (finalize takes those)."""
    from inventory.models import PhoneNumber

    suffixes = tuple(settings.ORBIT["SIMULATOR_FAIL_SUFFIXES"])
    found = []
    rows = (PhoneNumber.objects.sellable().filter(country="US", line_type="local", monthly_cents__gte=400)
            .order_by("-id").values_list("e164", flat=True)[: count * 2])
    for e164 in rows:
        if not e164.endswith(suffixes):
            found.append(e164)
        if len(found) == count:
            return found
    raise RuntimeError("the bench inventory has run out of sellable US numbers")


def _concurrent_purchases(buyers: list) -> None:
    """Each buyer buys one number, all at once; the wall time is the slowest thread's."""
    from inventory.services import number_purchase

    numbers = _sellable_us_numbers(len(buyers))
    start = threading.Barrier(len(buyers))
    errors: list[BaseException] = []

    def buy(buyer, e164: str) -> None:
        try:
            start.wait()
            number_purchase(organization=buyer, phone_number=e164, country_code="US")
        except BaseException as exc:  # reported after the round: a failed purchase is not a fast one
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=buy, args=(buyer, e164)) for buyer, e164 in zip(buyers, numbers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def purchases_row(*, rounds: int) -> Row:
    big = organization(BIG_ORGANIZATION)
    fresh = [organization(name) for name in FRESH_ORGANIZATIONS[:CONCURRENT_PURCHASES]]
    rounds = max(3, min(rounds, 12))  # each round buys 16 numbers and waits for 2 × 300 ms at least
    with carrier_latency(PURCHASE_LATENCY_MS):
        times = interleaved({
            "one": lambda: _concurrent_purchases([big] * CONCURRENT_PURCHASES),
            "many": lambda: _concurrent_purchases(fresh),
        }, rounds=rounds, warmup=1)
    return ratio_row(
        f"{CONCURRENT_PURCHASES} concurrent purchases by one organisation, carrier latency {PURCHASE_LATENCY_MS} ms, "
        "wall time", measured=times["one"], reference=times["many"],
        reference_label=f"the same by {CONCURRENT_PURCHASES} organisations", limit=1.3, stat="median",
        note=f"purchase service, {CONCURRENT_PURCHASES} threads with their own connections; {rounds} rounds; "
             f"one after another would be ≈ {CONCURRENT_PURCHASES * PURCHASE_LATENCY_MS / 1000:.1f} s")


def _new_organization(prefix: str):
    from billing.services import wallet_credit, wallet_get_or_create
    from orbit_numbers.services import organization_get_or_create

    org, _ = organization_get_or_create(name=f"{prefix}-{uuid.uuid4().hex[:10]}")
    wallet_get_or_create(organization=org)
    wallet_credit(organization=org, amount_cents=WALLET_CENTS, description="bench funding")
    return org


def _finalize_timer(org_for_round):
    """A callable that reserves 1000 US local numbers (untimed) and returns the finalize's own seconds."""
    from inventory.services import reservation_create, reservation_finalize

    def run() -> float:
        org = org_for_round()
        reservation = reservation_create(organization=org, country="US", quantity=FINALIZE_QUANTITY)
        started = time.perf_counter()
        result = reservation_finalize(organization=org, reservation_id=reservation.pk)
        elapsed = time.perf_counter() - started
        if result.counts["purchased"] + result.counts["failed"] != reservation.quantity_reserved:
            raise RuntimeError("finalize did not settle every item")
        return elapsed

    return run


def _finalize_times(org_for_round, reference_for_round, *, rounds: int) -> tuple[list[float], list[float]]:
    measured_run, reference_run = _finalize_timer(org_for_round), _finalize_timer(reference_for_round)
    measured_run(), reference_run()  # warm-up
    measured, reference = [], []
    for _ in range(rounds):
        measured.append(measured_run())
        reference.append(reference_run())
    return measured, reference


@contextmanager
def stale_organization(owned: int):
    """An organisation whose ``owned`` numbers were bulk-loaded after the last ANALYZE, autovacuum paused
    on the table so the planner keeps believing the old statistics; everything removed afterwards."""
    org = _new_organization("bench-stale")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE inventory_ownednumber SET (autovacuum_enabled = false)")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Rows outside the US local pool the finalize draws from, taken off sale like real tenures.
            cursor.execute(
                "WITH taken AS (UPDATE inventory_phonenumber SET status = 'assigned' WHERE id IN ("
                "  SELECT id FROM inventory_phonenumber WHERE status = 'available' AND country <> 'US'"
                "  ORDER BY id LIMIT %s) RETURNING id, e164, monthly_cents, setup_cents) "
                "INSERT INTO inventory_ownednumber (id, organization_id, phone_number_id, e164, status, source, label,"
                " capabilities, forwarding_number, sms_forwarding, tags, channel_config, monthly_cents, setup_cents,"
                " provider_order_id, created_at, updated_at, auto_renew) "
                "SELECT 'num_stale' || taken.id, %s, taken.id, taken.e164, 'active', 'purchase', '', '[]', '', '',"
                " '[]', '{}',"
                " taken.monthly_cents, taken.setup_cents, '', now() - (taken.id %% 100000) * interval '1 minute',"
                " now(), true FROM taken", [owned, org.pk])
        yield org
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE inventory_phonenumber AS row SET status = 'available' FROM inventory_ownednumber "
                           "AS owned WHERE owned.phone_number_id = row.id AND owned.organization_id = %s "
                           "AND owned.id LIKE 'num_stale%%'", [org.pk])
            cursor.execute("DELETE FROM inventory_ownednumber WHERE organization_id = %s AND id LIKE 'num_stale%%'",
                           [org.pk])
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE inventory_ownednumber RESET (autovacuum_enabled)")


def finalize_rows(*, rounds: int) -> list[Row]:
    rounds = max(3, min(rounds, 10))  # each round buys 2 × 1000 numbers
    big = organization(BIG_ORGANIZATION)
    with carrier_latency(0):
        measured, reference = _finalize_times(lambda: big, lambda: _new_organization("bench-new"), rounds=rounds)
        rows = [ratio_row(
            f"finalize {FINALIZE_QUANTITY} for an organisation owning {BIG_OWNED:,}+ numbers (fresh statistics)",
            measured=measured, reference=reference, reference_label="the same for a new organisation",
            limit=1.2, stat="median", note=f"reservation_finalize, carrier latency 0; {rounds} rounds")]
        with stale_organization(STALE_OWNED) as stale:
            measured, reference = _finalize_times(lambda: stale, lambda: _new_organization("bench-new"),
                                                  rounds=rounds)
        rows.append(ratio_row(
            f"finalize {FINALIZE_QUANTITY} for an organisation whose {STALE_OWNED:,} numbers were loaded after the "
            "last ANALYZE (stale statistics)", measured=measured, reference=reference,
            reference_label="the same for a new organisation", limit=1.2, stat="median",
            note=f"autovacuum paused on the owned table meanwhile; {rounds} rounds"))
    return rows



def explain_finalize_link() -> str:
    """The plan of the statement that links 1000 purchased items to their numbers (rolled back)."""
    from inventory.models import BulkReservationItem

    pairs = list(BulkReservationItem.objects.filter(owned_number__isnull=False).order_by("-id")
                 .values_list("id", "owned_number_id")[:FINALIZE_QUANTITY])
    if not pairs:
        return "(no purchased items yet)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) UPDATE inventory_bulkreservationitem AS item "
            "SET status = %s, owned_number_id = link.number_id FROM unnest(%s::bigint[], %s::varchar[]) "
            "AS link(item_id, number_id) WHERE item.id = link.item_id AND item.id = ANY(%s::bigint[])",
            ["purchased", [pk for pk, _ in pairs], [number for _, number in pairs], [pk for pk, _ in pairs]])
        plan = "\n".join(re.sub(r"'\{[^}]*\}'", "'{…1000 ids…}'", row[0]) for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def measure(*, rounds: int) -> list[Row]:
    rows = [purchases_row(rounds=rounds), *finalize_rows(rounds=rounds)]
    print("plan: finalize's item → number link (1000 items, EXPLAIN ANALYZE, rolled back):\n"
          + explain_finalize_link(), flush=True)
    for alias in connections:
        connections[alias].close_if_unusable_or_obsolete()
    return rows

