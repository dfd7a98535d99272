"""Auto-replenish: an opening low-stock alert orders numbers into our own stock from the pool's
carrier — once per alert, cheapest first, within the month's budget (across orders, via the clock),
partial fills and carrier failures recorded — and a stocked number's first sale uses that order."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import (CarrierFailure, LowStockAlert, LowStockThreshold, OwnedNumber, PhoneNumber,
                              ReplenishOrder, ReplenishPolicy)
from inventory.services import number_purchase
from inventory.services.reconciliation import _known_order_ids
from inventory.services.replenish import (alert_replenish, month_start, replenish_month_spent_cents,
                                          replenish_order_fill, replenish_order_open)
from inventory.services.stock import low_stock_check
from orbit_numbers.models import AuditLog
from tests.inventory.sync_support import ScriptedCarrier, install, offers_for

from tests import staff

from . import bulk_support

# Shared fixtures, by reference (tests/staff.py, bulk_support.py).
make_staff, stock, carrier_log = staff.make_staff, bulk_support.stock, bulk_support.carrier_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def check(django_capture_on_commit_callbacks):
    """The low-stock check with its after-commit work (the replenish task, eager) run."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return low_stock_check()

    return run


def pool(*, min_available=2, enabled=True, quantity=3, budget=10_000, area_code="", provider="telnyx"):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", area_code=area_code,
                                                 min_available=min_available)
    ReplenishPolicy.objects.create(threshold=threshold, enabled=enabled, provider=provider, quantity=quantity,
                                   monthly_budget_cents=budget)
    return threshold


def carrier_with(monkeypatch, offers, **kwargs) -> ScriptedCarrier:
    return install(monkeypatch, "replenish", ScriptedCarrier(pages=[offers], **kwargs))


def sell_all():
    """The pool empties (numbers sold): the next check opens a new alert."""
    PhoneNumber.objects.filter(status="available").update(status="assigned")


def test_an_opening_alert_orders_numbers_into_stock(monkeypatch, check):
    threshold = pool(quantity=3)
    offers = offers_for(count=5, monthly_cents=100, setup_cents=50)
    carrier = carrier_with(monkeypatch, offers)

    result = check()

    alert = LowStockAlert.objects.get(pk=result.opened[0])
    order = ReplenishOrder.objects.get(alert=alert)
    assert (order.status, order.numbers_added, order.numbers_failed, order.cost_cents) == ("completed", 3, 0, 450)
    assert (order.provider, order.country, order.line_type, order.threshold_id) == ("telnyx", "US", "local",
                                                                                     threshold.pk)
    assert len(carrier.ordered) == 3 and sorted(order.numbers) == sorted(carrier.ordered)
    rows = PhoneNumber.objects.filter(e164__in=order.numbers)
    assert {(r.status, r.provider, r.stock_order_id) for r in rows} == {
        ("available", "telnyx", f"ord-{r.e164[1:]}") for r in rows}
    assert PhoneNumber.objects.sellable().count() == 3
    assert AuditLog.objects.filter(action="replenish_order.open", object_id=str(order.pk)).exists()
    assert AuditLog.objects.filter(action="replenish_order.finish", object_id=str(order.pk)).exists()
    # The stock is back: the next check resolves the alert and orders nothing more.
    assert check().resolved == [alert.pk]
    assert ReplenishOrder.objects.count() == 1


def test_picks_the_cheapest_numbers_of_the_pool_that_we_do_not_stock(monkeypatch, check, make_number):
    pool(quantity=2, area_code="201")
    cheap, dear, cheapest = offers_for(count=3, skip=10, monthly_cents=100, setup_cents=0)
    elsewhere = offers_for(count=1, skip=20, monthly_cents=10, setup_cents=0, area_code="999")[0]
    known = offers_for(count=1, skip=30, monthly_cents=1, setup_cents=0)[0]
    make_number(e164=known.e164, status="assigned")
    from dataclasses import replace
    offers = [replace(cheap, monthly_cents=120), replace(dear, monthly_cents=900), replace(cheapest, monthly_cents=110),
              elsewhere, known]
    carrier = carrier_with(monkeypatch, offers)

    check()

    assert carrier.ordered == [cheapest.e164, cheap.e164]
    assert ReplenishOrder.objects.get().cost_cents == 230


def resolve_open_alert(now):
    LowStockAlert.objects.filter(resolved_at__isnull=True).update(resolved_at=now)


