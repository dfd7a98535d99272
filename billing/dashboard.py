"""Billing's panel on the operations dashboard (registered from BillingConfig.ready)."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from orbit_numbers.admin_base import cents
from orbit_numbers.dashboard import Panel, PanelData, PanelRow, register

from .selectors import wallet_adjustment_requests_pending, wallets_below


def low_wallets_panel() -> PanelData:
    threshold = settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"]
    wallets = wallets_below(threshold_cents=threshold)
    rows = [PanelRow(label=str(wallet.organization), detail=cents(wallet.balance_cents),
                     url=reverse("admin:billing_wallet_change", args=[wallet.pk]))
            for wallet in wallets.select_related("organization")[:5]]
    return PanelData(count=wallets.count(), url=reverse("admin:billing_wallet_changelist") + "?balance=low",
                     rows=rows)


def pending_adjustments_panel() -> PanelData:
    pending = wallet_adjustment_requests_pending()
    rows = [PanelRow(label=str(adjustment.organization), detail=f"{cents(adjustment.amount_cents)} · "
                                                                f"asked by {adjustment.requested_by}",
                     url=reverse("admin:billing_walletadjustmentrequest_change", args=[adjustment.pk]))
            for adjustment in pending.select_related("organization", "requested_by")[:5]]
    return PanelData(count=pending.count(), rows=rows,
                     url=reverse("admin:billing_walletadjustmentrequest_changelist") + "?status__exact=pending")


def register_panels() -> None:
    threshold = settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"]
    register(Panel(key="low-wallets", title=f"Wallets below their low-balance threshold (default {cents(threshold)})",
                   compute=low_wallets_panel,
                   permission="billing.view_wallet", order=50,
                   help_text="Active organisations that cannot pay for much more; purchases will start failing."))
    register(Panel(key="pending-adjustments", title="Wallet adjustments awaiting approval",
                   compute=pending_adjustments_panel, permission="billing.approve_wallet_adjustment", order=55,
                   help_text="Adjustments above the approval threshold: a second staff member approves or "
                             "rejects each."))
