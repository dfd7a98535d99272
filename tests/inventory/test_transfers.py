"""POST /api/v1/numbers/transfers: a parent moves numbers within its family, all or none, no money moves."""
from __future__ import annotations

from datetime import timedelta

import pytest

from billing.models import LedgerEntry
from billing.services import ledger_reconcile, wallet_credit
from inventory.models import NumberRoute, OwnedNumber
from inventory.services import number_purchase, number_renewals_charge
from inventory.services.numbers import billing_cycle_end
from orbit_numbers.models import AuditLog
from orbit_numbers.organizations import organization_parent_set
from orbit_numbers.webhooks.models import WebhookEvent

URL = "/api/v1/numbers/transfers"


@pytest.fixture
def family(make_org):
    parent = make_org("Parent", credit_cents=20_00)
    children = [organization_parent_set(organization=make_org(f"Child {i}", credit_cents=20_00), parent=parent)
                for i in (1, 2)]
    return parent, children


def buy(organization, make_number) -> OwnedNumber:
    return number_purchase(organization=organization, phone_number=make_number("US").e164)


def body(numbers, source, target):
    return {"number_ids": [n.pk for n in numbers], "from_organization_id": source.pk, "to_organization_id": target.pk}


def test_parent_moves_numbers_between_children_without_money(family, make_client, make_number):
    parent, (child, sibling) = family
    numbers = [buy(child, make_number), buy(child, make_number)]
    OwnedNumber.objects.filter(pk=numbers[0].pk).update(label="Child label", webhook_url="https://c.example/hook")
    NumberRoute.objects.filter(number=numbers[0]).update(type="voicemail", config={"greeting": "hi"})
    entries = LedgerEntry.objects.count()

    response = make_client(parent).post(URL, body(numbers, child, sibling), format="json")

    assert response.status_code == 200, response.content
    moved = response.json()["data"]["numbers"]
    assert [m["previous_number_id"] for m in moved] == sorted(n.pk for n in numbers)
    for number in numbers:
        number.refresh_from_db()
        assert number.status == "released" and number.billing_ends_at == number.released_at
        new = OwnedNumber.objects.live().get(phone_number=number.phone_number)
        assert new.organization == sibling and new.e164 == number.e164
        assert (new.label, new.webhook_url) == ("", None)
        route = NumberRoute.objects.get(number=new)
        assert (route.type, route.config) == (None, {})  # routing reset
        # The paid cycle runs on: same anchor, same paid-until.
        assert new.created_at == number.created_at and new.paid_until == number.paid_until
        for organization, number_id in ((child, number.pk), (sibling, new.pk)):
            event = WebhookEvent.objects.get(organization=organization, event_type="number.reassigned",
                                             payload__number_id=number_id)
            assert event.payload == {"number_id": number_id, "phone_number": number.e164,
                                     "from_organization_id": child.pk, "to_organization_id": sibling.pk}
    assert LedgerEntry.objects.count() == entries  # no money moves
    assert AuditLog.objects.filter(action="number.reassign_out", organization=child).count() == 2
    assert AuditLog.objects.filter(action="number.reassign_in", organization=sibling,
                                   acting_key__organization=parent).count() == 2
    assert ledger_reconcile() == []


def test_parent_moves_its_own_numbers_down_and_back(family, make_client, make_number):
    parent, (child, _) = family
    number = buy(parent, make_number)
    client = make_client(parent)
    down = client.post(URL, body([number], parent, child), format="json")
    assert down.status_code == 200
    new_id = down.json()["data"]["numbers"][0]["number_id"]
    back = client.post(URL, {"number_ids": [new_id], "from_organization_id": child.pk,
                             "to_organization_id": parent.pk}, format="json")
    assert back.status_code == 200
    assert OwnedNumber.objects.live().get(e164=number.e164).organization == parent


def test_receiving_organisation_pays_from_the_next_renewal(family, make_client, make_number, clock):
    parent, (child, sibling) = family
    number = buy(child, make_number)
    clock.advance(days=10)
    make_client(parent).post(URL, body([number], child, sibling), format="json")
    new = OwnedNumber.objects.live().get(e164=number.e164)
    first_anniversary = billing_cycle_end(started_at=number.created_at, now=number.created_at)

    assert number_renewals_charge(now=first_anniversary - timedelta(minutes=1)).cycles_charged == 0
    result = number_renewals_charge(now=first_anniversary + timedelta(minutes=1))
    assert result.cycles_charged == 1
    fee = LedgerEntry.objects.get(kind="monthly_fee", reference=f"number:{new.pk}")
    assert fee.wallet.organization == sibling and fee.amount_cents == -number.monthly_cents
    assert not LedgerEntry.objects.filter(kind="monthly_fee", description__startswith="Monthly fee",
                                          wallet__organization=child).exists()
    assert ledger_reconcile() == []


