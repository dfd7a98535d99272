"""Helpers for the bulk tests: inventory rows by the hundred (one INSERT), wallet/ledger sums,
and a carrier that records what it was asked."""
from __future__ import annotations

import itertools
import threading

import phonenumbers
import pytest
from django.db.models import Sum

from billing.models import LedgerEntry
from inventory.models import InventoryStatus, LineType, PhoneNumber
from inventory.providers.simulator import SimulatorAdapter
from tests.conftest import valid_numbers

# The simulator refuses numbers ending in these digits (settings.ORBIT["SIMULATOR_FAIL_SUFFIXES"]).
FAILING_US = "+12015559999"


def row_defaults(e164: str, country: str, line_type: str) -> dict:
    national = str(phonenumbers.parse(e164).national_number)
    toll_free = line_type == LineType.TOLL_FREE
    return dict(provider="telnyx", provider_ref=f"ref-{e164[1:]}", country=country, line_type=line_type,
                region="Test Region", area_code=national[:3], national_number=national, cap_sms=True,
                cap_mms=not toll_free, cap_voice=True, cap_fax=False, sms_two_way=not toll_free,
                monthly_cents=150, setup_cents=100, status=InventoryStatus.AVAILABLE)


@pytest.fixture
def stock(db):
    """stock(count, country="US", line_type="local", e164=None, **fields) → available PhoneNumbers (bulk insert).
    Distinct numbers per test; the US generator never reaches FAILING_US below 9999 rows."""
    generators: dict = {}

    def make(count: int = 1, country: str = "US", line_type: str = LineType.LOCAL, *, e164: str | None = None,
             **fields) -> list[PhoneNumber]:
        if e164 is not None:
            numbers = [e164]
        else:
            generator = generators.setdefault((country, line_type), valid_numbers(country, line_type))
            numbers = list(itertools.islice(generator, count))
        return PhoneNumber.objects.bulk_create(
            [PhoneNumber(e164=number, **{**row_defaults(number, country, line_type), **fields}) for number in numbers])

    return make


def debited_cents(organization) -> int:
    """What the organisation has been charged (sum of its debit entries, positive)."""
    total = LedgerEntry.objects.filter(wallet__organization=organization, amount_cents__lt=0).aggregate(
        total=Sum("amount_cents"))["total"]
    return -(total or 0)


def balance(organization) -> int:
    organization.wallet.refresh_from_db()
    return organization.wallet.balance_cents


@pytest.fixture
def carrier_log(monkeypatch):
    """Record simulator orders and releases: {"ordered": [e164…], "released": [e164…]}."""
    log = {"ordered": [], "released": []}
    lock = threading.Lock()
    original_order, original_release = SimulatorAdapter.order_number, SimulatorAdapter.release_number

    def order_number(self, *, e164, provider_ref):
        result = original_order(self, e164=e164, provider_ref=provider_ref)
        with lock:
            log["ordered"].append(e164)
        return result

    def release_number(self, *, e164, provider_order_id):
        with lock:
            log["released"].append(e164)
        return original_release(self, e164=e164, provider_order_id=provider_order_id)

    monkeypatch.setattr(SimulatorAdapter, "order_number", order_number)
    monkeypatch.setattr(SimulatorAdapter, "release_number", release_number)
    return log
