"""Billing reads. Selectors never write: an organisation without a wallet reads as an empty one."""
from __future__ import annotations

from django.db.models import BigIntegerField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from orbit_numbers.models import Organization
from orbit_numbers.prepared import PreparedLookup

from .models import LedgerEntry, Wallet, WalletAdjustmentRequest


# One wallet per organisation (unique): no ORDER BY. Compiled once per connection (the balance is read often).
_WALLET_OF_ORGANIZATION = PreparedLookup(lambda organization_id: Wallet.objects.filter(organization_id=organization_id),
                                         name="wallet_of_organization")


def wallet_for(*, organization: Organization) -> Wallet:
    """The organisation's wallet, or an unsaved empty one (a GET must not create rows)."""
    wallet = _WALLET_OF_ORGANIZATION.first(organization.pk)
    return wallet if wallet is not None else Wallet(organization=organization)


def ledger_entries_for(*, organization: Organization, kind: str | None = None) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(wallet__organization=organization)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


def wallets_below(*, threshold_cents: int) -> QuerySet[Wallet]:
    """Wallets of active organisations whose balance is under their own low-balance threshold, or
    ``threshold_cents`` (the default) when they have none; lowest first."""
    threshold = Coalesce(F("low_balance_threshold_cents"), Value(threshold_cents), output_field=BigIntegerField())
    return (Wallet.objects.filter(balance_cents__lt=threshold, organization__is_active=True)
            .order_by("balance_cents", "id"))


def wallet_adjustment_requests_pending() -> QuerySet[WalletAdjustmentRequest]:
    """Adjustment requests waiting for a second staff member, oldest first."""
    return (WalletAdjustmentRequest.objects.filter(status=WalletAdjustmentRequest.Status.PENDING)
            .order_by("requested_at", "id"))


def ledger_drift_cents() -> int:
    """Sum of all wallet balances minus the sum of all ledger entries: 0 while the books balance.
    Two aggregates, no per-wallet work (check_ledger names the wallets when this is not 0)."""
    balances = Wallet.objects.aggregate(total=Sum("balance_cents"))["total"] or 0
    entries = LedgerEntry.objects.aggregate(total=Sum("amount_cents"))["total"] or 0
    return balances - entries
