"""The carrier-call guard: no carrier call while this thread holds a database transaction."""
from __future__ import annotations

import logging

import pytest
from django.db import transaction

from inventory.providers import CarrierCallInTransaction, get_adapter


@pytest.fixture
def guard(settings):
    def set_mode(mode: str):
        settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": mode}
    return set_mode


def test_a_carrier_call_outside_any_transaction_is_allowed(db, guard):
    guard("raise")  # the test case's own wrapping transaction does not count
    assert get_adapter("telnyx").name == "telnyx"


def test_a_carrier_call_inside_a_transaction_is_refused(db, guard):
    guard("raise")
    with pytest.raises(CarrierCallInTransaction), transaction.atomic():
        get_adapter("telnyx")


def test_log_mode_reports_it_and_goes_on(db, guard, caplog):
    guard("log")
    with caplog.at_level(logging.ERROR, logger="inventory.providers"), transaction.atomic():
        assert get_adapter("telnyx").name == "telnyx"
    assert "Carrier call inside a transaction" in caplog.text


def test_off_mode_says_nothing(db, guard, caplog):
    guard("off")
    with caplog.at_level(logging.ERROR, logger="inventory.providers"), transaction.atomic():
        get_adapter("telnyx")
    assert not caplog.text
