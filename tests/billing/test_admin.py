"""Wallets in the console: read-only balance and ledger; adjustments only by finance, with a reason."""
from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import LedgerEntry, Wallet, WalletAdjustmentRequest
from orbit_numbers.models import AuditLog
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401


def adjust_url(wallet: Wallet) -> str:
    return reverse("admin:billing_wallet_adjust", args=[wallet.pk])


def test_support_sees_balances_but_no_adjust_action(make_staff, org):
    client = make_staff("support")
    changelist = client.get(reverse("admin:billing_wallet_changelist"))
    assert changelist.status_code == 200
    assert "$100.00" in changelist.content.decode()
    assert "adjust_balance" not in action_names(changelist.content.decode())
    change = client.get(reverse("admin:billing_wallet_change", args=[org.wallet.pk]))
    assert change.status_code == 200 and 'id="adjust-wallet"' not in change.content.decode()
    assert client.get(adjust_url(org.wallet)).status_code == 403
    assert client.post(adjust_url(org.wallet), {"amount": "5", "reason": "x"}).status_code == 403
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 0


def test_finance_adjusts_with_a_reason_through_the_ledger(make_staff, org):
    client = make_staff("finance")
    changelist = client.get(reverse("admin:billing_wallet_changelist"))
    assert "adjust_balance" in action_names(changelist.content.decode())
    assert 'id="adjust-wallet"' in client.get(reverse("admin:billing_wallet_change", args=[org.wallet.pk])).content.decode()

    response = client.post(adjust_url(org.wallet), {"amount": "-12.34", "reason": "Refunded twice by mistake"})

    assert response.status_code == 302
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00 - 12_34
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert entry.amount_cents == -12_34 and entry.description == "Refunded twice by mistake"
    audit = AuditLog.objects.get(action="wallet.adjustment")
    assert audit.acting_user == client.user
    assert audit.before == {"balance_cents": 100_00}


def test_adjust_action_leads_to_the_adjust_screen(make_staff, org):
    client = make_staff("finance")
    response = client.post(reverse("admin:billing_wallet_changelist"),
                           {"action": "adjust_balance", "_selected_action": [org.wallet.pk], "index": 0})
    assert response.status_code == 302 and response["Location"] == adjust_url(org.wallet)


def test_adjustment_needs_a_reason_and_a_non_zero_amount(make_staff, org):
    client = make_staff("finance")
    no_reason = client.post(adjust_url(org.wallet), {"amount": "5.00", "reason": "   "})
    zero = client.post(adjust_url(org.wallet), {"amount": "0", "reason": "nothing"})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    assert zero.status_code == 200 and zero.context["form"].errors["amount"]
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_adjustment_cannot_take_the_balance_below_zero(make_staff, org):
    client = make_staff("finance")
    response = client.post(adjust_url(org.wallet), {"amount": "-100.01", "reason": "too much"})
    assert response.status_code == 200
    assert "below zero" in response.content.decode()
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00


def test_balance_is_never_editable_by_hand(superuser_client, org):
    change_url = reverse("admin:billing_wallet_change", args=[org.wallet.pk])
    page = superuser_client.get(change_url).content.decode()
    assert 'name="balance_cents"' not in page and "$100.00" in page
    assert superuser_client.post(change_url, {"balance_cents": 999_999_99}).status_code == 403
    assert superuser_client.get(reverse("admin:billing_wallet_add")).status_code == 403
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00


def test_wallet_page_shows_the_ledger_read_only(superuser_client, org):
    page = superuser_client.get(reverse("admin:billing_wallet_change", args=[org.wallet.pk])).content.decode()
    assert "test top-up" in page
    assert 'name="entries-0-amount_cents"' not in page
    assert reverse("admin:billing_ledgerentry_changelist") + f"?wallet__id__exact={org.wallet.pk}" in page


def test_ledger_admin_has_no_add_change_or_delete(superuser_client, org):
    entry = LedgerEntry.objects.get(wallet=org.wallet)
    changelist = superuser_client.get(reverse("admin:billing_ledgerentry_changelist"),
                                      {"wallet__id__exact": org.wallet.pk})
    assert [row.pk for row in changelist.context["cl"].result_list] == [entry.pk]
    assert "delete_selected" not in action_names(changelist.content.decode())
    assert superuser_client.get(reverse("admin:billing_ledgerentry_add")).status_code == 403
    change_url = reverse("admin:billing_ledgerentry_change", args=[entry.pk])
    assert superuser_client.post(change_url, {"amount_cents": 1}).status_code == 403
    assert superuser_client.get(reverse("admin:billing_ledgerentry_delete", args=[entry.pk])).status_code == 403


