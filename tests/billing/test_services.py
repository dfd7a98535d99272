"""Wallet services and the database rules behind them: all-or-nothing charges, never below zero,
an append-only ledger whose chain the database itself checks."""
from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from billing.models import LedgerEntry, Wallet, WalletAdjustmentRequest
from billing.services import (Charge, ledger_reconcile, wallet_adjust, wallet_adjustment_approve,
                              wallet_adjustment_reject, wallet_adjustment_submit, wallet_charge, wallet_credit,
                              wallet_get_or_create, wallet_preflight)
from orbit_numbers.errors import Conflict, Forbidden, InsufficientCredit, ValidationFailed
from orbit_numbers.models import AuditLog
from orbit_numbers.services import organization_get_or_create


def check_deferred_now() -> None:
    """Run the deferred wallet/ledger check now instead of at a commit the test never makes."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def disable_wallet_check() -> None:
    """Let a test write a drifting wallet (rolled back with the test's transaction)."""
    check_deferred_now()  # ALTER TABLE refuses while trigger events are pending
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE billing_wallet DISABLE TRIGGER billing_wallet_matches_ledger")


def entries(org) -> list[tuple[int, str, int, int]]:
    return list(LedgerEntry.objects.filter(wallet__organization=org).order_by("sequence")
                .values_list("sequence", "kind", "amount_cents", "balance_after_cents"))


def test_credit_appends_an_entry_and_audits_it(org):
    entry = wallet_credit(organization=org, amount_cents=2_50, description="card top-up", reference="pay_1")
    assert (entry.sequence, entry.amount_cents, entry.balance_after_cents) == (2, 2_50, 102_50)
    assert Wallet.objects.get(organization=org).balance_cents == 102_50
    audit = AuditLog.objects.filter(organization=org, action="wallet.top_up").latest("id")
    assert audit.after == {"amount_cents": 2_50, "balance_cents": 102_50, "reference": "pay_1"}
    check_deferred_now()


@pytest.mark.parametrize("amount", [0, -1])
def test_credit_must_be_positive(org, amount):
    with pytest.raises(ValidationFailed):
        wallet_credit(organization=org, amount_cents=amount)


def test_charge_posts_every_line(org):
    posted = wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 100, "setup"),
                                                      Charge(LedgerEntry.Kind.MONTHLY_FEE, 150, "month")])
    assert [e.balance_after_cents for e in posted] == [99_00, 97_50]
    assert entries(org)[-2:] == [(2, "setup_fee", -100, 99_00), (3, "monthly_fee", -150, 97_50)]
    check_deferred_now()
    assert ledger_reconcile() == []


def test_charge_is_all_or_nothing(org):
    with pytest.raises(InsufficientCredit) as excinfo:
        wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.SETUP_FEE, 60_00),
                                                 Charge(LedgerEntry.Kind.MONTHLY_FEE, 40_01)])
    assert excinfo.value.details == {"required_cents": 100_01, "balance_cents": 100_00}
    assert len(entries(org)) == 1
    assert Wallet.objects.get(organization=org).balance_cents == 100_00


def test_charge_may_spend_the_exact_balance(org):
    wallet_charge(organization=org, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 100_00)])
    assert Wallet.objects.get(organization=org).balance_cents == 0


@pytest.mark.parametrize("charge", [Charge(LedgerEntry.Kind.TOP_UP, 100), Charge(LedgerEntry.Kind.SETUP_FEE, -100)])
def test_charge_lines_are_positive_debits(org, charge):
    with pytest.raises(ValueError):
        wallet_charge(organization=org, charges=[charge])


def test_preflight_refuses_without_writing(org):
    with pytest.raises(InsufficientCredit):
        wallet_preflight(organization=org, amount_cents=100_01)
    assert wallet_preflight(organization=org, amount_cents=100_00).balance_cents == 100_00
    assert len(entries(org)) == 1


def test_adjustment_needs_a_reason_and_never_goes_below_zero(org):
    with pytest.raises(ValidationFailed):
        wallet_adjust(organization=org, amount_cents=-1, reason="  ")
    with pytest.raises(InsufficientCredit):
        wallet_adjust(organization=org, amount_cents=-100_01, reason="chargeback")
    entry = wallet_adjust(organization=org, amount_cents=-100_00, reason="chargeback")
    assert entry.balance_after_cents == 0


def test_wallet_created_and_credited_twice_in_one_transaction_commits(db):
    """The deferred check looks at the wallet as committed, not at an intermediate row version."""
    with transaction.atomic():
        organization, _ = organization_get_or_create(name="Fresh")
        wallet_get_or_create(organization=organization)
        wallet_credit(organization=organization, amount_cents=100)
        wallet_credit(organization=organization, amount_cents=200)
        check_deferred_now()
    assert Wallet.objects.get(organization=organization).balance_cents == 300


