"""seed_demo: idempotent demo data, a staff login and fresh working keys on every run."""
from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from billing.models import LedgerEntry, Wallet
from billing.services import Charge, ledger_reconcile, wallet_charge
from inventory.models import ComplianceProfile, EmergencyAssignment, PhoneNumber
from orbit_numbers.models import SCOPES, ApiKey, Organization

KEY = re.compile(r"orb_live_[0-9a-f]{12}_[A-Za-z0-9_-]+")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The demo's compliance documents go to a per-test directory, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path


def seed(numbers: int | None = 300) -> str:
    out = StringIO()
    call_command("seed_demo", *(["--numbers", str(numbers)] if numbers is not None else []), stdout=out)
    return out.getvalue()


def keys_in(output: str) -> list[str]:
    return list(dict.fromkeys(KEY.findall(output)))


def test_seed_demo_creates_everything_and_prints_how_to_use_it(db):
    output = seed()
    assert PhoneNumber.objects.count() == 300
    balances = dict(Wallet.objects.values_list("organization__name", "balance_cents"))
    assert balances == {"Acme Telecom": 500_00, "Globex Comms": 50_00}
    approved = ComplianceProfile.objects.get(organization__name="Acme Telecom", status="approved")
    assert approved.covers("DE", "local", "purchase") and approved.covers("DE", "mobile", "port_in")
    assert approved.documents.count() == 3
    pending = ComplianceProfile.objects.get(organization__name="Acme Telecom", status="submitted")
    assert pending.country == "FR" and pending.documents.count() == 3
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("orbit-admin")
    assert "username: admin   password: orbit-admin" in output
    assert "http://127.0.0.1:8000/admin/" in output and "http://127.0.0.1:8000/api/docs/" in output
    assert "curl -s http://127.0.0.1:8000/api/v1/billing/balance" in output
    assert "/api/v1/numbers/available?country=US" in output and "/api/v1/numbers/purchase" in output
    acme_key, globex_key = keys_in(output)
    response = APIClient().get("/api/v1/billing/balance", HTTP_X_API_KEY=acme_key)
    assert response.json()["data"]["balance_cents"] == 500_00
    response = APIClient().get("/api/v1/billing/balance", HTTP_AUTHORIZATION=f"Bearer {globex_key}")
    assert response.json()["data"]["balance_cents"] == 50_00
    assert all(key.scopes == list(SCOPES) for key in ApiKey.objects.all())


def test_seed_demo_is_idempotent_but_issues_fresh_keys(db):
    first = keys_in(seed())
    second = keys_in(seed())
    assert len(first) == len(second) == 2 and not set(first) & set(second)
    assert PhoneNumber.objects.count() == 300
    assert Organization.objects.count() == 2
    assert get_user_model().objects.count() == 1
    assert ComplianceProfile.objects.count() == 2
    # One top-up each, plus the E911 demo number's purchase and the top-up after it; not again per run.
    assert LedgerEntry.objects.count() == 4
    assert EmergencyAssignment.objects.get().status == "provisioned"
    assert ApiKey.objects.count() == 4
    for key in second:
        assert APIClient().get("/api/v1/billing/balance", HTTP_X_API_KEY=key).status_code == 200
    assert ledger_reconcile() == []


def test_seed_demo_tops_a_spent_wallet_back_up(db):
    seed()
    acme = Organization.objects.get(name="Acme Telecom")
    wallet_charge(organization=acme, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 120_00, "spent")])
    seed()
    assert Wallet.objects.get(organization=acme).balance_cents == 500_00
    assert ledger_reconcile() == []


def test_seed_demo_keeps_a_changed_staff_password(db):
    seed()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("something-else-entirely")
    admin.save()
    output = seed()
    admin.refresh_from_db()
    assert admin.check_password("something-else-entirely")
    assert "orbit-admin" not in output


def test_seed_demo_default_inventory_covers_the_catalogue(db):
    seed(numbers=None)
    rows = PhoneNumber.objects.all()
    assert rows.count() >= 5000
    assert {"US", "CA", "GB", "DE", "FR", "NL", "AU", "ES", "SE", "BR"} == set(
        rows.values_list("country", flat=True).distinct())
    assert set(rows.values_list("line_type", flat=True).distinct()) == {"local", "mobile", "toll_free"}
    assert set(rows.values_list("provider", flat=True).distinct()) == {"devotel", "telnyx", "didww"}


def test_seed_demo_without_inventory_still_prints_keys(db):
    assert len(keys_in(seed(0))) == 2
    assert PhoneNumber.objects.count() == 0
