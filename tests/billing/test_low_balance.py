"""The per-organisation low-balance threshold: GET/PUT /billing/settings, one notice per crossing
(webhook event + mail on commit), re-armed once the balance is back up; the console panel."""
from __future__ import annotations

import pytest

from billing.models import LedgerEntry, Wallet
from billing.selectors import wallets_below
from billing.services import Charge, wallet_adjust, wallet_charge, wallet_credit
from orbit_numbers.webhooks.models import WebhookEvent
from tests.billing.money import assert_books_balance

SETTINGS = "/api/v1/billing/settings"


def charge(org, cents):
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, cents, "fee")])


def notices(org):
    return list(WebhookEvent.objects.filter(organization=org, event_type="wallet.low_balance")
                .values_list("payload", flat=True))


def test_settings_default_then_own_threshold(org, client, settings):
    settings.ORBIT = {**settings.ORBIT, "LOW_WALLET_THRESHOLD_CENTS": 10_00}
    data = client.get(SETTINGS).json()["data"]
    assert data == {"low_balance_threshold_cents": None, "effective_low_balance_threshold_cents": 10_00,
                    "effective_low_balance_threshold": 10.0, "default_low_balance_threshold_cents": 10_00,
                    "low_balance_alerted": False}
    response = client.put(SETTINGS, {"low_balance_threshold_cents": 50_00}, format="json")
    assert response.status_code == 200 and response.json()["data"]["effective_low_balance_threshold_cents"] == 50_00
    assert Wallet.objects.get(organization=org).low_balance_threshold_cents == 50_00
    back = client.put(SETTINGS, {"low_balance_threshold_cents": None}, format="json").json()["data"]
    assert back["low_balance_threshold_cents"] is None and back["effective_low_balance_threshold_cents"] == 10_00


@pytest.mark.parametrize("body, field", [
    ({}, "low_balance_threshold_cents"), ({"low_balance_threshold_cents": -1}, "low_balance_threshold_cents"),
    ({"low_balance_threshold_cents": "10"}, "low_balance_threshold_cents"),
    ({"low_balance_threshold_cents": 1.5}, "low_balance_threshold_cents"),
    ({"low_balance_threshold_cents": 10_000_001}, "low_balance_threshold_cents"),
    ({"low_balance_threshold_cents": 100, "colour": "red"}, "colour"),
])
def test_bad_settings_are_422(org, client, body, field):
    response = client.put(SETTINGS, body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["details"]
    assert Wallet.objects.get(organization=org).low_balance_threshold_cents is None


def test_settings_scopes(org, make_client, make_org):
    reader = make_client(org, scopes=["billing:read"])
    assert reader.get(SETTINGS).status_code == 200
    assert reader.put(SETTINGS, {"low_balance_threshold_cents": 1}, format="json").status_code == 403
    assert make_client(org, scopes=["numbers:read"]).get(SETTINGS).status_code == 403
    writer = make_client(make_org("Other"), scopes=["billing:read", "billing:write"])
    writer.put(SETTINGS, {"low_balance_threshold_cents": 77}, format="json")
    assert Wallet.objects.get(organization=org).low_balance_threshold_cents is None  # another tenant's


def test_one_notice_per_crossing_and_re_armed_by_a_credit(org, client, django_capture_on_commit_callbacks,
                                                          mailoutbox, settings):
    org.contact_email = "billing@acme.test"
    org.save(update_fields=["contact_email"])
    client.put(SETTINGS, {"low_balance_threshold_cents": 50_00}, format="json")
    charge(org, 40_00)  # 100 → 60: above
    assert notices(org) == []
    with django_capture_on_commit_callbacks(execute=True):
        charge(org, 20_00)  # 60 → 40: below, notice
    assert notices(org) == [{"balance_cents": 40_00, "threshold_cents": 50_00}]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["billing@acme.test"]
    assert "below" in mailoutbox[0].subject
    charge(org, 5_00)  # still below: no second notice
    assert len(notices(org)) == 1
    wallet_credit(organization=org, amount_cents=30_00)  # 35 → 65: re-armed, no notice
    assert Wallet.objects.get(organization=org).low_balance_alerted is False and len(notices(org)) == 1
    charge(org, 20_00)  # 65 → 45: below again
    assert len(notices(org)) == 2
    assert_books_balance()


def test_a_debit_adjustment_notifies_and_a_threshold_change_never_does(org, django_user_model, client):
    staff = django_user_model.objects.create_user("fin", is_staff=True)
    client.put(SETTINGS, {"low_balance_threshold_cents": 200_00}, format="json")  # balance 100 already below
    assert notices(org) == []
    wallet_adjust(organization=org, amount_cents=-1_00, reason="fix", acting_user=staff)
    assert notices(org) == [{"balance_cents": 99_00, "threshold_cents": 200_00}]
    client.put(SETTINGS, {"low_balance_threshold_cents": 10_00}, format="json")  # now above: re-armed
    assert Wallet.objects.get(organization=org).low_balance_alerted is False
    assert len(notices(org)) == 1


def test_the_global_default_applies_without_an_own_threshold_and_zero_disables(make_org, settings, client, org):
    settings.ORBIT = {**settings.ORBIT, "LOW_WALLET_THRESHOLD_CENTS": 20_00}
    other = make_org("Defaulted", credit_cents=25_00)
    charge(other, 10_00)
    assert notices(other) == [{"balance_cents": 15_00, "threshold_cents": 20_00}]
    client.put(SETTINGS, {"low_balance_threshold_cents": 0}, format="json")
    charge(org, 99_00)
    assert notices(org) == []


def test_a_failed_charge_notifies_nothing(org, client):
    from orbit_numbers.errors import InsufficientCredit

    client.put(SETTINGS, {"low_balance_threshold_cents": 50_00}, format="json")
    with pytest.raises(InsufficientCredit):
        charge(org, 200_00)
    assert notices(org) == [] and Wallet.objects.get(organization=org).low_balance_alerted is False


def test_console_panel_uses_each_organisations_threshold(make_org, settings):
    settings.ORBIT = {**settings.ORBIT, "LOW_WALLET_THRESHOLD_CENTS": 10_00}
    rich_but_cautious = make_org("Cautious", credit_cents=50_00)
    Wallet.objects.filter(organization=rich_but_cautious).update(low_balance_threshold_cents=100_00)
    poor_but_relaxed = make_org("Relaxed", credit_cents=5_00)
    Wallet.objects.filter(organization=poor_but_relaxed).update(low_balance_threshold_cents=1_00)
    defaulted = make_org("Defaulted", credit_cents=9_00)
    low = set(wallets_below(threshold_cents=settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"])
              .values_list("organization__name", flat=True))
    assert low == {"Cautious", "Defaulted"}
    assert defaulted