# --- what the database refuses even when application code misbehaves -----------------------------

def test_check_constraint_refuses_a_negative_balance(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(organization=org).update(balance_cents=-1)


def test_check_constraint_refuses_an_entry_below_zero(org):
    wallet = Wallet.objects.get(organization=org)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, sequence=2, kind=LedgerEntry.Kind.MONTHLY_FEE,
                                   amount_cents=-100_01, balance_after_cents=-1)


def test_trigger_refuses_an_entry_that_breaks_the_chain(org):
    wallet = Wallet.objects.get(organization=org)
    with pytest.raises(IntegrityError, match="10000 \\+ -100 <> 5"), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, sequence=2, kind=LedgerEntry.Kind.MONTHLY_FEE,
                                   amount_cents=-100, balance_after_cents=5)


def test_trigger_refuses_an_entry_that_skips_a_sequence(org):
    wallet = Wallet.objects.get(organization=org)
    with pytest.raises(IntegrityError, match="does not follow"), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, sequence=3, kind=LedgerEntry.Kind.TOP_UP,
                                   amount_cents=100, balance_after_cents=100_00 + 100)


def test_unique_sequence_refuses_a_second_entry_n(org):
    wallet = Wallet.objects.get(organization=org)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, sequence=1, kind=LedgerEntry.Kind.TOP_UP,
                                   amount_cents=100_00, balance_after_cents=100_00)


def test_trigger_refuses_updating_an_entry(org):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(wallet__organization=org).update(description="rewritten")


def test_trigger_refuses_deleting_an_entry(org):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_ledgerentry")


def test_trigger_refuses_a_wallet_that_disagrees_with_its_ledger(org):
    with pytest.raises(IntegrityError, match="does not match its ledger"), transaction.atomic():
        Wallet.objects.filter(organization=org).update(balance_cents=1_000_00)
        check_deferred_now()


def test_reconcile_reports_drift(org):
    assert ledger_reconcile() == []
    disable_wallet_check()
    Wallet.objects.filter(organization=org).update(balance_cents=99_99)
    (drift,) = ledger_reconcile()
    assert drift.organization == "Acme"
    assert drift.problem == "balance 9999 != sum of entries 10000"


@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_never_overspend(make_org):
    """Two processes racing for the same 100.00: the wallet lock lets exactly one 60.00 charge through."""
    organization = make_org("Racer", credit_cents=100_00)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def charge() -> None:
        try:
            barrier.wait(timeout=10)
            wallet_charge(organization=organization, charges=[Charge(LedgerEntry.Kind.MONTHLY_FEE, 60_00)])
            outcomes.append("charged")
        except InsufficientCredit:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=charge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["charged", "refused"]
    assert Wallet.objects.get(organization=organization).balance_cents == 40_00
    assert ledger_reconcile() == []


# Adjustments above the approval threshold: a second staff member approves or rejects.

@pytest.fixture
def threshold(settings):
    settings.ORBIT = {**settings.ORBIT, "WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS": 50_00}
    return 50_00


@pytest.fixture
def finance_staff(db):
    from django.contrib.auth.models import User

    def make(username: str):
        return User.objects.create_user(username=username, is_staff=True)

    return make


def test_the_default_approval_threshold_is_500_dollars():
    from django.conf import settings

    assert settings.ORBIT["WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS"] == 500_00


def test_adjustments_up_to_the_threshold_post_at_once_above_it_wait(org, threshold, finance_staff):
    alice = finance_staff("alice")
    at_threshold = wallet_adjustment_submit(organization=org, amount_cents=50_00, reason="refund", acting_user=alice)
    assert isinstance(at_threshold, LedgerEntry) and at_threshold.amount_cents == 50_00

    above = wallet_adjustment_submit(organization=org, amount_cents=-50_01, reason="chargeback", acting_user=alice)

    assert isinstance(above, WalletAdjustmentRequest) and above.status == "pending"
    assert above.requested_by == alice and above.amount_cents == -50_01
    assert Wallet.objects.get(organization=org).balance_cents == 150_00
    audit = AuditLog.objects.get(action="wallet.adjustment_request")
    assert audit.acting_user == alice and audit.after["amount_cents"] == -50_01


