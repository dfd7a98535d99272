"""Single purchase through the checkout engine: no lock held across the carrier call, the
stored Idempotency-Key response committed with the effect, today's API behaviour kept."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from billing.models import LedgerEntry
from billing.services import ledger_reconcile, wallet_lock
from inventory.models import BulkReservation, InventoryStatus, OwnedNumber
from inventory.providers.simulator import SimulatorAdapter
from inventory.services import number_purchase
from orbit_numbers.errors import Conflict
from .bulk_support import FAILING_US, carrier_log  # noqa: F401

URL = "/api/v1/numbers/purchase"


@pytest.fixture
def guard_raises(settings):
    settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": "raise"}


def test_purchase_calls_the_carrier_outside_any_transaction(guard_raises, client, org, make_number):
    row = make_number()
    response = client.post(URL, {"phone_number": row.e164}, format="json")
    assert response.status_code == 201, response.json()
    number = OwnedNumber.objects.get(e164=row.e164)
    assert number.organization == org and number.provider_order_id.startswith("sim-telnyx-")
    row.refresh_from_db()
    assert row.status == InventoryStatus.ASSIGNED
    # A one-item hold, finalized with the purchase.
    hold = BulkReservation.objects.get(purpose=BulkReservation.Purpose.PURCHASE)
    assert (hold.status, hold.purchased_count, hold.debited_cents) == ("finalized", 1, 250)
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_a_slow_carrier_does_not_hold_the_wallet_or_the_row(org, make_number, monkeypatch):
    row = make_number()
    ordering, finish = threading.Event(), threading.Event()
    original = SimulatorAdapter.order_number

    def slow_order(self, **kwargs):
        ordering.set()
        assert finish.wait(30)
        return original(self, **kwargs)

    monkeypatch.setattr(SimulatorAdapter, "order_number", slow_order)
    outcome = {}

    def buy():
        try:
            outcome["number"] = number_purchase(organization=org, phone_number=row.e164, country_code="US")
        except BaseException as exc:  # reported below
            outcome["error"] = exc
        finally:
            connection.close()

    buyer = threading.Thread(target=buy)
    buyer.start()
    try:
        assert ordering.wait(30)
        # While the carrier call is in flight, the organisation's wallet is free for its other spends,
        # and another buyer of the same number is answered at once (409), not made to wait.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            wallet_lock(organization=org)
        with pytest.raises(Conflict, match="no longer available"):
            number_purchase(organization=org, phone_number=row.e164, country_code="US")
    finally:
        finish.set()
        buyer.join(30)
    assert "error" not in outcome and outcome["number"].e164 == row.e164


def test_carrier_refusal_is_409_charges_nothing_and_puts_the_number_back(guard_raises, client, org, make_number):
    row = make_number(e164=FAILING_US)
    response = client.post(URL, {"phone_number": row.e164}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["message"].startswith(f"The carrier could not provision {row.e164}: ")
    assert error["details"] == {"provider": "telnyx", "provider_code": "NUMBER_NOT_ORDERABLE"}
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE
    assert not OwnedNumber.objects.exists() and not LedgerEntry.objects.filter(amount_cents__lt=0).exists()


def test_a_number_held_by_someone_else_is_no_longer_available(client, make_org, make_number):
    from inventory.services import reservation_create

    row = make_number()
    reservation_create(organization=make_org("Other", credit_cents=10_000), country="US", quantity=1)
    response = client.post(URL, {"phone_number": row.e164}, format="json")
    # Says nothing about whose hold or what state: only that it cannot be bought.
    assert response.status_code == 409
    assert response.json()["error"]["message"] == f"{row.e164} is no longer available."


def test_short_wallet_is_402_and_holds_nothing(make_org, make_client, make_number, carrier_log):
    poor = make_org("Poor", credit_cents=100)
    row = make_number()
    response = make_client(poor).post(URL, {"phone_number": row.e164}, format="json")
    assert response.status_code == 402
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE
    assert not BulkReservation.objects.exists() and carrier_log["ordered"] == []


def test_idempotent_purchase_keeps_its_response_when_the_request_dies_after_the_effect(
        guard_raises, client, org, make_number, monkeypatch):
    """The stored response commits with the charge: a handler that fails after the effect still
    answers with it, and the retry replays it; the number is bought and charged once."""
    from inventory.api import numbers as numbers_api

    row = make_number()
    real = numbers_api.services.number_purchase

    def purchase_then_die(**kwargs):
        real(**kwargs)
        raise RuntimeError("connection to the client lost")

    monkeypatch.setattr(numbers_api.services, "number_purchase", purchase_then_die)
    headers = {"HTTP_IDEMPOTENCY_KEY": "buy-once"}
    first = client.post(URL, {"phone_number": row.e164}, format="json", **headers)
    assert first.status_code == 201 and first.json()["data"]["number"] == row.e164

    monkeypatch.setattr(numbers_api.services, "number_purchase", real)
    retry = client.post(URL, {"phone_number": row.e164}, format="json", **headers)
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["data"] == first.json()["data"]
    assert OwnedNumber.objects.filter(e164=row.e164).count() == 1
    assert LedgerEntry.objects.filter(amount_cents__lt=0).count() == 2  # setup + first month, once
