"""Monthly renewals: every cycle charged once, oldest dues first, unpaid numbers released after grace."""
from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import LedgerEntry
from billing.services import ledger_reconcile, wallet_credit
from inventory.models import OwnedNumber
from inventory.services import number_purchase, number_renewals_charge
from inventory.services.numbers import billing_cycle_end
from inventory.services.renewals import due_cycles
from inventory.services.staff import number_reassign
from orbit_numbers.models import AuditLog


def anniversary(number: OwnedNumber, months: int):
    """The purchase date plus ``months`` months (the end of cycle ``months``)."""
    end = number.created_at
    for _ in range(months):
        end = billing_cycle_end(started_at=number.created_at, now=end)
    return end


def buy(organization, make_number, **fields) -> OwnedNumber:
    row = make_number(**fields)
    return number_purchase(organization=organization, phone_number=row.e164, country_code=row.country)


def monthly_entries(organization):
    return LedgerEntry.objects.filter(wallet__organization=organization, kind="monthly_fee",
                                      description__startswith="Monthly fee")


def test_a_due_cycle_is_charged_once_and_advances_paid_until(org, make_number):
    number = buy(org, make_number)
    balance = org.wallet.__class__.objects.get(pk=org.wallet.pk).balance_cents
    now = anniversary(number, 1) + timedelta(hours=1)

    result = number_renewals_charge(now=now)
    assert (result.numbers_charged, result.cycles_charged, result.charged_cents) == (1, 1, 150)
    number.refresh_from_db()
    assert number.paid_until == anniversary(number, 2)
    entry = monthly_entries(org).get()
    assert (entry.amount_cents, entry.reference) == (-150, f"number:{number.pk}")
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == balance - 150

    assert number_renewals_charge(now=now).cycles_charged == 0  # the same cycle is never charged twice
    assert AuditLog.objects.filter(action="number.renew", object_id=number.pk).count() == 1
    assert ledger_reconcile() == []


def test_a_number_inside_its_first_cycle_is_not_charged(org, make_number):
    number = buy(org, make_number)
    assert number_renewals_charge(now=number.created_at + timedelta(days=27)).cycles_charged == 0
    assert number_renewals_charge(now=anniversary(number, 1) - timedelta(seconds=1)).cycles_charged == 0
    assert not monthly_entries(org).exists()


def test_every_missed_cycle_is_its_own_ledger_line(org, make_number):
    number = buy(org, make_number)
    now = anniversary(number, 3) + timedelta(minutes=5)
    assert [end for _, end in due_cycles(number, now=now)] == [anniversary(number, n) for n in (2, 3, 4)]

    result = number_renewals_charge(now=now)
    assert result.cycles_charged == 3
    assert monthly_entries(org).count() == 3
    number.refresh_from_db()
    assert number.paid_until == anniversary(number, 4)
    assert ledger_reconcile() == []


def test_released_numbers_are_never_renewed(org, make_number):
    from inventory.services import number_release

    number = buy(org, make_number)
    number_release(organization=org, number_id=number.pk)
    assert number_renewals_charge(now=anniversary(number, 2)).cycles_charged == 0


def test_a_short_wallet_pays_the_oldest_dues_then_retries_and_clears(make_org, make_number):
    organization = make_org("Short", credit_cents=500)  # two purchases of 250 each leave 0
    older = buy(organization, make_number)
    newer = buy(organization, make_number)
    wallet_credit(organization=organization, amount_cents=150, description="covers one renewal")
    now = anniversary(newer, 1) + timedelta(hours=1)

    result = number_renewals_charge(now=now)
    assert result.cycles_charged == 1
    assert result.unpaid == [newer.e164]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.paid_until == anniversary(older, 2) and older.renewal_failed_at is None
    assert newer.renewal_failed_at == now and newer.paid_until is None
    assert AuditLog.objects.filter(action="number.renewal_failed", object_id=newer.pk).exists()

    wallet_credit(organization=organization, amount_cents=1000, description="top-up")
    later = now + timedelta(days=2)
    assert number_renewals_charge(now=later).cycles_charged == 1
    newer.refresh_from_db()
    assert newer.renewal_failed_at is None and newer.paid_until == anniversary(newer, 2)
    assert ledger_reconcile() == []


def test_unpaid_past_the_grace_period_is_released(make_org, make_number, settings):
    settings.ORBIT = {**settings.ORBIT, "RENEWAL_GRACE_DAYS": 7}
    organization = make_org("Broke", credit_cents=250)
    number = buy(organization, make_number)
    due = anniversary(number, 1) + timedelta(hours=1)

    assert number_renewals_charge(now=due).unpaid == [number.e164]
    assert number_renewals_charge(now=due + timedelta(days=6)).released == []
    result = number_renewals_charge(now=due + timedelta(days=7))
    assert result.released == [number.e164]
    number.refresh_from_db()
    assert number.status == OwnedNumber.Status.RELEASED
    assert number.billing_ends_at == anniversary(number, 1)  # billing stopped where payments did
    assert AuditLog.objects.filter(action="number.release_unpaid", object_id=number.pk).exists()
    assert not monthly_entries(organization).exists()
    assert ledger_reconcile() == []