def test_the_monthly_budget_holds_across_orders_and_renews_next_month(monkeypatch, check, clock):
    clock.set(timezone.now().replace(day=3, hour=12))
    threshold = pool(quantity=3, budget=600)
    carrier_with(monkeypatch, offers_for(count=20, monthly_cents=100, setup_cents=50))

    check()  # alert 1: 3 × 150
    assert replenish_month_spent_cents(threshold_id=threshold.pk) == 450
    check()  # recovered
    sell_all()
    clock.advance(days=1)
    check()  # alert 2: 150 left, one number
    second = ReplenishOrder.objects.order_by("-pk").first()
    assert (second.status, second.budget_cents, second.numbers_added, second.cost_cents) == ("partial", 150, 1, 150)
    assert replenish_month_spent_cents(threshold_id=threshold.pk) == 600
    resolve_open_alert(clock.now)  # (one number was not enough to recover: staff let it go)
    sell_all()
    clock.advance(days=1)
    check()  # alert 3: the budget is spent
    third = ReplenishOrder.objects.order_by("-pk").first()
    assert (third.status, third.numbers_added, third.cost_cents) == ("skipped", 0, 0)
    assert "budget" in third.error
    assert sum(o.cost_cents for o in ReplenishOrder.objects.all()) == 600

    clock.set(month_start(clock.now).replace(month=clock.now.month % 12 + 1,
                                              year=clock.now.year + (clock.now.month == 12)))
    check()  # the alert is still open: no new order for it
    assert ReplenishOrder.objects.count() == 3
    resolve_open_alert(clock.now)
    check()  # a new alert in the new month: the full budget again
    fourth = ReplenishOrder.objects.order_by("-pk").first()
    assert (fourth.status, fourth.numbers_added, fourth.cost_cents, fourth.budget_cents) == ("completed", 3, 450, 600)
    assert replenish_month_spent_cents(threshold_id=threshold.pk) == 450


def test_a_running_order_holds_its_budget(monkeypatch):
    threshold = pool(quantity=1, budget=1000)
    first = LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)
    order = replenish_order_open(alert_id=first.pk)
    assert (order.status, order.budget_cents) == ("pending", 1000)
    LowStockAlert.objects.filter(pk=first.pk).update(resolved_at=timezone.now())
    second = LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)
    assert replenish_order_open(alert_id=second.pk).status == "skipped"


def test_one_order_per_alert(monkeypatch):
    threshold = pool(quantity=2)
    carrier = carrier_with(monkeypatch, offers_for(count=5))
    alert = LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0)

    first = alert_replenish(alert_id=alert.pk)
    again = alert_replenish(alert_id=alert.pk)

    assert first.pk == again.pk and ReplenishOrder.objects.count() == 1
    assert replenish_order_fill(order_id=first.pk).status == "completed"
    assert len(carrier.ordered) == 2


def test_a_partial_fill_is_recorded(monkeypatch, check):
    pool(quantity=3)
    offers = offers_for(count=3, monthly_cents=100, setup_cents=0)
    carrier = carrier_with(monkeypatch, offers, refuse={offers[1].e164})

    check()

    order = ReplenishOrder.objects.get()
    assert (order.status, order.numbers_added, order.numbers_failed, order.cost_cents) == ("partial", 2, 1, 200)
    assert offers[1].e164 not in order.numbers and offers[1].e164 in order.error
    assert not PhoneNumber.objects.filter(e164=offers[1].e164).exists()
    assert len(carrier.ordered) == 2
    assert CarrierFailure.objects.filter(operation="replenish", e164=offers[1].e164,
                                         code="NUMBER_NOT_ORDERABLE").exists()


def test_a_carrier_failure_is_recorded_and_spends_nothing(monkeypatch, check):
    threshold = pool(quantity=3)
    carrier_with(monkeypatch, offers_for(count=3), fail_on_page=1)

    check()

    order = ReplenishOrder.objects.get()
    assert (order.status, order.numbers_added, order.cost_cents) == ("failed", 0, 0)
    assert "listing unavailable" in order.error and order.finished_at is not None
    assert CarrierFailure.objects.filter(operation="replenish", provider="telnyx").exists()
    assert replenish_month_spent_cents(threshold_id=threshold.pk) == 0


