"""Digit search on its index (issue #11): the SQL the search and the bulk-reserve ``name_pattern`` emit
is served by migration 0022's indexes on PostgreSQL, and the order of the results does not change.

The plans are real choices, not forced ones: ``stock_of_40k`` loads 40,000 available rows (US 60 %,
then GB, DE, … down to SE at 0.2 %; pseudo-random national digits) and ANALYZEs the table, so the
planner weighs the indexes against sequential scans and the price-ordered walk of inv_available_search
with statistics of a table where they matter. No ``enable_*`` setting is changed.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from inventory.digit_search import PRICE_ORDER, PRICE_ORDER_UNINDEXED, cheapest_first
from inventory.filters import AvailableNumberFilterSet
from inventory.models import PhoneNumber
from inventory.selectors import SEARCH_HIT_COLUMNS, searchable_inventory
from inventory.services import reservation_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")

TRIGRAM, PREFIX, PRICE = "inv_available_digits_trgm", "inv_available_digits_prefix", "inv_available_price"
COUNTRIES = [("US", "1", 0.60), ("GB", "44", 0.15), ("DE", "49", 0.10), ("FR", "33", 0.06), ("CA", "1", 0.04),
             ("AU", "61", 0.03), ("NL", "31", 0.013), ("ES", "34", 0.005), ("SE", "46", 0.002)]


@pytest.fixture
def stock_of_40k(db):
    """40,000 available rows in one INSERT … SELECT, then fresh statistics. National digits: i × 2654435761
    mod 10¹⁰ (a bijection, so unique, and evenly spread digits)."""
    bounds, low = [], 0.0
    for country, code, share in COUNTRIES:
        bounds.append(f"WHEN u < {low + share:.4f} THEN '{country}|{code}'")
        low += share
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH g AS (SELECT i, ((i * 0.6180339887) - floor(i * 0.6180339887)) AS u,
                              lpad(((i * 2654435761) % 10000000000)::text, 10, '0') AS digits
                       FROM generate_series(1::bigint, 40000) i),
                 c AS (SELECT i, digits, split_part(CASE {' '.join(bounds)} ELSE 'SE|46' END, '|', 1) AS country,
                              split_part(CASE {' '.join(bounds)} ELSE 'SE|46' END, '|', 2) AS code FROM g)
            INSERT INTO inventory_phonenumber (e164, provider, provider_ref, country, line_type, region, area_code,
                national_number, cap_sms, cap_mms, cap_voice, cap_fax, sms_two_way, monthly_cents, setup_cents,
                status, created_at, updated_at, stock_order_id)
            SELECT '+' || code || digits, (ARRAY['telnyx', 'didww', 'devotel'])[1 + i % 3], 'plan-' || i, country,
                   CASE WHEN i % 10 < 7 THEN 'local' ELSE 'mobile' END, 'R', substr(digits, 1, 3), digits,
                   true, true, true, false, true, 100 + (i * 37) % 400, 0, 'available', now(), now(), ''
            FROM c ON CONFLICT DO NOTHING""")
        cursor.execute("ANALYZE inventory_phonenumber")


def plan_of(sql: str, params=None) -> str:
    """EXPLAIN of ``sql``; without ``params`` it is run as it is (a captured statement, values inlined)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def search_sql(query: str) -> tuple[str, tuple]:
    """The statement the endpoint runs for this query string (its filters, order, limit and columns)."""
    filterset = AvailableNumberFilterSet(QueryDict(query), queryset=searchable_inventory())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.values(*SEARCH_HIT_COLUMNS).query.sql_with_params()


def walks_the_price_order(plan: str) -> bool:
    return "inv_available_search" in plan or PRICE in plan


# query string → what its plan must show (one load of the 40k rows for all of them: it is the slow part)
EXPECTED_PLANS = {
    "country=US&contains=427": TRIGRAM,
    "country=US&type=local&contains=427": TRIGRAM,
    "country=US&contains=74270": TRIGRAM,
    "country=US&ends_with=4321": TRIGRAM,
    "country=US&type=local&ends_with=4321": TRIGRAM,
    "country=US&starts_with=415": PREFIX,
    "country=US&type=mobile&starts_with=2125": PREFIX,
    "country=GB&contains=74270": TRIGRAM,
    "country=SE&starts_with=415": PREFIX,
    # SE has 80 rows here: reading them (inv_status_pool) or the pattern's (trigram) are both cheap and the
    # planner picks by cost; what it must not do is walk the price order or scan the table.
    "country=SE&contains=427": (TRIGRAM, "inv_status_pool"),
    "country=SE&ends_with=4321": (TRIGRAM, "inv_status_pool"),
    "country=SE&type=local&contains=74270": (TRIGRAM, "inv_status_pool"),
}


def test_digit_patterns_are_served_by_their_index_at_40k_rows(stock_of_40k):
    wrong = {}
    for query, indexes in EXPECTED_PLANS.items():
        plan = plan_of(*search_sql(query))
        indexes = indexes if isinstance(indexes, tuple) else (indexes,)
        if not any(index in plan for index in indexes) or walks_the_price_order(plan) or "Seq Scan" in plan:
            wrong[query] = plan
    assert not wrong, "\n\n".join(f"{query}:\n{plan}" for query, plan in wrong.items())

    # Without a line type the country's stock is walked cheapest first, not sorted.
    plan = plan_of(*search_sql("country=US"))
    assert PRICE in plan and "Sort" not in plan, plan
    # Two digits match too many rows for an index of digits: the walk finds 100 of them sooner.
    plan = plan_of(*search_sql("country=US&type=local&contains=42"))
    assert walks_the_price_order(plan) and "Sort" not in plan, plan

    # The expression order (3+ digits) gives the same rows in the same order as the plain one.
    rows = PhoneNumber.objects.sellable().filter(country="US", national_number__contains="42")
    assert (list(rows.order_by(*PRICE_ORDER).values_list("pk", flat=True)[:300])
            == list(rows.order_by(*PRICE_ORDER_UNINDEXED).values_list("pk", flat=True)[:300]))


def test_name_pattern_reserves_through_the_trigram_index(stock_of_40k, org):
    with CaptureQueriesContext(connection) as captured:
        reservation = reservation_create(organization=org, country="US", quantity=5, name_pattern="4270",
                                         pattern_type="contains")
    [select] = [query["sql"] for query in captured.captured_queries if "LIKE" in query["sql"]]
    assert "SKIP LOCKED" in select and '("inventory_phonenumber"."monthly_cents" + 0) ASC' in select
    plan = plan_of(select)
    assert TRIGRAM in plan and "inv_available_search" not in plan, plan
    assert all("4270" in item.phone_number.national_number for item in reservation.items.all())


def test_patterns_of_three_digits_order_by_an_expression_with_the_same_order():
    assert cheapest_first(None, "", "42") == PRICE_ORDER
    assert cheapest_first("427") == cheapest_first(None, "4155", None) == PRICE_ORDER_UNINDEXED