def test_low_balance_filter_lists_active_wallets_under_the_threshold(superuser_client, make_org, settings):
    settings.ORBIT = {**settings.ORBIT, "LOW_WALLET_THRESHOLD_CENTS": 20_00}
    rich = make_org("Rich", credit_cents=50_00)
    poor = make_org("Poor", credit_cents=5_00)
    gone = make_org("Gone")
    gone.is_active = False
    gone.save()
    response = superuser_client.get(reverse("admin:billing_wallet_changelist"), {"balance": "low"})
    listed = {wallet.organization.name for wallet in response.context["cl"].result_list}
    assert listed == {"Poor"} and rich.name not in listed and poor.name in listed


def test_wallet_and_ledger_changelists_query_count(superuser_client, make_org, django_assert_max_num_queries):
    for index in range(60):
        make_org(f"Tenant {index}", credit_cents=1_00)
    with django_assert_max_num_queries(10):
        assert superuser_client.get(reverse("admin:billing_wallet_changelist")).status_code == 200
    with django_assert_max_num_queries(10):
        response = superuser_client.get(reverse("admin:billing_ledgerentry_changelist"))
    assert len(response.context["cl"].result_list) == 50


# Adjustments above the threshold: filed by one finance member, decided by another.

@pytest.fixture
def threshold(settings):
    settings.ORBIT = {**settings.ORBIT, "WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS": 50_00}


def decide_url(verb: str, adjustment: WalletAdjustmentRequest) -> str:
    return reverse(f"admin:billing_walletadjustmentrequest_{verb}", args=[adjustment.pk])


def test_an_adjustment_above_the_threshold_becomes_a_pending_request(make_staff, org, threshold):
    client = make_staff("finance")
    screen = client.get(adjust_url(org.wallet)).content.decode()
    assert "$50.00" in screen  # the threshold is on the screen

    response = client.post(adjust_url(org.wallet), {"amount": "60.00", "reason": "Goodwill credit, ticket 7"})

    adjustment = WalletAdjustmentRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_walletadjustmentrequest_change", args=[adjustment.pk])
    assert (adjustment.status, adjustment.amount_cents, adjustment.requested_by) == ("pending", 60_00, client.user)
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00 and not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_another_finance_member_approves_from_the_console(make_staff, org, threshold):
    requester, approver = make_staff("finance"), make_staff("finance")
    requester.post(adjust_url(org.wallet), {"amount": "-60.00", "reason": "Chargeback"})
    adjustment = WalletAdjustmentRequest.objects.get()

    page = approver.get(reverse("admin:billing_walletadjustmentrequest_change", args=[adjustment.pk])).content.decode()
    assert 'id="approve-adjustment"' in page and 'id="reject-adjustment"' in page
    screen = approver.get(decide_url("approve", adjustment))
    assert screen.status_code == 200 and "-$60.00" in screen.content.decode()

    response = approver.post(decide_url("approve", adjustment))

    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.status == "approved" and adjustment.decided_by == approver.user
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 40_00
    assert AuditLog.objects.get(action="wallet.adjustment_approve").acting_user == approver.user
    again = approver.post(decide_url("approve", adjustment), follow=True)
    assert "already approved" in again.content.decode()
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1


def test_the_requester_cannot_approve_or_reject_their_own_request(make_staff, org, threshold):
    client = make_staff("finance")
    client.post(adjust_url(org.wallet), {"amount": "60.00", "reason": "Goodwill"})
    adjustment = WalletAdjustmentRequest.objects.get()
    page = client.get(reverse("admin:billing_walletadjustmentrequest_change", args=[adjustment.pk])).content.decode()
    assert 'id="approve-adjustment"' not in page
    assert client.get(decide_url("approve", adjustment)).status_code == 403
    assert client.post(decide_url("approve", adjustment)).status_code == 403
    assert client.post(decide_url("reject", adjustment), {"reason": "oops"}).status_code == 403
    adjustment.refresh_from_db()
    assert adjustment.status == "pending" and not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_staff_without_the_approve_permission_cannot_decide(make_staff, org, threshold):
    make_staff("finance").post(adjust_url(org.wallet), {"amount": "60.00", "reason": "Goodwill"})
    adjustment = WalletAdjustmentRequest.objects.get()
    support = make_staff("support")
    assert support.get(reverse("admin:billing_walletadjustmentrequest_changelist")).status_code == 403
    assert support.post(decide_url("approve", adjustment)).status_code == 403
    assert support.post(decide_url("reject", adjustment), {"reason": "no"}).status_code == 403
    adjustment.refresh_from_db()
    assert adjustment.status == "pending"


