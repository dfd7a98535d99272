"""Issue #11, digit search on its index: the search endpoint and the SQL it emits, as ratios to what a
DBA would write for the same result (same columns, order, limit and sellable condition), run through
``connection.cursor()`` in the same run.

- the endpoint (in-process, through the whole request path) against the hand-written SQL;
- the ORM's SQL (the FilterSet's queryset with the endpoint's ``values()`` columns, executed as it is
  emitted) against the hand-written SQL: digit patterns ≤ 1.5×, simple filters ≤ 1.2×.

For a digit pattern the hand-written query is the one a trigram index serves whatever the planner
thinks of ``LIKE '%…%'``: the matches in a MATERIALIZED CTE (the GIN index's bitmap), then the price
order. ``reference_plans`` checks that it is; the plans themselves are in bench/RESULTS.md.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.db import connection
from django.http import QueryDict

from inventory.filters import AvailableNumberFilterSet
from inventory.selectors import SEARCH_HIT_COLUMNS, searchable_inventory

from .dataset import bench_api_key, organization
from .harness import api_client, interleaved, percentile, ratio_row

URL = "/api/v1/numbers/available"
COLUMNS = ", ".join(SEARCH_HIT_COLUMNS)
SELLABLE = "status = 'available' AND (aging_until IS NULL OR aging_until <= now())"
# name → (query string, hand-written WHERE beyond the sellable condition, its parameters)
CASES = {
    "country+type": ({"country": "US", "type": "local"}, "country = %s AND line_type = %s", ["US", "local"]),
    "+capabilities": ({"country": "US", "type": "local", "capabilities": "sms,voice"},
                      "country = %s AND line_type = %s AND cap_sms AND cap_voice", ["US", "local"]),
    "+area_code": ({"country": "US", "type": "local", "area_code": "415"},
                   "country = %s AND line_type = %s AND area_code = %s", ["US", "local", "415"]),
    "+provider": ({"country": "US", "type": "local", "provider": "didww"},
                  "country = %s AND line_type = %s AND provider = %s", ["US", "local", "didww"]),
    "country only": ({"country": "US"}, "country = %s", ["US"]),
}
PATTERNS = {
    "contains=427": ({"country": "US", "contains": "427"}, "country = %s AND national_number LIKE %s", ["US", "%427%"]),
    "contains=74270": ({"country": "US", "contains": "74270"}, "country = %s AND national_number LIKE %s",
                       ["US", "%74270%"]),
    "ends_with=4321": ({"country": "US", "ends_with": "4321"}, "country = %s AND national_number LIKE %s",
                       ["US", "%4321"]),
    "starts_with=214 (an area code, 10,000 rows)": ({"country": "US", "starts_with": "214"},
                                                    "country = %s AND national_number LIKE %s", ["US", "214%"]),
    "starts_with=2140": ({"country": "US", "starts_with": "2140"}, "country = %s AND national_number LIKE %s",
                         ["US", "2140%"]),
    "contains=427, SE (0.1 %)": ({"country": "SE", "contains": "427"}, "country = %s AND national_number LIKE %s",
                                 ["SE", "%427%"]),
    "ends_with=4321, SE (0.1 %)": ({"country": "SE", "ends_with": "4321"}, "country = %s AND national_number LIKE %s",
                                   ["SE", "%4321"]),
}


def hand_written(where: str, *, pattern: bool) -> str:
    if not pattern:
        return f"SELECT {COLUMNS} FROM inventory_phonenumber WHERE {SELLABLE} AND {where} ORDER BY monthly_cents, id LIMIT 100"
    return (f"WITH hits AS MATERIALIZED (SELECT id, {COLUMNS} FROM inventory_phonenumber WHERE {SELLABLE} AND {where}) "
            f"SELECT {COLUMNS} FROM hits ORDER BY monthly_cents, id LIMIT 100")


def orm_sql(query: dict) -> tuple[str, tuple]:
    """The statement GET /numbers/available runs for this query string."""
    filterset = AvailableNumberFilterSet(QueryDict(urlencode(query)), queryset=searchable_inventory())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.values(*SEARCH_HIT_COLUMNS).query.sql_with_params()


def runner(sql: str, params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    return run


def explain(sql: str, params, *, analyze: bool = True) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, BUFFERS, ' if analyze else ''}COSTS OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def reference_plans() -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the ORM's SQL and the hand-written one, per case (for RESULTS.md)."""
    plans = {}
    for name, (query, where, params) in {**CASES, **PATTERNS}.items():
        plans[f"{name}: ORM"] = explain(*orm_sql(query))
        plans[f"{name}: hand-written"] = explain(hand_written(where, pattern=name in PATTERNS), params)
    return plans


def p50_ratio(measured: list[float], reference: list[float]) -> str:
    """The median's ratio beside the p95's: on a loaded 2-core machine one p95 is one scheduling hiccup."""
    return f"p50 ratio {percentile(measured, 50) / percentile(reference, 50):.2f}×"


ENDPOINT_LIMITS = {"country+type": 4, "country only": 4, "contains=427": 1.5, "contains=74270": 4,
                   "ends_with=4321": 4}


def measure(*, rounds: int) -> list:
    client = api_client(bench_api_key(organization("bench-fresh-0")))
    rows = []
    for name, (query, where, params) in {**CASES, **PATTERNS}.items():
        pattern = name in PATTERNS
        reference_sql = hand_written(where, pattern=pattern)
        reference = runner(reference_sql, params)
        orm = runner(*orm_sql(query))
        # Same rows in the same order, or the ratio compares different work.
        assert [tuple(row) for row in orm()] == [tuple(row) for row in reference()], name
        if pattern and query["country"] == "US":  # SE's 900 rows: the planner reads the country (inv_status_pool)
            assert "inv_available_digits" in explain(reference_sql, params, analyze=False), name
        url = f"{URL}?{urlencode(query)}"

        def request(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]

        # Interleaved (reference, ORM SQL, request, reference, …): the machine's noise hits all alike.
        fns = {"reference": reference, "orm": orm}
        if name in ENDPOINT_LIMITS:
            fns["request"] = request
        times = interleaved(fns, rounds=rounds)
        label = "hand-written SQL" + (", digit index" if pattern else "")
        if name in ENDPOINT_LIMITS:
            rows.append(ratio_row(f"GET /numbers/available {name}, in-process p95", measured=times["request"],
                                  reference=times["reference"], reference_label=label, limit=ENDPOINT_LIMITS[name],
                                  note=p50_ratio(times["request"], times["reference"])))
        rows.append(ratio_row(f"ORM SQL of {name}, p95", measured=times["orm"], reference=times["reference"],
                              reference_label=label, limit=1.5 if pattern else 1.2,
                              note=p50_ratio(times["orm"], times["reference"])))
    return rows
