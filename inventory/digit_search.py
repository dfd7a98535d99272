"""Digit patterns on the national number, written so that PostgreSQL serves them from their indexes.

The available-number search (``contains``, ``starts_with``, ``ends_with``) and the bulk-reserve
``name_pattern`` both filter ``national_number`` of sellable rows and take the cheapest first. Migration
0022 indexes the available rows' digits: a GIN trigram index (``inv_available_digits_trgm``: any
``LIKE '%…%'`` / ``'%…'`` of 3 digits or more) and a btree ``varchar_pattern_ops`` one
(``inv_available_digits_prefix``: ``country`` then ``LIKE '…%'``). On SQLite the same lookups scan.
"""
from __future__ import annotations

from django.db.models import F, Q

# pattern_type (the API's words) → Django lookup on national_number
PATTERN_LOOKUPS = {"contains": "contains", "starts_with": "startswith", "ends_with": "endswith"}

# pg_trgm indexes trigrams: a pattern of fewer digits has none, and matches too many rows to be worth
# an index anyway (the price-ordered walk finds 100 of them sooner).
INDEXED_PATTERN_DIGITS = 3

PRICE_ORDER = ("monthly_cents", "id")
# The same order as an expression that no index provides (see ``cheapest_first``).
PRICE_ORDER_UNINDEXED = (F("monthly_cents") + 0, "id")


def digit_pattern_q(pattern_type: str, digits: str) -> Q:
    return Q(**{f"national_number__{PATTERN_LOOKUPS[pattern_type]}": digits})


def cheapest_first(*patterns: str | None) -> tuple:
    """The ORDER BY of a search: monthly rate, then id.

    With a digit pattern of 3 or more digits the rate is ordered as ``monthly_cents + 0``: the same
    order, but no index provides it, so PostgreSQL cannot walk the country's stock in price order
    (``inv_available_search`` / ``inv_available_price``) testing the digits row by row until it has
    ``limit`` hits. It reads the pattern's rows from the digit index and sorts them. Measured at 1 M rows
    (bench/RESULTS.md): the walk read 20,335 rows for ``contains=427`` in the US (19,557 buffers against
    4,526), and all 539,400 US rows (2.6 s) for ``starts_with=201`` once that area code was sold out. Its
    statistics cover every status, so the planner cannot see that coming. The price of the bound: a prefix
    that is a whole well-stocked area code sorts all its rows (10,000: 74 ms against a 12 ms walk).
    """
    if any(pattern and len(pattern) >= INDEXED_PATTERN_DIGITS for pattern in patterns):
        return PRICE_ORDER_UNINDEXED
    return PRICE_ORDER
