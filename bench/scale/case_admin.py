"""The console at scale (issue #11): changelists over the big tables, server time in-process.

The owned-numbers changelist (100,000 rows, ordered newest first, joined to the 1 M-row inventory) against
the inventory changelist at 1 M rows, both unfiltered, requested A, B, A, B … by a logged-in superuser
through django.test.Client. Beside it, informative rows for the other big changelists, the first load
with the filters' choices not cached (found again then), and a count of statements that read a whole
big table for the page's furniture (a COUNT(*) without a LIMIT inside, any SELECT DISTINCT): the goal is 0.
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from .harness import Row, interleaved, ms, percentile, ratio_row

INVENTORY = "/admin/inventory/phonenumber/"
OWNED = "/admin/inventory/ownednumber/"
# Other changelists over tables that grow with the business (informative rows).
OTHERS = {
    "audit log": "/admin/orbit_numbers/auditlog/",
    "ledger entries": "/admin/billing/ledgerentry/",
    "bulk reservations": "/admin/inventory/bulkreservation/",
    "webhook events": "/admin/orbit_numbers/webhookevent/",
    "owned numbers filtered by organisation (bench-big)": None,  # filled in below (needs the id)
    "owned numbers filtered by country (GB)": OWNED + "?phone_number__country=GB",
}


# The filters' cached choices (orbit_numbers.admin_base.distinct_values_filter): emptied to time a cold load,
# without flushing the rest of the cache (other cases' state, the simulator's order book).
FILTER_CACHE_KEYS = ["admin-distinct:inventory.phonenumber:country",
                     "admin-distinct:inventory.ownednumber:phone_number__country",
                     "admin-distinct:inventory.bulkreservation:country", "admin-distinct:orbit_numbers.auditlog:action"]


def forget_filter_choices() -> None:
    cache.delete_many(FILTER_CACHE_KEYS)


def staff_client() -> Client:
    from django.contrib.auth.models import User

    user, created = User.objects.get_or_create(username="bench-console", defaults={
        "is_staff": True, "is_superuser": True})
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str):
    def fetch() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    return fetch


def unbounded_scans(client: Client, url: str) -> list[str]:
    """One load (filter choices not cached): its statements that read a whole table (COUNT, no LIMIT; DISTINCT)."""
    forget_filter_choices()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    found = []
    for query in queries.captured_queries:
        sql = query["sql"].upper()
        if ("COUNT(" in sql and "LIMIT" not in sql) or "DISTINCT" in sql:
            found.append(query["sql"][:200])
    return found


def explain_owned_page(client: Client) -> str:
    """The plan of the page query the owned changelist really sent (first page, newest first)."""
    with CaptureQueriesContext(connection) as queries:
        client.get(OWNED)
    page = next(query["sql"] for query in queries.captured_queries
                if 'FROM "inventory_ownednumber"' in query["sql"] and "ORDER BY" in query["sql"]
                and "LIMIT" in query["sql"] and "COUNT(" not in query["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {page}")
        return page + "\n" + "\n".join(row[0] for row in cursor.fetchall())


def measure(*, rounds: int) -> list[Row]:
    # Templates link plain static names (as the test suite does): the hashed production storage needs a
    # collectstatic manifest the bench has no use for, and the page's server time is the same.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        return _measure(rounds=rounds)


def _measure(*, rounds: int) -> list[Row]:
    from .dataset import BIG_ORGANIZATION, organization

    client = staff_client()
    others = dict(OTHERS)
    others["owned numbers filtered by organisation (bench-big)"] = (
        OWNED + f"?organization__id__exact={organization(BIG_ORGANIZATION).pk}")

    # The first load after the cache is emptied (filter choices found again), each changelist once.
    cold = {}
    for label, url in (("inventory", INVENTORY), ("owned numbers", OWNED)):
        forget_filter_choices()
        cold[label] = interleaved({label: _get(client, url)}, rounds=1, warmup=0)[label][0]

    times = interleaved({"owned": _get(client, OWNED), "inventory": _get(client, INVENTORY)}, rounds=rounds)
    rows = [ratio_row("admin owned-numbers changelist, 100 k rows, server time in-process",
                      measured=times["owned"], reference=times["inventory"],
                      reference_label="inventory changelist at 1 M rows", limit=1.5, stat="p95",
                      note=f"{rounds} rounds, superuser, unfiltered, newest first")]
    rows.append(Row(what="admin owned-numbers changelist, first load, filter choices not cached",
                    figure=ms(cold["owned numbers"]), reference=f"inventory, same {ms(cold['inventory'])}",
                    ratio=cold["owned numbers"] / cold["inventory"], goal="—", met=None,
                    note="filter choices found by an index walk, then cached"))

    scans = {label: unbounded_scans(client, url) for label, url in
             (("inventory", INVENTORY), ("owned numbers", OWNED), *others.items())}
    total = sum(len(found) for found in scans.values())
    rows.append(Row(what="full COUNT(*) or SELECT DISTINCT on a changelist load (filter choices not cached)",
                    figure=f"{total} statements", reference=f"{len(scans)} changelists checked", ratio=None,
                    goal="0", met=total == 0,
                    note="; ".join(f"{label}: {found}" for label, found in scans.items() if found)))

    other_times = interleaved({label: _get(client, url) for label, url in others.items()}
                              | {"inventory": _get(client, INVENTORY)}, rounds=max(5, rounds // 3))
    base = percentile(other_times["inventory"], 95)
    for label in others:
        value = percentile(other_times[label], 95)
        rows.append(Row(what=f"admin changelist: {label}", figure=f"p95 {ms(value)}",
                        reference=f"inventory changelist p95 {ms(base)}", ratio=value / base, goal="—", met=None))

    print("plan: owned changelist page (EXPLAIN ANALYZE):\n" + explain_owned_page(client), flush=True)
    return rows
