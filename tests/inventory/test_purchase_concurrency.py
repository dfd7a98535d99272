"""Many buyers at once, on real connections: no number is sold twice and no wallet drifts."""
import threading
from collections import Counter

import pytest
from django.db import connection

from billing.services import ledger_reconcile
from inventory.models import InventoryStatus, OwnedNumber, PhoneNumber
from inventory.services import number_purchase
from orbit_numbers.errors import Conflict, InsufficientCredit

THREADS = 8


def run_concurrently(jobs):
    """Run each job in its own thread, all released at once; return [(job index, result or exception)]."""
    barrier = threading.Barrier(len(jobs))
    outcomes = []
    lock = threading.Lock()

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            for outcome in job():
                with lock:
                    outcomes.append((index, outcome))
        finally:
            connection.close()  # each thread has its own connection; leave none behind

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def attempt(organization, e164):
    try:
        return number_purchase(organization=organization, phone_number=e164, country_code="US")
    except (Conflict, InsufficientCredit) as exc:
        return exc


@pytest.fixture
def slow_carrier(settings):
    # The carrier call sits inside the purchase transaction: a little latency keeps rows locked
    # long enough for the other threads to collide with them.
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_LATENCY_MS": 20}


@pytest.mark.django_db(transaction=True)
def test_each_number_is_sold_exactly_once(make_org, make_number, slow_carrier):
    orgs = [make_org(f"Buyer {i}", credit_cents=100_00) for i in range(4)]
    rows = [make_number("US") for _ in range(3)]
    e164s = [row.e164 for row in rows]

    def job(thread_index):
        organization = orgs[thread_index % len(orgs)]
        order = e164s[thread_index % 3:] + e164s[:thread_index % 3]  # different threads start on different numbers
        return lambda: [attempt(organization, e164) for e164 in order]

    outcomes = run_concurrently([job(i) for i in range(THREADS)])

    assert len(outcomes) == THREADS * len(e164s)
    sold = [result for _, result in outcomes if isinstance(result, OwnedNumber)]
    refused = [result for _, result in outcomes if not isinstance(result, OwnedNumber)]
    assert sorted(n.e164 for n in sold) == sorted(e164s)
    assert all(isinstance(exc, Conflict) for exc in refused)
    assert OwnedNumber.objects.count() == len(e164s)
    assert set(PhoneNumber.objects.values_list("status", flat=True)) == {InventoryStatus.ASSIGNED}
    owned_per_org = Counter(OwnedNumber.objects.values_list("organization_id", flat=True))
    for organization in orgs:
        organization.wallet.refresh_from_db()
        assert organization.wallet.balance_cents == 100_00 - 250 * owned_per_org[organization.id]
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_one_wallet_under_concurrent_purchases_never_overspends(make_org, make_number, slow_carrier):
    tight = make_org("Tight", credit_cents=600)  # enough for two numbers at 250 each, not three
    rows = [make_number("US") for _ in range(THREADS)]

    outcomes = run_concurrently([lambda e164=row.e164: [attempt(tight, e164)] for row in rows])

    sold = [result for _, result in outcomes if isinstance(result, OwnedNumber)]
    refused = [result for _, result in outcomes if not isinstance(result, OwnedNumber)]
    assert len(sold) == 2
    assert len(refused) == THREADS - 2 and all(isinstance(exc, InsufficientCredit) for exc in refused)
    tight.wallet.refresh_from_db()
    assert tight.wallet.balance_cents == 100
    unsold = PhoneNumber.objects.exclude(e164__in=[n.e164 for n in sold])
    assert set(unsold.values_list("status", flat=True)) == {InventoryStatus.AVAILABLE}
    assert ledger_reconcile() == []
