from __future__ import annotations

from django.db.models import QuerySet

from orbit_numbers.models import Organization

from .models import LedgerEntry, Wallet


def wallet_for(*, organization: Organization) -> Wallet:
    wallet, _ = Wallet.objects.get_or_create(organization=organization)
    return wallet


def ledger_entries_for(*, organization: Organization) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__organization=organization)
