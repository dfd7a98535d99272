"""Wallet writes. Every movement is one ledger entry appended under the wallet's row lock."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orbit_numbers.errors import Conflict, Forbidden, InsufficientCredit, ValidationFailed
from orbit_numbers.money import format_dollars
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from .listeners import wallet_credited_on_commit
from .low_balance import low_balance_evaluate
from .models import LedgerEntry, Wallet, WalletAdjustmentRequest

_DEBIT_KINDS = {LedgerEntry.Kind.SETUP_FEE, LedgerEntry.Kind.MONTHLY_FEE, LedgerEntry.Kind.PORTING_FEE,
                LedgerEntry.Kind.LOOKUP_FEE, LedgerEntry.Kind.CNAM_DIP_FEE}


@dataclass(frozen=True)
class Charge:
    """One line of a charge: several lines post together or not at all."""

    kind: str
    amount_cents: int  # positive; the sign comes from the kind
    description: str = ""
    reference: str = ""


def wallet_get_or_create(*, organization: Organization) -> Wallet:
    wallet, _ = Wallet.objects.get_or_create(organization=organization)
    return wallet


def wallet_lock(*, organization: Organization) -> Wallet:
    """Lock the organisation's wallet row for the rest of the transaction."""
    wallet_get_or_create(organization=organization)
    return Wallet.objects.select_for_update(of=("self",)).get(organization=organization)


def _append(wallet: Wallet, *, kind: str, signed_amount: int, description: str, reference: str) -> LedgerEntry:
    wallet.balance_cents += signed_amount
    wallet.last_sequence += 1
    return LedgerEntry(wallet=wallet, sequence=wallet.last_sequence, kind=kind, amount_cents=signed_amount,
                       balance_after_cents=wallet.balance_cents, description=description[:255],
                       reference=reference[:100])


@transaction.atomic
def wallet_charge(*, organization: Organization, charges: list[Charge], acting_user=None,
                  acting_key: ApiKey | None = None, wallet: Wallet | None = None) -> list[LedgerEntry]:
    """Debit every line or none: raises InsufficientCredit if the total exceeds the balance.

    Callers that already hold the wallet lock pass ``wallet`` to avoid a second lookup.
    """
    charges = [charge for charge in charges if charge.amount_cents]
    if not charges:
        return []
    if any(charge.amount_cents < 0 or charge.kind not in _DEBIT_KINDS for charge in charges):
        raise ValueError("charges are positive amounts of a debit kind")
    wallet = wallet if wallet is not None else wallet_lock(organization=organization)
    total = sum(charge.amount_cents for charge in charges)
    if total > wallet.balance_cents:
        raise InsufficientCredit(
            f"Insufficient credit: this costs {format_dollars(total)}, the wallet holds {format_dollars(wallet.balance_cents)}.",
            details={"required_cents": total, "balance_cents": wallet.balance_cents},
        )
    entries = [_append(wallet, kind=c.kind, signed_amount=-c.amount_cents, description=c.description,
                       reference=c.reference) for c in charges]
    LedgerEntry.objects.bulk_create(entries)
    alert_fields = low_balance_evaluate(wallet=wallet, organization=organization, debited=True)
    wallet.save(update_fields=["balance_cents", "last_sequence", "updated_at", *alert_fields])
    return entries


def wallet_preflight(*, organization: Organization, amount_cents: int, wallet: Wallet | None = None) -> Wallet:
    """Raise InsufficientCredit now if the wallet cannot cover ``amount_cents`` (no entry written)."""
    wallet = wallet if wallet is not None else wallet_get_or_create(organization=organization)
    if amount_cents > wallet.balance_cents:
        raise InsufficientCredit(
            f"Insufficient credit: this costs {format_dollars(amount_cents)}, "
            f"the wallet holds {format_dollars(wallet.balance_cents)}.",
            details={"required_cents": amount_cents, "balance_cents": wallet.balance_cents},
        )
    return wallet


