"""The deferred wallet/ledger check (billing migration 0003) judges the wallet as it is at commit."""
import pytest
from django.db import IntegrityError, transaction

from billing.models import Wallet
from billing.services import wallet_credit
from orbit_numbers.services import organization_get_or_create


@pytest.mark.django_db(transaction=True)
def test_a_wallet_created_and_credited_in_one_transaction_commits():
    with transaction.atomic():
        organization, _ = organization_get_or_create(name="First top-up")
        wallet_credit(organization=organization, amount_cents=500)  # creates the wallet, then credits it
    assert Wallet.objects.get(organization=organization).balance_cents == 500


@pytest.mark.django_db(transaction=True)
def test_a_balance_that_drifts_from_the_ledger_is_refused_at_commit():
    organization, _ = organization_get_or_create(name="Drift")
    wallet_credit(organization=organization, amount_cents=500)
    with pytest.raises(IntegrityError, match="does not match its ledger"):
        with transaction.atomic():
            Wallet.objects.filter(organization=organization).update(balance_cents=900)
    assert Wallet.objects.get(organization=organization).balance_cents == 500