def test_rejecting_needs_a_reason_and_is_audited(make_staff, org, threshold):
    make_staff("finance").post(adjust_url(org.wallet), {"amount": "60.00", "reason": "Goodwill"})
    adjustment = WalletAdjustmentRequest.objects.get()
    approver = make_staff("finance")

    blank = approver.post(decide_url("reject", adjustment), {"reason": "  "})
    assert blank.status_code == 200 and blank.context["form"].errors["reason"]
    response = approver.post(decide_url("reject", adjustment), {"reason": "No ticket for this"})

    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.decision_reason) == ("rejected", "No ticket for this")
    audit = AuditLog.objects.get(action="wallet.adjustment_reject")
    assert audit.acting_user == approver.user and audit.after["reason"] == "No ticket for this"
    org.wallet.refresh_from_db()
    assert org.wallet.balance_cents == 100_00


def test_pending_requests_are_listed_read_only_and_on_the_dashboard(make_staff, org, threshold):
    make_staff("finance").post(adjust_url(org.wallet), {"amount": "60.00", "reason": "Goodwill"})
    adjustment = WalletAdjustmentRequest.objects.get()
    approver = make_staff("finance")

    changelist = approver.get(reverse("admin:billing_walletadjustmentrequest_changelist"), {"status__exact": "pending"})
    assert [row.pk for row in changelist.context["cl"].result_list] == [adjustment.pk]
    assert approver.get(reverse("admin:billing_walletadjustmentrequest_add")).status_code == 403
    change_url = reverse("admin:billing_walletadjustmentrequest_change", args=[adjustment.pk])
    assert approver.post(change_url, {"amount_cents": 1, "status": "approved"}).status_code == 403
    assert "delete_selected" not in action_names(changelist.content.decode())

    dashboard = approver.get(reverse("admin:index")).content.decode()
    assert 'id="panel-pending-adjustments"' in dashboard and "$60.00" in dashboard
    assert 'id="panel-pending-adjustments"' not in make_staff("support").get(reverse("admin:index")).content.decode()


# --- statements, low-balance threshold, top-ups (issue #10) ------------------------------------------


def test_wallet_page_links_monthly_statements_and_downloads_them(make_staff, org):
    client = make_staff("support")
    page = client.get(reverse("admin:billing_wallet_change", args=[org.wallet.pk])).content.decode()
    from django.utils import timezone

    period = timezone.now().strftime("%Y-%m")
    csv_url = reverse("admin:billing_wallet_statement", args=[org.wallet.pk, period, "csv"])
    assert csv_url in page and 'id="wallet-threshold"' not in page
    response = client.get(csv_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"opening_balance" in response.content and b"closing_balance" in response.content
    pdf = client.get(reverse("admin:billing_wallet_statement", args=[org.wallet.pk, period, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.get(reverse("admin:billing_wallet_statement", args=[org.wallet.pk, "2026-13", "csv"]))
    assert bad.status_code == 302


def test_statement_downloads_need_ledger_access(make_staff, org):
    client = make_staff("porting-ops")
    url = reverse("admin:billing_wallet_statement", args=[org.wallet.pk, "2026-01", "csv"])
    assert client.get(url).status_code in (302, 403)


def test_finance_sets_the_threshold_and_support_may_not(make_staff, org):
    url = reverse("admin:billing_wallet_threshold", args=[org.wallet.pk])
    support = make_staff("support")
    assert support.get(url).status_code == 403
    assert support.post(url, {"threshold": "5"}).status_code == 403
    finance = make_staff("finance")
    page = finance.get(reverse("admin:billing_wallet_change", args=[org.wallet.pk])).content.decode()
    assert 'id="wallet-threshold"' in page
    assert finance.post(url, {"threshold": "-1"}).status_code == 200  # refused by the form
    assert finance.post(url, {"threshold": "25.50"}).status_code == 302
    org.wallet.refresh_from_db()
    assert org.wallet.low_balance_threshold_cents == 25_50
    assert AuditLog.objects.get(action="wallet.low_balance_threshold").acting_user == finance.user
    assert finance.post(url, {"threshold": ""}).status_code == 302
    org.wallet.refresh_from_db()
    assert org.wallet.low_balance_threshold_cents is None


def test_organisation_page_leads_to_its_wallet(make_staff, org):
    client = make_staff("finance")
    page = client.get(reverse("admin:orbit_numbers_organization_change", args=[org.pk])).content.decode()
    url = reverse("admin:billing_wallet_of_organization", args=[org.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:billing_wallet_change",
                                                                           args=[org.wallet.pk])


def test_top_ups_are_read_only_in_the_console(make_staff, org):
    from billing.services_top_ups import top_up_confirm, top_up_create

    top_up = top_up_confirm(top_up=top_up_create(organization=org, amount_cents=10_00), payment_method="pm_card_visa")
    client = make_staff("finance")
    listing = client.get(reverse("admin:billing_topup_changelist")).content.decode()
    assert top_up.id in listing
    change = client.get(reverse("admin:billing_topup_change", args=[top_up.pk]))
    assert change.status_code == 200 and "succeeded" in change.content.decode().lower()
    assert client.post(reverse("admin:billing_topup_delete", args=[top_up.pk])).status_code == 403
