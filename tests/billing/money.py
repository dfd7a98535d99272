"""Helpers of the billing money tests: every test that moves money ends by reconciling the books."""
from __future__ import annotations

import io

from django.core.management import call_command


def assert_books_balance() -> None:
    """check_ledger passes (wallets = ledgers, chains unbroken, each succeeded top-up credited once)."""
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()