def test_wallet_adjust_refuses_an_amount_above_the_threshold_without_an_approved_request(org, threshold):
    with pytest.raises(Forbidden):
        wallet_adjust(organization=org, amount_cents=60_00, reason="goodwill")
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_a_second_staff_member_approves_and_the_ledger_moves_once(org, threshold, finance_staff):
    alice, bob = finance_staff("alice"), finance_staff("bob")
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=-80_00, reason="chargeback",
                                          acting_user=alice)

    entry = wallet_adjustment_approve(adjustment_request=adjustment, acting_user=bob)

    adjustment.refresh_from_db()
    assert adjustment.status == "approved" and adjustment.decided_by == bob and adjustment.ledger_entry == entry
    assert entry.amount_cents == -80_00 and entry.description == "chargeback"
    assert Wallet.objects.get(organization=org).balance_cents == 20_00
    approved = AuditLog.objects.get(action="wallet.adjustment_approve")
    assert approved.acting_user == bob and approved.after["requested_by"] == alice.pk
    assert AuditLog.objects.get(action="wallet.adjustment").acting_user == bob
    with pytest.raises(Conflict):
        wallet_adjustment_approve(adjustment_request=adjustment, acting_user=bob)
    with pytest.raises(Conflict):
        wallet_adjustment_reject(adjustment_request=adjustment, reason="late", acting_user=bob)
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1


def test_the_requester_can_neither_approve_nor_reject(org, threshold, finance_staff):
    alice = finance_staff("alice")
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=90_00, reason="goodwill", acting_user=alice)
    with pytest.raises(Forbidden):
        wallet_adjustment_approve(adjustment_request=adjustment, acting_user=alice)
    with pytest.raises(Forbidden):
        wallet_adjustment_reject(adjustment_request=adjustment, reason="never mind", acting_user=alice)
    adjustment.refresh_from_db()
    assert adjustment.status == "pending"
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_the_database_refuses_a_self_approval(org, threshold, finance_staff):
    alice = finance_staff("alice")
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=90_00, reason="goodwill", acting_user=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletAdjustmentRequest.objects.filter(pk=adjustment.pk).update(
            status="rejected", decided_by=alice, decided_at=adjustment.requested_at)


def test_rejecting_needs_a_reason_and_leaves_the_wallet_alone(org, threshold, finance_staff):
    alice, bob = finance_staff("alice"), finance_staff("bob")
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=90_00, reason="goodwill", acting_user=alice)
    with pytest.raises(ValidationFailed):
        wallet_adjustment_reject(adjustment_request=adjustment, reason="  ", acting_user=bob)

    rejected = wallet_adjustment_reject(adjustment_request=adjustment, reason="no ticket", acting_user=bob)

    assert rejected.status == "rejected" and rejected.decision_reason == "no ticket" and rejected.decided_by == bob
    assert Wallet.objects.get(organization=org).balance_cents == 100_00
    audit = AuditLog.objects.get(action="wallet.adjustment_reject")
    assert audit.acting_user == bob and audit.after["reason"] == "no ticket"
    with pytest.raises(Conflict):
        wallet_adjustment_approve(adjustment_request=adjustment, acting_user=bob)


def test_an_approval_that_would_overdraw_the_wallet_fails_and_stays_pending(org, threshold, finance_staff):
    alice, bob = finance_staff("alice"), finance_staff("bob")
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=-90_00, reason="chargeback",
                                          acting_user=alice)
    wallet_charge(organization=org, charges=[Charge(kind="setup_fee", amount_cents=20_00)])
    with pytest.raises(InsufficientCredit):
        wallet_adjustment_approve(adjustment_request=adjustment, acting_user=bob)
    adjustment.refresh_from_db()
    assert adjustment.status == "pending" and adjustment.ledger_entry is None
    assert not AuditLog.objects.filter(action="wallet.adjustment_approve").exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_post_one_adjustment(make_org, settings):
    from django.contrib.auth.models import User

    settings.ORBIT = {**settings.ORBIT, "WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS": 50_00}
    org = make_org("Racy", credit_cents=100_00)
    alice = User.objects.create_user(username="alice", is_staff=True)
    approvers = [User.objects.create_user(username=f"approver{index}", is_staff=True) for index in range(4)]
    adjustment = wallet_adjustment_submit(organization=org, amount_cents=75_00, reason="goodwill", acting_user=alice)
    barrier = threading.Barrier(len(approvers))
    outcomes = []

    def approve(user):
        try:
            barrier.wait(timeout=30)
            outcomes.append(wallet_adjustment_approve(adjustment_request=adjustment, acting_user=user))
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(isinstance(outcome, LedgerEntry) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, Conflict) for outcome in outcomes) == len(approvers) - 1
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1
    assert Wallet.objects.get(organization=org).balance_cents == 175_00
    assert ledger_reconcile() == []