@pytest.mark.parametrize("count", [1, 20])
def test_queries_do_not_grow_with_the_number_of_renewals(make_org, make_number, count,
                                                         django_assert_max_num_queries):
    organization = make_org("Many", credit_cents=count * 250 + count * 150)
    numbers = [buy(organization, make_number) for _ in range(count)]
    now = max(anniversary(number, 1) for number in numbers) + timedelta(hours=1)
    # 18 = 16 + the low-balance notice (event, endpoints) when the run empties the wallet, as at 20.
    with django_assert_max_num_queries(18):
        assert number_renewals_charge(now=now).cycles_charged == count


def test_a_reassigned_number_is_billed_to_its_new_owner_at_once(org, make_org, make_number):
    number = buy(org, make_number)
    other = make_org("New owner", credit_cents=1000)
    [moved] = number_reassign(number_ids=[number.pk], to_organization=other, reason="account merge",
                              acting_user=None)
    result = number_renewals_charge(now=moved.created_at + timedelta(seconds=1))
    assert result.cycles_charged == 1
    assert monthly_entries(other).count() == 1 and not monthly_entries(org).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_charge_each_cycle_once(make_org, make_number):
    organizations = [make_org(f"Race {index}", credit_cents=10_000) for index in range(4)]
    numbers = [buy(organization, make_number) for organization in organizations for _ in range(3)]
    now = max(anniversary(number, 2) for number in numbers) + timedelta(hours=1)
    barrier = threading.Barrier(4)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(number_renewals_charge(now=now).cycles_charged)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == len(numbers) * 2  # two cycles each, charged exactly once overall
    assert LedgerEntry.objects.filter(description__startswith="Monthly fee").count() == len(numbers) * 2
    assert ledger_reconcile() == []


def test_command_reports_and_dry_run_changes_nothing(org, make_number, monkeypatch):
    number = buy(org, make_number)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: anniversary(number, 1) + timedelta(hours=1))
    out = StringIO()
    call_command("charge_renewals", "--dry-run", stdout=out)
    assert "Would charge 1 cycle(s) on 1 number(s)" in out.getvalue()
    assert not monthly_entries(org).exists()

    out = StringIO()
    call_command("charge_renewals", stdout=out)
    assert "Charged 1 cycle(s) on 1 number(s) of 1 organisation(s): $1.50." in out.getvalue()
    assert monthly_entries(org).count() == 1


def test_one_organisations_failure_rolls_back_only_its_own_renewals(make_org, make_number, monkeypatch):
    from inventory.services import renewals

    first, broken, last = (make_org(name, credit_cents=10_000) for name in ("First", "Broken", "Last"))
    numbers = {organization.pk: buy(organization, make_number) for organization in (first, broken, last)}
    now = max(anniversary(number, 1) for number in numbers.values()) + timedelta(hours=1)
    real_charge = renewals.wallet_charge

    def charge(*, organization, **kwargs):
        if organization.pk == broken.pk:
            raise RuntimeError("database hiccup")
        return real_charge(organization=organization, **kwargs)

    monkeypatch.setattr(renewals, "wallet_charge", charge)
    result = number_renewals_charge(now=now)
    assert result.failed_organizations == [broken.pk] and result.numbers_charged == 2
    assert monthly_entries(first).count() == monthly_entries(last).count() == 1
    assert not monthly_entries(broken).exists()

    # The next run charges the one that failed, and nobody twice.
    monkeypatch.setattr(renewals, "wallet_charge", real_charge)
    again = number_renewals_charge(now=now)
    assert again.failed_organizations == [] and again.numbers_charged == 1
    assert [monthly_entries(o).count() for o in (first, broken, last)] == [1, 1, 1]
    assert ledger_reconcile() == []


def test_an_unpaid_number_released_after_grace_is_handed_back_to_its_carrier(
        make_org, make_number, settings, django_capture_on_commit_callbacks):
    from inventory.models import CarrierRelease

    settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": "raise"}
    poor = make_org("Poor", credit_cents=250)
    number = buy(poor, make_number)
    grace = settings.ORBIT["RENEWAL_GRACE_DAYS"]
    number_renewals_charge(now=anniversary(number, 1) + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = number_renewals_charge(now=anniversary(number, 1) + timedelta(days=grace, hours=2))
    assert result.released == [number.e164]
    release = CarrierRelease.objects.get()
    assert (release.e164, release.reason, release.status) == (number.e164, "released", "done")
