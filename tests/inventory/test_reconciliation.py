"""Reconciliation: a process that dies between the carrier order and our commit leaves a carrier
order nobody owns; the job (and reconcile_carrier_orders) releases it, once."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import LedgerEntry
from inventory.models import BulkReservation, CarrierRelease, InventoryStatus, OwnedNumber
from inventory.services import checkout, number_buy_bulk, number_purchase
from inventory.services.reconciliation import carrier_orders_reconcile
from .bulk_support import carrier_log, stock  # noqa: F401


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after it runs, no compensation either."""


@pytest.fixture
def crash_before_commit(monkeypatch):
    """Kill the next checkout between its carrier orders and its commit; call the result to revive."""
    originals = checkout.checkout_complete, checkout.checkout_undo

    def die(**kwargs):
        raise ProcessDied()

    monkeypatch.setattr(checkout, "checkout_complete", die)
    monkeypatch.setattr(checkout, "checkout_undo", die)

    def revive():
        checkout.checkout_complete, checkout.checkout_undo = originals

    return revive


def test_a_crash_between_carrier_order_and_commit_is_released_by_reconciliation(
        org, make_number, carrier_log, crash_before_commit):
    row = make_number()
    with pytest.raises(ProcessDied):
        number_purchase(organization=org, phone_number=row.e164, country_code="US")
    crash_before_commit()
    assert carrier_log["ordered"] == [row.e164]
    row.refresh_from_db()
    assert row.status == InventoryStatus.RESERVED  # held by the dead checkout

    # Right away, the order may still belong to a live checkout: nothing is touched.
    now = timezone.now()
    early = carrier_orders_reconcile(now=now + timedelta(minutes=3))
    assert early.in_flight and not early.orphaned and carrier_log["released"] == []

    # Once the dead checkout's hold has expired, its order is an orphan: released, the row back on sale.
    result = carrier_orders_reconcile(now=now + timedelta(minutes=16))
    assert result.holds_expired == 1 and len(result.orphaned) == 1
    assert result.releases == {"attempted": 1, "released": 1}
    assert carrier_log["released"] == [row.e164]
    release = CarrierRelease.objects.get()
    assert (release.reason, release.status, release.e164) == ("orphan", "done", row.e164)
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE
    assert BulkReservation.objects.get().status == "expired"
    assert not OwnedNumber.objects.exists() and not LedgerEntry.objects.filter(amount_cents__lt=0).exists()

    # Rerunning finds nothing new to do.
    again = carrier_orders_reconcile(now=now + timedelta(minutes=30))
    assert not again.orphaned and again.releases == {"attempted": 0, "released": 0}
    assert carrier_log["released"] == [row.e164]


def test_a_crashed_buy_bulk_is_reconciled_by_the_command(org, stock, carrier_log, crash_before_commit,
                                                         monkeypatch):
    from inventory.services import reconciliation

    rows = stock(3)
    with pytest.raises(ProcessDied):
        number_buy_bulk(organization=org, items=[{"phone_number": row.e164} for row in rows])
    crash_before_commit()
    BulkReservation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))  # the hold ran out
    monkeypatch.setattr(reconciliation, "ORDER_GRACE", timedelta(0))  # and the orders are old enough

    out = StringIO()
    call_command("reconcile_carrier_orders", stdout=out)
    assert "Holds expired: 1. Carrier orders checked: 3; orphaned: 3" in out.getvalue()
    assert "Releases attempted: 3, confirmed: 3." in out.getvalue()
    assert sorted(carrier_log["released"]) == sorted(row.e164 for row in rows)
    assert set(CarrierRelease.objects.values_list("status", flat=True)) == {"done"}
    assert set(InventoryStatus(row.status) for row in type(rows[0]).objects.all()) == {InventoryStatus.AVAILABLE}

    out = StringIO()
    call_command("reconcile_carrier_orders", stdout=out)
    assert "orphaned: 0" in out.getvalue() and "Releases attempted: 0" in out.getvalue()
    assert len(carrier_log["released"]) == 3


def test_an_owner_without_a_recorded_order_adopts_it(org, make_number):
    row = make_number()
    number = number_purchase(organization=org, phone_number=row.e164, country_code="US")
    placed = number.provider_order_id
    OwnedNumber.objects.filter(pk=number.pk).update(provider_order_id="")
    result = carrier_orders_reconcile(now=timezone.now() + timedelta(minutes=5))
    assert result.adopted == [placed] and not result.orphaned
    number.refresh_from_db()
    assert number.provider_order_id == placed and not CarrierRelease.objects.exists()


def test_owned_orders_are_left_alone(org, make_number, carrier_log):
    row = make_number()
    number_purchase(organization=org, phone_number=row.e164, country_code="US")
    result = carrier_orders_reconcile(now=timezone.now() + timedelta(minutes=5))
    assert result.orders_seen == 1 and not result.orphaned and not result.adopted
    assert carrier_log["released"] == [] and not CarrierRelease.objects.exists()
