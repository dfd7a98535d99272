"""Staff reclaim a released number while it rests: to inventory at once, or to its last owner."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import LedgerEntry, Wallet
from billing.services import ledger_reconcile
from inventory.models import CarrierRelease, InventoryStatus, NumberRoute, OwnedNumber, PhoneNumber
from inventory.services import number_purchase, number_reclaim, number_release
from inventory.services.trial import trial_pool_add
from orbit_numbers.errors import Conflict, InsufficientCredit, NotFound, ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests import staff

# The staff fixtures, for this module's tests.
make_staff = staff.make_staff
action_names = staff.action_names

PHONES = "/admin/inventory/phonenumber/"


def released(org, make_number, **fields) -> OwnedNumber:
    row = make_number("US", **fields)
    number = number_purchase(organization=org, phone_number=row.e164)
    NumberRoute.objects.filter(number=number).update(type="voicemail", config={"greeting": "old"})
    return number_release(organization=org, number_id=number.pk)


def release_of(number: OwnedNumber) -> CarrierRelease:
    return CarrierRelease.objects.get(phone_number_id=number.phone_number_id)


def balance(org) -> int:
    return Wallet.objects.get(organization=org).balance_cents


def test_back_to_its_last_owner_charges_the_first_month_and_cancels_the_carrier_release(org, make_number):
    old = released(org, make_number, monthly_cents=300)
    assert release_of(old).status == CarrierRelease.Status.PENDING
    before = balance(org)

    [new] = number_reclaim(phone_number_ids=[old.phone_number_id], mode="last_owner")

    assert new.organization == org and new.e164 == old.e164 and new.pk != old.pk
    assert new.status == "active" and new.monthly_cents == 300 and new.paid_until is None
    route = NumberRoute.objects.get(number=new)
    assert (route.type, route.config) == (None, {})  # routing reset
    row = PhoneNumber.objects.get(pk=old.phone_number_id)
    assert row.status == InventoryStatus.ASSIGNED and row.aging_until is None
    assert release_of(old).status == CarrierRelease.Status.SKIPPED  # the carrier keeps it for its owner
    fee = LedgerEntry.objects.get(reference=f"number:{new.pk}")
    assert (fee.kind, fee.amount_cents) == ("monthly_fee", -300) and balance(org) == before - 300
    event = WebhookEvent.objects.get(event_type="number.reclaimed")
    assert event.organization == org and event.payload == {"number_id": new.pk, "phone_number": new.e164}
    assert AuditLog.objects.get(action="number.reclaim").after["charged_cents"] == 300
    assert ledger_reconcile() == []
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


def test_back_to_inventory_once_the_carrier_confirmed(org, make_number):
    old = released(org, make_number)
    refused = pytest.raises(Conflict, number_reclaim, phone_number_ids=[old.phone_number_id], mode="inventory")
    assert "still pending" in refused.value.details[old.e164]
    CarrierRelease.objects.filter(pk=release_of(old).pk).update(status=CarrierRelease.Status.DONE)
    entries = LedgerEntry.objects.count()

    [row] = number_reclaim(phone_number_ids=[old.phone_number_id], mode="inventory")

    assert row.status == InventoryStatus.AVAILABLE and row.aging_until is None
    assert PhoneNumber.objects.sellable().filter(pk=row.pk).exists()
    assert LedgerEntry.objects.count() == entries
    assert AuditLog.objects.get(action="number.reclaim_to_inventory").before["last_owner_id"] == org.pk
    # Once the carrier took it back, it cannot go to its last owner without a new order.
    other = released(org, make_number)
    CarrierRelease.objects.filter(pk=release_of(other).pk).update(status=CarrierRelease.Status.DONE)
    refused = pytest.raises(Conflict, number_reclaim, phone_number_ids=[other.phone_number_id], mode="last_owner")
    assert "already took it back" in refused.value.details[other.e164]


def test_every_number_that_cannot_be_reclaimed_is_named_and_nothing_changes(org, make_org, make_number, clock):
    fine = released(org, make_number)
    live = number_purchase(organization=org, phone_number=make_number("US").e164)
    never_sold = make_number("US")
    in_flight = released(org, make_number)
    CarrierRelease.objects.filter(pk=release_of(in_flight).pk).update(
        attempts=1, next_attempt_at=clock.now.replace(year=clock.now.year + 1))
    ids = [fine.phone_number_id, live.phone_number_id, never_sold.pk, in_flight.phone_number_id]

    with pytest.raises(Conflict) as refused:
        number_reclaim(phone_number_ids=ids, mode="last_owner")

    details = refused.value.details
    assert set(details) == {live.e164, never_sold.e164, in_flight.e164}
    assert details[live.e164] == "has a live owner"
    assert details[never_sold.e164] == "is not resting after a release"
    assert "right now" in details[in_flight.e164]
    assert not OwnedNumber.objects.live().filter(phone_number_id=fine.phone_number_id).exists()
    assert release_of(fine).status == CarrierRelease.Status.PENDING


def test_the_aging_window_closes_the_reclaim(org, make_number, clock):
    old = released(org, make_number)
    clock.advance(days=31)
    with pytest.raises(Conflict, match="not resting"):
        number_reclaim(phone_number_ids=[old.phone_number_id], mode="last_owner")


def test_a_deactivated_last_owner_or_a_trial_pool_row_cannot_take_it_back(org, make_org, make_number):
    gone_org = make_org("Gone", credit_cents=10_00)
    old = released(gone_org, make_number)
    gone_org.is_active = False
    gone_org.save()
    with pytest.raises(Conflict, match="deactivated"):
        number_reclaim(phone_number_ids=[old.phone_number_id], mode="last_owner")
    pooled = make_number("US")
    trial_pool_add(phone_number_ids=[pooled.pk])
    with pytest.raises(Conflict, match="trial pool"):
        number_reclaim(phone_number_ids=[pooled.pk], mode="inventory")


def test_a_short_wallet_reclaims_nothing(make_org, make_number):
    poor = make_org("Poor", credit_cents=250)  # setup 100 + first month 150
    old = released(poor, make_number)
    with pytest.raises(InsufficientCredit):
        number_reclaim(phone_number_ids=[old.phone_number_id], mode="last_owner")
    assert not OwnedNumber.objects.live().filter(phone_number_id=old.phone_number_id).exists()
    assert release_of(old).status == CarrierRelease.Status.PENDING
    assert ledger_reconcile() == []


def test_bad_input(org):
    with pytest.raises(ValidationFailed):
        number_reclaim(phone_number_ids=[], mode="inventory")
    with pytest.raises(ValidationFailed):
        number_reclaim(phone_number_ids=[1], mode="somewhere")
    with pytest.raises(NotFound):
        number_reclaim(phone_number_ids=[987654], mode="inventory")


def test_console_action_is_permission_checked_and_calls_the_service(make_staff, org, make_number):
    old = released(org, make_number)
    assert "reclaim_numbers" not in action_names(make_staff("finance").get(PHONES).content.decode())
    client = make_staff("support")
    assert "reclaim_numbers" in action_names(client.get(PHONES).content.decode())
    post = {"action": "reclaim_numbers", "_selected_action": [old.phone_number_id], "index": 0}
    form = client.post(PHONES, post)
    assert form.status_code == 200 and old.e164 in form.content.decode()
    assert not OwnedNumber.objects.live().filter(phone_number_id=old.phone_number_id).exists()

    assert client.post(PHONES, {**post, "apply": "1", "mode": "last_owner"}).status_code == 302
    new = OwnedNumber.objects.live().get(phone_number_id=old.phone_number_id)
    assert new.organization == org
    assert AuditLog.objects.get(action="number.reclaim").acting_user == client.user
