"""The carrier-release outbox: a release commits first, reaches the carrier afterwards, and a
failure is retried, never lost; the number stays off sale until the carrier confirms."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import CarrierFailure, CarrierRelease, InventoryStatus, OwnedNumber
from inventory.providers.simulator import SimulatorAdapter
from inventory.services import aged_numbers_return, carrier_releases_perform, number_purchase
from orbit_numbers.errors import ProviderError
from .bulk_support import carrier_log, stock  # noqa: F401


@pytest.fixture
def guard_raises(settings):
    settings.ORBIT = {**settings.ORBIT, "CARRIER_TRANSACTION_GUARD": "raise"}


def test_release_reaches_the_carrier_after_the_commit(guard_raises, client, org, make_number, carrier_log,
                                                      django_capture_on_commit_callbacks):
    row = make_number()
    number = number_purchase(organization=org, phone_number=row.e164, country_code="US")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/numbers/{number.pk}").status_code == 204
    assert carrier_log["released"] == [row.e164]
    release = CarrierRelease.objects.get()
    assert (release.status, release.reason, release.provider_order_id) == ("done", "released",
                                                                           number.provider_order_id)


def test_a_failed_release_is_retried_and_blocks_the_resale_until_confirmed(
        guard_raises, org, make_number, monkeypatch, django_capture_on_commit_callbacks):
    from inventory.services import number_release

    row = make_number()
    number = number_purchase(organization=org, phone_number=row.e164, country_code="US")
    original = SimulatorAdapter.release_number

    def refuse(self, *, e164, provider_order_id):
        raise ProviderError("telnyx: release failed with HTTP 503", provider_code="HTTP_503", retryable=True)

    monkeypatch.setattr(SimulatorAdapter, "release_number", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        number_release(organization=org, number_id=number.pk)
    release = CarrierRelease.objects.get()
    assert (release.status, release.attempts, release.last_error) == ("pending", 1,
                                                                      "telnyx: release failed with HTTP 503")
    assert CarrierFailure.objects.get().operation == "release"

    # The aging period ends, but the carrier still has the number: it is not offered again yet.
    later = timezone.now() + timedelta(days=60)
    assert aged_numbers_return(now=later) == 0
    row.refresh_from_db()
    assert row.status == InventoryStatus.ASSIGNED

    # Not due again before its backoff; then the sweep retries and the carrier confirms.
    assert carrier_releases_perform(now=timezone.now()) == {"attempted": 0, "released": 0}
    monkeypatch.setattr(SimulatorAdapter, "release_number", original)
    assert carrier_releases_perform(now=timezone.now() + timedelta(minutes=2)) == {"attempted": 1, "released": 1}
    release.refresh_from_db()
    assert (release.status, release.attempts) == ("done", 2)
    assert aged_numbers_return(now=later) == 1
    row.refresh_from_db()
    assert row.status == InventoryStatus.AVAILABLE


def test_a_release_never_reaches_a_number_with_a_new_owner(org, make_org, make_number, carrier_log):
    """Carriers release by number: if the number was sold again meanwhile, the old release is skipped."""
    row = make_number()
    release = CarrierRelease.objects.create(provider="telnyx", e164=row.e164, provider_order_id="sim-old",
                                            reason=CarrierRelease.Reason.ORPHAN, phone_number=row)
    number_purchase(organization=make_org("New owner", credit_cents=10_000), phone_number=row.e164,
                    country_code="US")
    assert carrier_releases_perform(release_ids=[release.pk]) == {"attempted": 1, "released": 0}
    release.refresh_from_db()
    assert release.status == "skipped" and carrier_log["released"] == []
    assert OwnedNumber.objects.live().filter(e164=row.e164).exists()
