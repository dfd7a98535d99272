from __future__ import annotations

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from .models import LedgerEntry, Wallet


def wallet_for(*, organization: Organization) -> Wallet:
    wallet, _ = Wallet.objects.get_or_create(organization=organization)
    return wallet


def ledger_entries_for(*, organization: Organization) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__organization=organization)


def wallets_below(*, threshold_cents: int) -> QuerySet[Wallet]:
    """Wallets of active organisations whose balance is under ``threshold_cents``, lowest first."""
    return (Wallet.objects.filter(balance_cents__lt=threshold_cents, organization__is_active=True)
            .order_by("balance_cents", "id"))
