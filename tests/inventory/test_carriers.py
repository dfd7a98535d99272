"""The carrier-failure log keeps failures even though the purchase transaction rolled back."""
from __future__ import annotations

import pytest

from inventory.models import CarrierFailure, CarrierRelease, InventoryStatus, OwnedNumber
from inventory.services import number_purchase
from orbit_numbers.errors import Conflict, ProviderError


@pytest.mark.django_db(transaction=True)
def test_failed_carrier_order_is_recorded_after_the_rollback(org, make_number):
    row = make_number("US", e164="+12015559999")  # the simulator refuses numbers ending 9999

    with pytest.raises(Conflict):
        number_purchase(organization=org, phone_number=row.e164, country_code="US")

    assert not OwnedNumber.objects.exists()
    failure = CarrierFailure.objects.get()
    assert (failure.provider, failure.operation, failure.e164) == ("telnyx", "order", row.e164)
    assert failure.organization == org and "could not be ordered" in failure.message


@pytest.mark.django_db(transaction=True)
def test_failed_compensating_release_is_recorded(org, make_number, monkeypatch):
    from inventory.providers.simulator import SimulatorAdapter

    row = make_number("US")

    def refuse_release(self, *, e164, provider_order_id):
        raise ProviderError("release refused", provider_code="R1")

    def fail_after_order(**kwargs):
        raise RuntimeError("database hiccup after the carrier accepted the order")

    monkeypatch.setattr(SimulatorAdapter, "release_number", refuse_release)
    monkeypatch.setattr("inventory.services.checkout.wallet_charge", fail_after_order)

    with pytest.raises(RuntimeError):
        number_purchase(organization=org, phone_number=row.e164, country_code="US")

    failure = CarrierFailure.objects.get()
    assert (failure.operation, failure.code, failure.e164) == ("release", "R1", row.e164)
    # Not lost: the release stays pending for the sweep, and the number stays off sale meanwhile.
    release = CarrierRelease.objects.get()
    assert (release.status, release.reason, release.e164, release.attempts) == ("pending", "compensation", row.e164, 1)
    row.refresh_from_db()
    assert row.status == InventoryStatus.RESERVED


def test_bulk_carrier_refusals_reach_the_failure_log(make_org, make_client, make_number, settings):
    from inventory.models import CarrierFailure

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_FAIL_SUFFIXES": ["9999"]}
    organization = make_org("Bulk Co", credit_cents=100_00)
    client = make_client(organization)
    good = make_number()
    bad = make_number(e164="+14155559999")
    response = client.post("/api/v1/numbers/buy-bulk", {"items": [{"phone_number": good.e164},
                                                                  {"phone_number": bad.e164}]}, format="json")
    assert response.status_code == 200
    assert [row["phone_number"] for row in response.json()["data"]["failed"]] == [bad.e164]
    failure = CarrierFailure.objects.get()
    assert (failure.e164, failure.operation, failure.organization_id) == (bad.e164, "order", organization.pk)
