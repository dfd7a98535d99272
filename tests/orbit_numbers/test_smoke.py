import pytest

from billing.services import ledger_reconcile


@pytest.mark.django_db(transaction=True)
def test_purchase_smoke(org, make_number):
    from inventory.services import number_purchase

    row = make_number()
    number = number_purchase(organization=org, phone_number=row.e164, country_code="US")
    assert number.status == "active"
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00 - 250
    assert ledger_reconcile() == []


def test_unauthenticated_is_401_envelope(db):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response["X-Request-Id"]
