"""check_ledger and create_api_key."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection
from rest_framework.test import APIClient

from billing.models import LedgerEntry, Wallet
from orbit_numbers.models import ApiKey, Organization


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def drift_allowed(*triggers: str) -> None:
    """Disable the named PostgreSQL guards for the rest of this (rolled-back) test transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses while events are pending
        for table, trigger in (t.split(":") for t in triggers):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")


# --- check_ledger ---------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [(), ("--check",)])
def test_check_ledger_passes_on_a_consistent_ledger(org, make_org, flags):
    make_org("Globex", credit_cents=5_00)
    assert "Ledger OK: 2 wallet(s) reconcile." in run("check_ledger", *flags)


@pytest.mark.parametrize("flags", [(), ("--check",)])
def test_check_ledger_fails_on_a_wallet_that_drifted(org, flags):
    drift_allowed("billing_wallet:billing_wallet_matches_ledger")
    Wallet.objects.filter(organization=org).update(balance_cents=250_00)
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("check_ledger", *flags, stdout=out)
    assert excinfo.value.returncode == 1
    assert "balance 25000 != sum of entries 10000" in out.getvalue()
    assert "(Acme)" in out.getvalue()


def test_check_ledger_fails_on_a_rewritten_entry(org):
    drift_allowed("billing_ledgerentry:billing_ledger_append_only")
    LedgerEntry.objects.filter(wallet__organization=org).update(amount_cents=90_00)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert "entry #1: 0 + 9000 != 10000" in out.getvalue()


def test_check_ledger_exit_status_is_non_zero(org):
    """Through the real entry point (as cron runs it): drift → exit status 1."""
    drift_allowed("billing_wallet:billing_wallet_matches_ledger")
    Wallet.objects.filter(organization=org).update(balance_cents=1)
    with pytest.raises(SystemExit) as excinfo:
        ManagementUtility(["manage.py", "check_ledger"]).execute()
    assert excinfo.value.code == 1


# --- create_api_key -------------------------------------------------------------------------------

def test_create_api_key_prints_a_working_key_last(db):
    out = run("create_api_key", "--org", "Initech", "--scopes", "numbers:read,billing:read", "--credit", "100.10",
              "--name", "ci")
    raw = out.strip().splitlines()[-1]
    assert raw.startswith("orb_live_") and " " not in raw
    response = APIClient().get("/api/v1/billing/balance", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert response.json()["data"]["balance_cents"] == 100_10
    api_key = ApiKey.objects.get(organization__name="Initech")
    assert (api_key.name, api_key.scopes) == ("ci", ["numbers:read", "billing:read"])
    assert raw not in api_key.hashed_secret
    entry = LedgerEntry.objects.get(wallet__organization__name="Initech")
    assert (entry.kind, entry.amount_cents) == ("top_up", 100_10)


def test_create_api_key_reuses_an_existing_organisation_and_tops_up_again(org):
    run("create_api_key", "--org", "Acme", "--scopes", "billing:read", "--credit", "0.05")
    assert Organization.objects.filter(name="Acme").count() == 1
    assert Wallet.objects.get(organization=org).balance_cents == 100_05


def test_create_api_key_without_credit_creates_an_empty_wallet(db):
    raw = run("create_api_key", "--org", "Hooli", "--scopes", "numbers:read").strip().splitlines()[-1]
    assert Wallet.objects.get(organization__name="Hooli").balance_cents == 0
    assert APIClient().get("/api/v1/billing/balance", HTTP_X_API_KEY=raw).status_code == 403  # scope missing


@pytest.mark.parametrize("credit, cents", [("100", 100_00), ("0.1", 10), ("1e2", 100_00), (" 7.25 ", 7_25),
                                           ("0", 0)])
def test_create_api_key_parses_dollars_exactly(db, credit, cents):
    run("create_api_key", "--org", "Exact", "--scopes", "billing:read", "--credit", credit)
    assert Wallet.objects.get(organization__name="Exact").balance_cents == cents


@pytest.mark.parametrize("args, message", [
    (["--credit", "-1"], "must not be negative"),
    (["--credit", "1.001"], "more than two decimal places"),
    (["--credit", "abc"], "amount of dollars"),
    (["--credit", "NaN"], "amount of dollars"),
    (["--credit", "Infinity"], "amount of dollars"),
    (["--credit", "1000000.01"], "at most"),
    (["--scopes", "numbers:read,admin"], "unknown scope"),
    (["--scopes", " , "], "at least one scope"),
    (["--org", "  "], "--org must not be empty"),
    (["--name", ""], "--name"),
])
def test_create_api_key_rejects_bad_input_and_creates_nothing(db, args, message):
    options = {"--org": "Rejected", "--scopes": "billing:read", **dict(zip(args[::2], args[1::2]))}
    argv = [item for pair in options.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *argv, stdout=StringIO())
    assert not Organization.objects.exists()
    assert not ApiKey.objects.exists()