def test_a_non_parent_cannot_move_and_sees_nothing(family, make_client, make_number, make_org):
    parent, (child, sibling) = family
    number = buy(child, make_number)
    stranger = make_org("Stranger")
    for caller in (child, sibling, stranger):
        response = make_client(caller).post(URL, body([number], child, sibling), format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    # Nor may a parent reach into another family.
    outsider = make_org("Outsider child")
    organization_parent_set(organization=outsider, parent=stranger)
    assert make_client(parent).post(URL, body([number], child, outsider), format="json").status_code == 404
    assert OwnedNumber.objects.live().get(pk=number.pk).organization == child


def test_numbers_not_of_the_source_are_not_found_and_nothing_moves(family, make_client, make_number):
    parent, (child, sibling) = family
    mine, theirs = buy(child, make_number), buy(sibling, make_number)
    response = make_client(parent).post(URL, {**body([mine, theirs], child, sibling),
                                              "number_ids": [mine.pk, theirs.pk, "num_" + "a" * 20]}, format="json")
    assert response.status_code == 404
    assert sorted(response.json()["error"]["details"]["number_ids"]) == sorted([theirs.pk, "num_" + "a" * 20])
    assert OwnedNumber.objects.live().get(pk=mine.pk).organization == child


def test_all_or_none_names_every_number_that_cannot_move(family, make_client, make_number):
    parent, (child, sibling) = family
    fine, porting, unpaid = (buy(child, make_number) for _ in range(3))
    OwnedNumber.objects.filter(pk=porting.pk).update(status="porting_out")
    OwnedNumber.objects.filter(pk=unpaid.pk).update(renewal_failed_at=unpaid.created_at)
    response = make_client(parent).post(URL, body([fine, porting, unpaid], child, sibling), format="json")
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert set(details) == {porting.pk, unpaid.pk}
    assert "porting out" in details[porting.pk] and "unpaid" in details[unpaid.pk]
    assert OwnedNumber.objects.live().filter(organization=child).count() == 3


@pytest.mark.parametrize("payload, field", [
    ({"number_ids": []}, "number_ids"),
    ({"number_ids": ["not-an-id"]}, "number_ids"),
    ({"number_ids": ["num_" + "a" * 20] * 1001}, "number_ids"),
    ({"from_organization_id": None}, "from_organization_id"),
    ({"extra": 1}, "extra"),
])
def test_bad_bodies_are_422(family, make_client, make_number, payload, field):
    parent, (child, sibling) = family
    number = buy(child, make_number)
    response = make_client(parent).post(URL, {**body([number], child, sibling), **payload}, format="json")
    assert response.status_code == 422
    assert any(key.split(".")[0] == field for key in response.json()["error"]["details"])


def test_same_organisation_both_sides_is_422(family, make_client, make_number):
    parent, (child, _) = family
    number = buy(child, make_number)
    response = make_client(parent).post(URL, body([number], child, child), format="json")
    assert response.status_code == 422 and "to_organization_id" in response.json()["error"]["details"]


def test_scope_and_idempotency(family, make_client, make_number):
    parent, (child, sibling) = family
    number = buy(child, make_number)
    assert make_client(parent, scopes=["numbers:read"]).post(URL, body([number], child, sibling),
                                                             format="json").status_code == 403
    client = make_client(parent)
    first = client.post(URL, body([number], child, sibling), format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    again = client.post(URL, body([number], child, sibling), format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["data"] == first.json()["data"] and again["Idempotent-Replayed"] == "true"
    assert OwnedNumber.objects.filter(e164=number.e164).count() == 2  # moved once
    other = client.post(URL, body([number], sibling, child), format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"


def test_staff_reassign_also_announces_the_move(make_org, make_number):
    from inventory.services.staff import number_reassign
    source, target = make_org("Src", credit_cents=10_00), make_org("Dst")
    number = buy(source, make_number)
    [new] = number_reassign(number_ids=[number.pk], to_organization=target, reason="ticket")
    assert set(WebhookEvent.objects.filter(event_type="number.reassigned")
               .values_list("organization_id", "payload__number_id")) == {(source.pk, number.pk), (target.pk, new.pk)}
    wallet_credit(organization=target, amount_cents=500)
    assert ledger_reconcile() == []