@transaction.atomic
def wallet_credit(*, organization: Organization, amount_cents: int, kind: str = LedgerEntry.Kind.TOP_UP,
                  description: str = "", reference: str = "", acting_user=None,
                  acting_key: ApiKey | None = None) -> LedgerEntry:
    if amount_cents <= 0:
        raise ValidationFailed.field("amount", "must be positive")
    if kind not in (LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.REFUND):
        raise ValueError("credits are top-ups or refunds")
    wallet = wallet_lock(organization=organization)
    entry = _append(wallet, kind=kind, signed_amount=amount_cents, description=description, reference=reference)
    entry.save()
    alert_fields = low_balance_evaluate(wallet=wallet, organization=organization, debited=False)
    wallet.save(update_fields=["balance_cents", "last_sequence", "updated_at", *alert_fields])
    audit_record(action=f"wallet.{kind}", organization=organization, acting_user=acting_user, acting_key=acting_key,
                 target=wallet, after={"amount_cents": amount_cents, "balance_cents": wallet.balance_cents,
                                       "reference": reference})
    wallet_credited_on_commit(organization_id=organization.pk)
    return entry


def wallet_adjustment_needs_approval(*, amount_cents: int) -> bool:
    """Adjustments above the threshold (either sign) need a second staff member."""
    return abs(amount_cents) > settings.ORBIT["WALLET_ADJUSTMENT_APPROVAL_THRESHOLD_CENTS"]


def _adjustment_reason(*, amount_cents: int, reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "is required")
    if amount_cents == 0:
        raise ValidationFailed.field("amount", "must not be zero")
    return reason


@transaction.atomic
def wallet_adjust(*, organization: Organization, amount_cents: int, reason: str, acting_user=None,
                  approved_request: WalletAdjustmentRequest | None = None) -> LedgerEntry:
    """A staff correction (credit or debit) with a mandatory reason; the balance never goes below zero.

    Above the approval threshold it runs only for the request being approved
    (wallet_adjustment_approve); callers wanting "post or file for approval" use wallet_adjustment_submit.
    """
    reason = _adjustment_reason(amount_cents=amount_cents, reason=reason)
    if wallet_adjustment_needs_approval(amount_cents=amount_cents) and (
            approved_request is None or approved_request.amount_cents != amount_cents
            or approved_request.organization_id != organization.pk):
        raise Forbidden("An adjustment of this size needs a second staff member's approval.")
    wallet = wallet_lock(organization=organization)
    if wallet.balance_cents + amount_cents < 0:
        raise InsufficientCredit("An adjustment may not take the balance below zero.")
    before = wallet.balance_cents
    entry = _append(wallet, kind=LedgerEntry.Kind.ADJUSTMENT, signed_amount=amount_cents, description=reason,
                    reference="adjustment")
    entry.save()
    alert_fields = low_balance_evaluate(wallet=wallet, organization=organization, debited=amount_cents < 0)
    wallet.save(update_fields=["balance_cents", "last_sequence", "updated_at", *alert_fields])
    audit_record(action="wallet.adjustment", organization=organization, acting_user=acting_user, target=wallet,
                 before={"balance_cents": before},
                 after={"balance_cents": wallet.balance_cents, "amount_cents": amount_cents, "reason": reason})
    if amount_cents > 0:
        wallet_credited_on_commit(organization_id=organization.pk)
    return entry


@transaction.atomic
def wallet_adjustment_submit(*, organization: Organization, amount_cents: int, reason: str,
                             acting_user) -> LedgerEntry | WalletAdjustmentRequest:
    """What the console's adjust screen does: post the adjustment now, or, above the threshold,
    file a request that another staff member approves or rejects."""
    if wallet_adjustment_needs_approval(amount_cents=amount_cents):
        return wallet_adjustment_request_create(organization=organization, amount_cents=amount_cents,
                                                reason=reason, acting_user=acting_user)
    return wallet_adjust(organization=organization, amount_cents=amount_cents, reason=reason,
                         acting_user=acting_user)


@transaction.atomic
def wallet_adjustment_request_create(*, organization: Organization, amount_cents: int, reason: str,
                                     acting_user) -> WalletAdjustmentRequest:
    reason = _adjustment_reason(amount_cents=amount_cents, reason=reason)
    wallet = wallet_get_or_create(organization=organization)
    # Checked again, under the wallet lock, when approved: the balance may move in between.
    if wallet.balance_cents + amount_cents < 0:
        raise InsufficientCredit("An adjustment may not take the balance below zero.")
    adjustment = WalletAdjustmentRequest.objects.create(organization=organization, amount_cents=amount_cents,
                                                        reason=reason, requested_by=acting_user)
    audit_record(action="wallet.adjustment_request", organization=organization, acting_user=acting_user,
                 target=adjustment, after={"status": adjustment.status, "amount_cents": amount_cents,
                                           "reason": reason, "balance_cents": wallet.balance_cents})
    return adjustment


