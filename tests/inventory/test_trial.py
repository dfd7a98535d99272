"""Trial numbers: the pool, allowances, free loans, expiry reclaim, conversion (same number, charged once)."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import LedgerEntry, Wallet
from billing.services import ledger_reconcile
from inventory.models import (CarrierRelease, InventoryStatus, NumberRoute, OwnedNumber, PhoneNumber, TrialAllowance,
                              TrialLoan, TrialPoolNumber)
from inventory.services import (number_purchase, number_renewals_charge, trial_allowance_set,
                                trial_loans_reclaim_expired, trial_number_borrow, trial_pool_add, trial_pool_remove)
from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.webhooks.models import WebhookEvent
from tests import staff

# The staff fixtures, for this module's tests.
make_staff = staff.make_staff
action_names = staff.action_names

BORROW = "/api/v1/numbers/trial"


def convert_url(number_id: str) -> str:
    return f"/api/v1/numbers/{number_id}/convert"


@pytest.fixture
def pool(make_number):
    rows = [make_number("US", monthly_cents=200, setup_cents=50) for _ in range(2)]
    trial_pool_add(phone_number_ids=[row.pk for row in rows])
    return rows


@pytest.fixture
def trial_org(make_org):
    organization = make_org("Trialist", credit_cents=10_00)
    trial_allowance_set(organization=organization, max_numbers=1, loan_days=14,
                        active_until=timezone.now() + timedelta(days=60))
    return organization


def borrow(client, **body):
    return client.post(BORROW, body, format="json")


def events(kind: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(event_type=kind).order_by("created_at"))


def test_pool_rows_leave_sale_and_come_back_when_removed(pool, org):
    row = pool[0]
    row.refresh_from_db()
    assert row.status == InventoryStatus.RESERVED
    assert not PhoneNumber.objects.sellable().filter(pk__in=[r.pk for r in pool]).exists()
    with pytest.raises(Conflict):
        number_purchase(organization=org, phone_number=row.e164)
    with pytest.raises(Conflict, match="already"):
        trial_pool_add(phone_number_ids=[row.pk])

    trial_pool_remove(pool_number_ids=[row.trial_pool.pk])
    assert PhoneNumber.objects.sellable().filter(pk=row.pk).exists()
    assert AuditLog.objects.filter(action__in=["trial.pool_add", "trial.pool_remove"]).count() == 3


def test_only_sellable_unregulated_rows_join_the_pool(org, make_number):
    sold = make_number("US")
    number_purchase(organization=org, phone_number=sold.e164)
    regulated = make_number("DE")
    with pytest.raises(Conflict) as refused:
        trial_pool_add(phone_number_ids=[sold.pk, regulated.pk])
    assert refused.value.details == {sold.e164: "is not on sale",
                                     regulated.e164: "is a regulated DE local number (trials need no profile)"}
    assert not TrialPoolNumber.objects.exists()


def test_borrowing_is_free_and_lists_the_loan_with_its_expiry(pool, trial_org, make_client, clock):
    client = make_client(trial_org)
    entries = LedgerEntry.objects.count()

    response = borrow(client)

    assert response.status_code == 201, response.content
    loan = response.json()["data"]
    assert loan["status"] == "active" and loan["phone_number"] == pool[0].e164
    number = OwnedNumber.objects.get(pk=loan["number_id"])
    assert (number.source, number.monthly_cents, number.setup_cents, number.organization) == (
        "trial", 0, 0, trial_org)
    assert LedgerEntry.objects.count() == entries  # free: no ledger line
    assert PhoneNumber.objects.get(pk=pool[0].pk).status == InventoryStatus.ASSIGNED
    assert events("trial.number_lent")[0].payload["expires_at"] == TrialLoan.objects.get().expires_at.isoformat()

    listed = client.get(BORROW).json()["data"]
    assert [item["id"] for item in listed] == [loan["id"]]
    assert listed[0]["expires_at"] == loan["expires_at"]
    assert client.get(f"/api/v1/numbers/{number.pk}").json()["data"]["number"] == pool[0].e164
    assert client.get(BORROW, {"status": "reclaimed"}).json()["data"] == []
    assert client.get(BORROW, {"status": "lost"}).status_code == 422


def test_borrow_refusals(pool, trial_org, make_org, make_client):
    assert borrow(make_client(make_org("No trial"))).status_code == 403
    client = make_client(trial_org)
    assert borrow(client, country="CA").json()["error"]["code"] == "INSUFFICIENT_INVENTORY"
    assert borrow(client, number_type="mobile").status_code == 409
    assert borrow(client).status_code == 201
    refused = borrow(client)  # the allowance is one number at a time
    assert refused.status_code == 409 and refused.json()["error"]["details"] == {"max_numbers": 1, "open_loans": 1}
    assert borrow(client, colour="red").status_code == 422
    assert borrow(client, country="XX").status_code == 422
    assert borrow(make_client(trial_org, scopes=["numbers:read"])).status_code == 403
    TrialAllowance.objects.filter(organization=trial_org).update(max_numbers=5, active_until=timezone.now())
    assert borrow(client).status_code == 403  # the allowance ran out


def test_the_pool_runs_dry(pool, trial_org, make_org, make_client):
    TrialAllowance.objects.filter(organization=trial_org).update(max_numbers=5)
    client = make_client(trial_org)
    assert [borrow(client).status_code for _ in range(3)] == [201, 201, 409]


def test_expiry_warns_once_then_reclaims_the_number(pool, trial_org, make_client, clock):
    client = make_client(trial_org)
    number_id = borrow(client).json()["data"]["number_id"]
    NumberRoute.objects.filter(number_id=number_id).update(type="voicemail", config={"greeting": "trial"})

    clock.advance(days=12)
    assert trial_loans_reclaim_expired() == {"reclaimed": 0, "warned": 0}
    clock.advance(days=1, hours=1)
    assert trial_loans_reclaim_expired() == {"reclaimed": 0, "warned": 1}
    assert trial_loans_reclaim_expired() == {"reclaimed": 0, "warned": 0}  # once
    assert len(events("trial.number_expiring")) == 1

    clock.advance(days=1)
    out = StringIO()
    call_command("reclaim_expired_trials", stdout=out)
    assert "Reclaimed 1" in out.getvalue()

    number = OwnedNumber.objects.get(pk=number_id)
    assert number.status == "released" and number.released_at == clock.now
    route = NumberRoute.objects.get(number=number)
    assert (route.type, route.config) == (None, {})  # routing gone
    row = PhoneNumber.objects.get(pk=number.phone_number_id)
    assert row.status == InventoryStatus.RESERVED and row.aging_until > clock.now  # back in the pool, resting
    assert TrialLoan.objects.get().status == "reclaimed"
    assert events("trial.number_reclaimed")[0].payload == {"number_id": number_id, "phone_number": number.e164}
    assert not CarrierRelease.objects.exists()  # the pool keeps its numbers at the carrier
    assert client.get(f"/api/v1/numbers/{number_id}").status_code == 404
    assert trial_loans_reclaim_expired() == {"reclaimed": 0, "warned": 0}
    # The next loan takes the other pool row; the reclaimed one rests first.
    assert borrow(client).json()["data"]["phone_number"] == pool[1].e164


def test_renewals_never_charge_a_trial_number(pool, trial_org, make_client, clock):
    TrialAllowance.objects.filter(organization=trial_org).update(loan_days=80)
    number_id = borrow(make_client(trial_org)).json()["data"]["number_id"]
    for _ in range(8):
        clock.advance(days=10)
        result = number_renewals_charge()
        assert result.cycles_charged == 0 and result.unpaid == []
    assert not LedgerEntry.objects.filter(reference=f"number:{number_id}").exists()
    assert not AuditLog.objects.filter(action="number.renew", object_id=number_id).exists()
    assert OwnedNumber.objects.get(pk=number_id).renewal_failed_at is None


def test_conversion_keeps_the_number_and_charges_once(pool, trial_org, make_client, clock):
    client = make_client(trial_org)
    loan = borrow(client).json()["data"]
    clock.advance(days=3)
    before = Wallet.objects.get(organization=trial_org).balance_cents

    first = client.post(convert_url(loan["number_id"]), HTTP_IDEMPOTENCY_KEY="convert-1")
    replay = client.post(convert_url(loan["number_id"]), HTTP_IDEMPOTENCY_KEY="convert-1")

    assert first.status_code == 200, first.content
    assert replay.json()["data"] == first.json()["data"] and replay["Idempotent-Replayed"] == "true"
    data = first.json()["data"]
    assert data["id"] == loan["number_id"] and data["number"] == loan["phone_number"]
    charged = LedgerEntry.objects.filter(reference=f"number:{loan['number_id']}")
    assert sorted(charged.values_list("kind", "amount_cents")) == [("monthly_fee", -200), ("setup_fee", -50)]
    assert Wallet.objects.get(organization=trial_org).balance_cents == before - 250
    number = OwnedNumber.objects.get(pk=loan["number_id"])
    assert (number.monthly_cents, number.setup_cents, number.status) == (200, 50, "active")
    assert TrialLoan.objects.get().status == "converted"
    assert not TrialPoolNumber.objects.filter(phone_number_id=number.phone_number_id).exists()
    assert events("trial.number_converted")[0].payload["monthly_cents"] == 200

    again = client.post(convert_url(loan["number_id"]))
    assert again.status_code == 409
    clock.advance(days=20)  # past the loan's original expiry: a converted number is not reclaimed
    assert trial_loans_reclaim_expired()["reclaimed"] == 0
    clock.advance(days=15)  # a month after conversion: renewed like any bought number
    assert number_renewals_charge().cycles_charged == 1
    assert charged.count() == 3 and ledger_reconcile() == []
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


def test_conversion_refusals(pool, trial_org, make_org, make_client, make_number):
    client = make_client(trial_org)
    loan = borrow(client).json()["data"]
    stranger = make_client(make_org("Stranger", credit_cents=10_00))
    assert stranger.post(convert_url(loan["number_id"])).status_code == 404
    assert client.post(convert_url("num_" + "a" * 20)).status_code == 404
    poor = make_org("Poor trial", credit_cents=100)  # setup 50 + first month 200
    trial_allowance_set(organization=poor, max_numbers=1, loan_days=7,
                        active_until=timezone.now() + timedelta(days=7))
    poor_client = make_client(poor)
    poor_loan = borrow(poor_client).json()["data"]
    short = poor_client.post(convert_url(poor_loan["number_id"]))
    assert short.status_code == 402 and short.json()["error"]["code"] == "INSUFFICIENT_CREDIT"
    assert TrialLoan.objects.get(pk=poor_loan["id"]).status == "active"
    assert OwnedNumber.objects.get(pk=poor_loan["number_id"]).monthly_cents == 0
    bought = number_purchase(organization=make_org("Buyer", credit_cents=10_00), phone_number=make_number("US").e164)
    assert make_client(bought.organization).post(convert_url(bought.pk)).status_code == 409


def test_releasing_a_loan_returns_it_to_the_pool(pool, trial_org, make_client):
    client = make_client(trial_org)
    number_id = borrow(client).json()["data"]["number_id"]
    assert client.delete(f"/api/v1/numbers/{number_id}").status_code == 204
    assert TrialLoan.objects.get().status == "returned"
    row = PhoneNumber.objects.get(pk=pool[0].pk)
    assert row.status == InventoryStatus.RESERVED and not CarrierRelease.objects.exists()
    assert borrow(client).status_code == 201  # the allowance counts open loans only


def test_loans_are_each_organisations_own(pool, trial_org, make_org, make_client):
    other = make_org("Other trial")
    trial_allowance_set(organization=other, max_numbers=1, loan_days=7,
                        active_until=timezone.now() + timedelta(days=7))
    borrow(make_client(trial_org))
    assert make_client(other).get(BORROW).json()["data"] == []


def test_allowance_validation(trial_org):
    with pytest.raises(ValidationFailed) as refused:
        trial_allowance_set(organization=trial_org, max_numbers=0, loan_days=365, active_until=None)
    assert set(refused.value.details) == {"max_numbers", "loan_days", "active_until"}
    with pytest.raises(NotFound):
        trial_pool_add(phone_number_ids=[123456])


def test_trial_numbers_cannot_be_transferred_or_reassigned(pool, trial_org, make_org):
    from inventory.services.staff import number_reassign
    loan = trial_number_borrow(organization=trial_org)
    with pytest.raises(Conflict, match="trial loan"):
        number_reassign(number_ids=[loan.number_id], to_organization=make_org("Elsewhere"))


def test_console_sets_allowances_and_pool(make_staff, make_org, make_number):
    client = make_staff("support")
    organization = make_org("Console trial")
    add = client.post("/admin/inventory/trialallowance/add/", {
        "organization": organization.pk, "max_numbers": 2, "loan_days": 7,
        "active_until_0": "2030-01-01", "active_until_1": "00:00:00", "note": "sales lead"})
    assert add.status_code == 302, add.content.decode()[:2000]
    assert TrialAllowance.objects.get(organization=organization).max_numbers == 2
    assert AuditLog.objects.get(action="trial.allowance_set").acting_user == client.user
    bad = client.post("/admin/inventory/trialallowance/add/", {
        "organization": make_org("Bad").pk, "max_numbers": 0, "loan_days": 7,
        "active_until_0": "2030-01-01", "active_until_1": "00:00:00"})
    assert bad.status_code == 200 and "max_numbers" in bad.context["adminform"].form.errors

    row = make_number("US")
    phones = "/admin/inventory/phonenumber/"
    assert "add_to_trial_pool" in action_names(client.get(phones).content.decode())
    client.post(phones, {"action": "add_to_trial_pool", "_selected_action": [row.pk], "index": 0, "apply": "1"})
    assert TrialPoolNumber.objects.filter(phone_number=row).exists()
    assert "add_to_trial_pool" not in action_names(make_staff("finance").get(phones).content.decode())


def test_a_trial_number_cannot_port_out(pool, trial_org):
    from inventory.services import numbers_mark_porting_out
    loan = trial_number_borrow(organization=trial_org)
    with pytest.raises(Conflict, match="trial"):
        numbers_mark_porting_out(number_ids=[loan.number_id])
    assert OwnedNumber.objects.get(pk=loan.number_id).status == "active"
