"""Billing reads. Selectors never write: an organisation without a wallet reads as an empty one."""
from __future__ import annotations

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from .models import LedgerEntry, Wallet, WalletAdjustmentRequest


def wallet_for(*, organization: Organization) -> Wallet:
    """The organisation's wallet, or an unsaved empty one (a GET must not create rows)."""
    wallet = Wallet.objects.filter(organization=organization).first()
    return wallet if wallet is not None else Wallet(organization=organization)


def ledger_entries_for(*, organization: Organization, kind: str | None = None) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(wallet__organization=organization)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


def wallets_below(*, threshold_cents: int) -> QuerySet[Wallet]:
    """Wallets of active organisations whose balance is under ``threshold_cents``, lowest first."""
    return (Wallet.objects.filter(balance_cents__lt=threshold_cents, organization__is_active=True)
            .order_by("balance_cents", "id"))


def wallet_adjustment_requests_pending() -> QuerySet[WalletAdjustmentRequest]:
    """Adjustment requests waiting for a second staff member, oldest first."""
    return (WalletAdjustmentRequest.objects.filter(status=WalletAdjustmentRequest.Status.PENDING)
            .order_by("requested_at", "id"))