def _adjustment_lock_for_decision(*, adjustment_request: WalletAdjustmentRequest,
                                  acting_user) -> WalletAdjustmentRequest:
    """Lock the request row: of two staff deciding at once, the second sees the first's decision."""
    adjustment = (WalletAdjustmentRequest.objects.select_for_update(of=("self",)).select_related("organization")
                  .get(pk=adjustment_request.pk))
    if adjustment.status != WalletAdjustmentRequest.Status.PENDING:
        raise Conflict(f"This adjustment request is already {adjustment.status}.",
                       details={"status": adjustment.status})
    if not getattr(acting_user, "is_authenticated", False) or acting_user.pk == adjustment.requested_by_id:
        raise Forbidden("A second staff member must decide on this adjustment request.")
    return adjustment


@transaction.atomic
def wallet_adjustment_approve(*, adjustment_request: WalletAdjustmentRequest, acting_user) -> LedgerEntry:
    """Post the requested adjustment and mark the request approved, together or not at all."""
    adjustment = _adjustment_lock_for_decision(adjustment_request=adjustment_request, acting_user=acting_user)
    entry = wallet_adjust(organization=adjustment.organization, amount_cents=adjustment.amount_cents,
                          reason=adjustment.reason, acting_user=acting_user, approved_request=adjustment)
    adjustment.status = WalletAdjustmentRequest.Status.APPROVED
    adjustment.decided_by = acting_user
    adjustment.decided_at = timezone.now()
    adjustment.ledger_entry = entry
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "ledger_entry"])
    audit_record(action="wallet.adjustment_approve", organization=adjustment.organization,
                 acting_user=acting_user, target=adjustment, before={"status": "pending"},
                 after={"status": adjustment.status, "amount_cents": adjustment.amount_cents,
                        "requested_by": adjustment.requested_by_id, "ledger_sequence": entry.sequence})
    return entry


@transaction.atomic
def wallet_adjustment_reject(*, adjustment_request: WalletAdjustmentRequest, reason: str,
                             acting_user) -> WalletAdjustmentRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "is required")
    adjustment = _adjustment_lock_for_decision(adjustment_request=adjustment_request, acting_user=acting_user)
    adjustment.status = WalletAdjustmentRequest.Status.REJECTED
    adjustment.decided_by = acting_user
    adjustment.decided_at = timezone.now()
    adjustment.decision_reason = reason[:255]
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(action="wallet.adjustment_reject", organization=adjustment.organization,
                 acting_user=acting_user, target=adjustment, before={"status": "pending"},
                 after={"status": adjustment.status, "amount_cents": adjustment.amount_cents,
                        "requested_by": adjustment.requested_by_id, "reason": adjustment.decision_reason})
    return adjustment


@dataclass(frozen=True)
class LedgerDrift:
    wallet_id: int
    organization: str
    problem: str


def ledger_reconcile() -> list[LedgerDrift]:
    """Every wallet: balance = sum of entries = last entry's balance_after, and the chain is unbroken."""
    drifts: list[LedgerDrift] = []
    sums = dict(LedgerEntry.objects.values_list("wallet_id").annotate(total=Sum("amount_cents")))
    for wallet in Wallet.objects.select_related("organization").iterator():
        total = sums.get(wallet.id, 0) or 0
        if total != wallet.balance_cents:
            drifts.append(LedgerDrift(wallet.id, wallet.organization.name,
                                      f"balance {wallet.balance_cents} != sum of entries {total}"))
        previous_balance, expected_sequence = 0, 1
        for sequence, amount, balance_after in (wallet.entries.order_by("sequence")
                                                .values_list("sequence", "amount_cents", "balance_after_cents")
                                                .iterator()):
            if sequence != expected_sequence:
                drifts.append(LedgerDrift(wallet.id, wallet.organization.name,
                                          f"entry sequence {sequence}, expected {expected_sequence}"))
            if previous_balance + amount != balance_after:
                drifts.append(LedgerDrift(wallet.id, wallet.organization.name,
                                          f"entry #{sequence}: {previous_balance} + {amount} != {balance_after}"))
            previous_balance, expected_sequence = balance_after, sequence + 1
        if wallet.last_sequence != expected_sequence - 1:
            drifts.append(LedgerDrift(wallet.id, wallet.organization.name,
                                      f"last_sequence {wallet.last_sequence}, entries end at {expected_sequence - 1}"))
    return drifts