def test_nothing_new_to_order_fails_the_order(monkeypatch, check, make_number):
    pool(quantity=3, budget=100)
    carrier_with(monkeypatch, offers_for(count=3, monthly_cents=100, setup_cents=50))  # each over the budget
    check()
    order = ReplenishOrder.objects.get()
    assert (order.status, order.numbers_added) == ("failed", 0)
    assert "no new numbers" in order.error


@pytest.mark.parametrize("case", ["policy_disabled", "no_policy", "globally_off", "threshold_inactive",
                                  "alert_resolved"])
def test_no_order_when_replenishing_is_off(monkeypatch, check, case, settings):
    threshold = pool(enabled=case != "policy_disabled")
    if case == "no_policy":
        ReplenishPolicy.objects.all().delete()
    if case == "globally_off":
        settings.ORBIT = {**settings.ORBIT, "AUTO_REPLENISH_ENABLED": False}
    carrier = carrier_with(monkeypatch, offers_for(count=3))
    if case in ("threshold_inactive", "alert_resolved"):
        alert = LowStockAlert.objects.create(threshold=threshold, reason="count", available_at_open=0,
                                             resolved_at=timezone.now() if case == "alert_resolved" else None)
        if case == "threshold_inactive":
            LowStockThreshold.objects.filter(pk=threshold.pk).update(is_active=False)
        assert alert_replenish(alert_id=alert.pk) is None
    else:
        assert len(check().opened) == 1
    assert not ReplenishOrder.objects.exists() and carrier.ordered == []


def test_a_stocked_number_is_sold_on_its_stock_order(monkeypatch, check, make_org):
    pool(quantity=1)
    carrier_with(monkeypatch, offers_for(count=1))
    check()
    row = PhoneNumber.objects.get(stock_order_id__gt="")
    stock_order = row.stock_order_id
    assert _known_order_ids("telnyx", [stock_order]) == {stock_order}  # reconciliation leaves it alone

    class NoOrders(ScriptedCarrier):
        def order_number(self, **kwargs):
            raise AssertionError("a stocked number must not be ordered again")

    install(monkeypatch, "checkout", NoOrders())
    buyer = make_org("Buyer", credit_cents=10_000)
    number = number_purchase(organization=buyer, phone_number=row.e164, country_code="US")

    assert number.provider_order_id == stock_order
    row.refresh_from_db()
    assert (row.status, row.stock_order_id) == ("assigned", "")
    assert OwnedNumber.objects.get(pk=number.pk).phone_number_id == row.pk


@pytest.mark.parametrize("status, outcome", [("ordering", "in_flight"), ("completed", "orphaned")])
def test_reconciliation_leaves_numbers_being_ordered_alone(status, outcome):
    from inventory.providers.base import PlacedOrder
    from inventory.services.reconciliation import carrier_order_reconcile

    threshold = pool()
    ReplenishOrder.objects.create(threshold=threshold, provider="telnyx", country="US", line_type="local",
                                  quantity_requested=1, budget_cents=500, status=status, numbers=["+12015550200"])
    placed = PlacedOrder(provider_order_id="ord-x", e164="+12015550200", status="active")
    assert carrier_order_reconcile(provider="telnyx", order=placed) == outcome


@pytest.mark.django_db(transaction=True)
def test_a_checkout_that_fails_keeps_the_stock_order_on_its_row(client, stock, carrier_log):
    from inventory.models import CarrierRelease

    from .bulk_support import FAILING_US

    stocked = stock(e164="+12015550300", stock_order_id="stock-ord-1")[0]
    failing = stock(e164=FAILING_US)[0]
    response = client.post("/api/v1/numbers/orders", {"numbers": [stocked.e164, failing.e164]}, format="json")

    assert response.status_code == 409
    stocked.refresh_from_db()
    assert (stocked.status, stocked.stock_order_id) == ("available", "stock-ord-1")
    assert stocked.e164 not in carrier_log["ordered"] + carrier_log["released"]
    assert not CarrierRelease.objects.filter(provider_order_id="stock-ord-1").exists()


