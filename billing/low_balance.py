"""The low-balance notice: when a debit takes a wallet below its organisation's threshold, the
organisation hears once (``wallet.low_balance``: webhook + contact email, on commit); the notice
re-arms when the balance is back at or above the threshold. Runs under the wallet's row lock,
inside the transaction that moved the balance."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from orbit_numbers.errors import ValidationFailed
from orbit_numbers.money import format_dollars
from orbit_numbers.notifications import organization_notify
from orbit_numbers.services import audit_record

from .models import Wallet


def low_balance_default_cents() -> int:
    return settings.ORBIT["LOW_WALLET_THRESHOLD_CENTS"]


def low_balance_threshold(wallet: Wallet) -> int:
    """The wallet's own threshold, or the global default when it has none (0 turns the notice off)."""
    if wallet.low_balance_threshold_cents is not None:
        return wallet.low_balance_threshold_cents
    return low_balance_default_cents()


def low_balance_evaluate(*, wallet: Wallet, organization, debited: bool) -> list[str]:
    """Notify or re-arm after the balance changed; returns the Wallet fields to save (maybe none).

    Only a debit notifies: a credit or a threshold change never announces a low balance by itself."""
    threshold = low_balance_threshold(wallet)
    below = wallet.balance_cents < threshold
    if below and debited and not wallet.low_balance_alerted:
        wallet.low_balance_alerted = True
        organization_notify(
            organization=organization, event_type="wallet.low_balance",
            data={"balance_cents": wallet.balance_cents, "threshold_cents": threshold},
            subject=f"Your Orbit Numbers balance is below {format_dollars(threshold)}",
            body=(f"The wallet of {organization.name} holds {format_dollars(wallet.balance_cents)}, below your "
                  f"low-balance threshold of {format_dollars(threshold)}. Top up to keep renewals and purchases "
                  f"going."))
        return ["low_balance_alerted"]
    if not below and wallet.low_balance_alerted:
        wallet.low_balance_alerted = False
        return ["low_balance_alerted"]
    return []


@transaction.atomic
def wallet_low_balance_threshold_set(*, organization, threshold_cents: int | None, acting_key=None,
                                     acting_user=None) -> Wallet:
    """Set (or, with None, clear back to the global default) the organisation's low-balance threshold.
    A threshold the balance is now above re-arms the notice; one it is below waits for the next debit."""
    maximum = settings.ORBIT["LOW_BALANCE_THRESHOLD_MAX_CENTS"]
    if threshold_cents is not None and (isinstance(threshold_cents, bool) or not isinstance(threshold_cents, int)
                                        or not 0 <= threshold_cents <= maximum):
        raise ValidationFailed.field("low_balance_threshold_cents", f"must be null or a whole number of cents "
                                                                    f"from 0 to {maximum}")
    Wallet.objects.get_or_create(organization=organization)
    wallet = Wallet.objects.select_for_update(of=("self",)).get(organization=organization)
    before = wallet.low_balance_threshold_cents
    wallet.low_balance_threshold_cents = threshold_cents
    fields = ["low_balance_threshold_cents", *low_balance_evaluate(wallet=wallet, organization=organization,
                                                                    debited=False)]
    wallet.save(update_fields=[*fields, "updated_at"])
    audit_record(action="wallet.low_balance_threshold", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=wallet, before={"low_balance_threshold_cents": before},
                 after={"low_balance_threshold_cents": threshold_cents})
    return wallet