def test_the_simulator_fills_an_order_end_to_end(check, settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_INVENTORY_POOL_SIZE": 20, "SIMULATOR_FAIL_SUFFIXES": []}
    pool(quantity=4, budget=100_000)
    check()
    order = ReplenishOrder.objects.get()
    assert (order.status, order.numbers_added) == ("completed", 4)
    assert PhoneNumber.objects.filter(e164__in=order.numbers, provider="telnyx").exclude(stock_order_id="").count() == 4
    assert order.cost_cents == sum(r.monthly_cents + r.setup_cents
                                   for r in PhoneNumber.objects.filter(e164__in=order.numbers))


def test_sweep_fills_lost_orders_and_fails_stuck_ones(monkeypatch, clock):
    import io

    from django.core.management import call_command

    threshold = pool(quantity=1)
    carrier = carrier_with(monkeypatch, offers_for(count=3))

    def order(status, minutes_ago):
        return ReplenishOrder.objects.create(
            threshold=threshold, provider="telnyx", country="US", line_type="local", quantity_requested=1,
            budget_cents=500, status=status, created_at=clock.now - timedelta(minutes=minutes_ago))

    lost, fresh = order("pending", 30), order("pending", 1)
    stuck, busy = order("ordering", 120), order("ordering", 5)
    out = io.StringIO()
    call_command("sweep_replenish_orders", stdout=out)
    assert "1 pending order(s) retried, 1 stuck order(s) failed" in out.getvalue()
    states = {o.pk: o.status for o in ReplenishOrder.objects.all()}
    assert states == {lost.pk: "completed", fresh.pk: "pending", stuck.pk: "failed", busy.pk: "ordering"}
    assert "Interrupted" in ReplenishOrder.objects.get(pk=stuck.pk).error
    assert len(carrier.ordered) == 1
    assert settings.CELERY_BEAT_SCHEDULE["sweep-replenish-orders"]["task"] == "inventory.tasks.sweep_replenish_orders"


def test_task_route_and_admin(admin_client):
    assert settings.CELERY_TASK_ROUTES["inventory.tasks.replenish_low_stock"] == {"queue": "carrier"}
    threshold = pool()
    ReplenishOrder.objects.create(threshold=threshold, provider="telnyx", country="US", line_type="local",
                                  quantity_requested=3, budget_cents=500, status="partial", cost_cents=150,
                                  numbers_added=1, numbers=["+12015550100"])
    for name in ("replenishorder", "replenishpolicy", "inventorysyncrun", "inventorysyncpool"):
        response = admin_client.get(f"/admin/inventory/{name}/")
        assert response.status_code == 200, name
    order = ReplenishOrder.objects.get()
    page = admin_client.get(f"/admin/inventory/replenishorder/{order.pk}/change/")
    assert page.status_code == 200 and b"+12015550100" in page.content
    assert admin_client.get("/admin/inventory/replenishorder/add/").status_code == 403


def test_staff_roles_see_orders_and_runs_but_only_superusers_set_policies(make_staff):
    threshold = pool()
    policy = ReplenishPolicy.objects.get(threshold=threshold)
    support, finance = make_staff("support"), make_staff("finance")
    for client in (support, finance):
        assert client.get("/admin/inventory/replenishorder/").status_code == 200
        assert client.get(f"/admin/inventory/replenishpolicy/{policy.pk}/change/").status_code == 200
        response = client.post(f"/admin/inventory/replenishpolicy/{policy.pk}/change/", {
            "threshold": threshold.pk, "enabled": "on", "provider": "telnyx", "quantity": 50,
            "monthly_budget_cents": 10**8})
        assert response.status_code == 403
    assert support.get("/admin/inventory/inventorysyncrun/").status_code == 200
    assert finance.get("/admin/inventory/inventorysyncrun/").status_code == 403
    policy.refresh_from_db()
    assert (policy.quantity, policy.monthly_budget_cents) == (3, 10_000)


def test_a_superuser_sets_a_policy_and_it_is_audited(make_staff):
    threshold = LowStockThreshold.objects.create(country="US", line_type="local", min_available=2)
    admin = make_staff(superuser=True)
    response = admin.post("/admin/inventory/replenishpolicy/add/", {
        "threshold": threshold.pk, "enabled": "on", "provider": "didww", "quantity": 0,
        "monthly_budget_cents": 5000})
    assert response.status_code == 200 and not ReplenishPolicy.objects.exists()  # quantity must be ≥ 1
    response = admin.post("/admin/inventory/replenishpolicy/add/", {
        "threshold": threshold.pk, "enabled": "on", "provider": "didww", "quantity": 5,
        "monthly_budget_cents": 5000})
    assert response.status_code == 302
    policy = ReplenishPolicy.objects.get()
    assert (policy.provider, policy.quantity, policy.monthly_budget_cents, policy.enabled) == ("didww", 5, 5000, True)
    assert AuditLog.objects.filter(action="admin.inventory.replenishpolicy.create").exists()
