"""Top-up writes: intent at the provider → confirmation → exactly one ledger credit.

Provider calls run outside any transaction (they take seconds); what they answer is applied in a
short transaction that locks the TopUp row. Whoever applies a succeeded intent first (the
confirming request, a retry of it, or the provider's callback, in any order, any number of times)
credits the wallet; the others find the top-up succeeded and do nothing. The ledger's unique
``top_up:<id>`` reference is the database's own guard behind that lock.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orbit_numbers.api.idempotency import idempotency_effect_commit
from orbit_numbers.errors import BadRequest, Conflict, NotFound, PaymentProviderUnavailable, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.money import format_dollars
from orbit_numbers.notifications import organization_notify
from orbit_numbers.services import audit_record

from .models import LedgerEntry
from .models_top_ups import TopUp, new_top_up_id
from .payments import BACKENDS, default_provider, payment_adapter, payment_call_guard
from .payments.base import IntentStatus, PaymentIntent, PaymentProviderError, PaymentSignatureInvalid
from .selectors import wallet_for
from .services import LedgerDrift, wallet_credit

logger = logging.getLogger(__name__)

# Provider codes that mean "this request cannot succeed as sent" rather than "the provider is down".
_STATE_CODES = {"payment_intent_unexpected_state", "idempotency_error"}


def top_up_reference(top_up: TopUp) -> str:
    return f"top_up:{top_up.id}"


def _provider_failure(exc: PaymentProviderError, *, field: str) -> Exception:
    """What a provider refusal means for the client: retry later (503), a state conflict (409),
    or a bad value of ``field`` (422)."""
    if exc.retryable or exc.provider_code in (None, "UNAVAILABLE", "BAD_RESPONSE"):
        return PaymentProviderUnavailable(headers={"Retry-After": "30"})
    if exc.provider_code in _STATE_CODES:
        return Conflict("The payment provider refused this for the payment's current state.",
                        details={"provider_code": exc.provider_code})
    return ValidationFailed.field(field, f"refused by the payment provider ({exc.provider_code})")


def top_up_amount_check(amount_cents: int) -> int:
    low, high = settings.ORBIT["TOP_UP_MIN_CENTS"], settings.ORBIT["TOP_UP_MAX_CENTS"]
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not low <= amount_cents <= high:
        raise ValidationFailed.field("amount_cents", f"must be a whole number of cents from {low} to {high} "
                                                     f"({format_dollars(low)} to {format_dollars(high)})")
    return amount_cents


def top_up_create(*, organization: Organization, amount_cents: int, acting_key: ApiKey | None = None,
                  acting_user=None) -> TopUp:
    """Create the provider's intent (outside any transaction), then record the top-up."""
    amount_cents = top_up_amount_check(amount_cents)
    currency = wallet_for(organization=organization).currency
    provider = default_provider()
    top_up_id = new_top_up_id()
    payment_call_guard()
    try:
        intent = payment_adapter(provider).intent_create(
            amount_cents=amount_cents, currency=currency, idempotency_key=top_up_id,
            metadata={"top_up_id": top_up_id, "organization_id": organization.id})
    except PaymentProviderError as exc:
        logger.warning("Top-up intent for %s failed at %s: %s", organization.id, provider, exc.message)
        raise _provider_failure(exc, field="amount_cents") from None
    return _top_up_record(top_up_id=top_up_id, organization=organization, amount_cents=amount_cents,
                          currency=currency, provider=provider, intent=intent, acting_key=acting_key,
                          acting_user=acting_user)


@transaction.atomic
def _top_up_record(*, top_up_id: str, organization: Organization, amount_cents: int, currency: str, provider: str,
                   intent: PaymentIntent, acting_key, acting_user) -> TopUp:
    top_up = TopUp.objects.create(id=top_up_id, organization=organization, amount_cents=amount_cents,
                                  currency=currency, provider=provider, provider_intent_id=intent.id)
    audit_record(action="top_up.create", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=top_up, after={"amount_cents": amount_cents, "provider": provider,
                                       "provider_intent_id": intent.id})
    idempotency_effect_commit(top_up)
    return top_up


def top_up_confirm(*, top_up: TopUp, payment_method: str, acting_key: ApiKey | None = None,
                   acting_user=None) -> TopUp:
    """Pay ``top_up`` with ``payment_method``; credits the wallet when the provider says it succeeded.

    Already succeeded: answered as is (no second credit). Processing: the provider is asked again.
    Cancelled: 409. A decline leaves it ``failed``; confirming again (another card) is a new attempt."""
    current = TopUp.objects.get(pk=top_up.pk)
    if current.status == TopUp.Status.SUCCEEDED:
        return top_up_apply_intent(top_up=current, intent=None, source="confirm", acting_key=acting_key,
                                   acting_user=acting_user)
    if current.status == TopUp.Status.CANCELLED:
        raise Conflict("This top-up was cancelled; create a new one.", details={"status": current.status})
    adapter = payment_adapter(current.provider)
    payment_call_guard()
    try:
        if current.status == TopUp.Status.PROCESSING:
            intent = adapter.intent_retrieve(intent_id=current.provider_intent_id)
        else:
            intent = adapter.intent_confirm(intent_id=current.provider_intent_id, payment_method=payment_method,
                                            idempotency_key=f"{current.id}-{current.attempts}")
    except PaymentProviderError as exc:
        logger.warning("Top-up %s confirmation failed at %s: %s", current.id, current.provider, exc.message)
        if exc.provider_code in _STATE_CODES:
            # Someone else moved the intent on (a concurrent confirmation): read where it stands.
            try:
                intent = adapter.intent_retrieve(intent_id=current.provider_intent_id)
            except PaymentProviderError:
                raise _provider_failure(exc, field="payment_method") from None
        else:
            raise _provider_failure(exc, field="payment_method") from None
    return top_up_apply_intent(top_up=current, intent=intent, source="confirm", acting_key=acting_key,
                               acting_user=acting_user)


_STATUS_FOR_INTENT = {
    IntentStatus.REQUIRES_PAYMENT_METHOD: TopUp.Status.REQUIRES_CONFIRMATION,
    IntentStatus.REQUIRES_CONFIRMATION: TopUp.Status.REQUIRES_CONFIRMATION,
    IntentStatus.REQUIRES_ACTION: TopUp.Status.REQUIRES_CONFIRMATION,
    IntentStatus.PROCESSING: TopUp.Status.PROCESSING,
    IntentStatus.SUCCEEDED: TopUp.Status.SUCCEEDED,
    IntentStatus.CANCELED: TopUp.Status.CANCELLED,
}


@transaction.atomic
def top_up_apply_intent(*, top_up: TopUp, intent: PaymentIntent | None, source: str,
                        acting_key: ApiKey | None = None, acting_user=None) -> TopUp:
    """Move the top-up to what the provider reports (``intent``; None: nothing new), under its row lock.

    A succeeded intent of the right amount credits the wallet once; whatever we had recorded before
    (even failed or cancelled), money the provider took is credited. Nothing moves a succeeded top-up."""
    locked = (TopUp.objects.select_for_update(of=("self",)).select_related("organization")
              .get(pk=top_up.pk))
    if intent is not None and locked.status != TopUp.Status.SUCCEEDED:
        if intent.id != locked.provider_intent_id:
            raise ValueError(f"intent {intent.id} is not top-up {locked.id}'s")
        _apply(locked, intent, source=source, acting_key=acting_key, acting_user=acting_user)
    idempotency_effect_commit(locked)
    return locked


def _apply(top_up: TopUp, intent: PaymentIntent, *, source: str, acting_key, acting_user) -> None:
    before = top_up.status
    declined = intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD and bool(intent.failure_code
                                                                              or intent.failure_message)
    status = TopUp.Status.FAILED if declined else _STATUS_FOR_INTENT.get(intent.status, top_up.status)
    top_up.failure_code, top_up.failure_message = intent.failure_code[:64], intent.failure_message[:255]
    top_up.next_action = intent.next_action[:64] if intent.status == IntentStatus.REQUIRES_ACTION else ""
    if source == "confirm" and intent.status in (IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_ACTION):
        top_up.attempts += 1  # the next confirmation is a new attempt at the provider
    if status == TopUp.Status.SUCCEEDED:
        if intent.amount_cents != top_up.amount_cents or intent.currency.lower() != top_up.currency.lower():
            # Never credit what was not asked for: staff reconcile this by hand (it stays uncredited).
            logger.error("Top-up %s: provider reports %s %s, expected %s %s; not credited", top_up.id,
                         intent.amount_cents, intent.currency, top_up.amount_cents, top_up.currency)
            status = TopUp.Status.FAILED
            top_up.failure_code, top_up.failure_message = "amount_mismatch", "The provider reported another amount."
        else:
            _credit(top_up, acting_key=acting_key, acting_user=acting_user)
    top_up.status = status
    top_up.save(update_fields=["status", "failure_code", "failure_message", "next_action", "attempts",
                               "ledger_entry", "succeeded_at", "updated_at"])
    if before != status:
        audit_record(action=f"top_up.{status}", organization=top_up.organization, acting_key=acting_key,
                     acting_user=acting_user, target=top_up, before={"status": before},
                     after={"status": status, "source": source, "failure_code": top_up.failure_code,
                            "ledger_entry_id": top_up.ledger_entry_id})


def _credit(top_up: TopUp, *, acting_key, acting_user) -> None:
    entry: LedgerEntry = wallet_credit(organization=top_up.organization, amount_cents=top_up.amount_cents,
                                       kind=LedgerEntry.Kind.TOP_UP, reference=top_up_reference(top_up),
                                       description=f"Top-up {top_up.id} via {top_up.provider}",
                                       acting_key=acting_key, acting_user=acting_user)
    top_up.ledger_entry = entry
    top_up.succeeded_at = timezone.now()
    organization_notify(
        organization=top_up.organization, event_type="wallet.topped_up",
        data={"top_up_id": top_up.id, "amount_cents": top_up.amount_cents, "balance_cents": entry.balance_after_cents},
        subject=f"Your Orbit Numbers wallet was topped up with {format_dollars(top_up.amount_cents)}",
        body=(f"Top-up {top_up.id} of {format_dollars(top_up.amount_cents)} succeeded. The wallet of "
              f"{top_up.organization.name} now holds {format_dollars(entry.balance_after_cents)}."))


def payment_event_receive(*, provider: str, payload: bytes, headers: dict[str, str]) -> TopUp | None:
    """A provider's signed callback: apply it to the top-up of its intent. None when it concerns no
    top-up of ours (another kind of event, an unknown intent): the provider is told "received"."""
    if provider not in BACKENDS:
        raise NotFound(f"Unknown payment provider {provider!r}.")
    try:
        event = payment_adapter(provider).event_verify(payload=payload, headers=headers)
    except (PaymentSignatureInvalid, PaymentProviderError) as exc:
        raise BadRequest(f"Payment event refused: {getattr(exc, 'message', None) or exc}.") from None
    if event.intent is None:
        return None
    top_up = TopUp.objects.filter(provider=provider, provider_intent_id=event.intent.id).first()
    if top_up is None:
        logger.info("Payment event %s (%s) for an unknown intent %s ignored", event.id, event.type, event.intent.id)
        return None
    return top_up_apply_intent(top_up=top_up, intent=event.intent, source="webhook")


def top_up_reconcile() -> list[LedgerDrift]:
    """Every succeeded top-up has exactly one TOP_UP entry of its amount in its organisation's ledger,
    and every ``top_up:`` entry belongs to a succeeded top-up."""
    drifts: list[LedgerDrift] = []
    entries: dict[str, list[tuple]] = {}
    for entry_id, reference, amount, wallet_id, organization_id in (
            LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TOP_UP, reference__startswith="top_up:")
            .values_list("id", "reference", "amount_cents", "wallet_id", "wallet__organization_id").iterator()):
        entries.setdefault(reference.removeprefix("top_up:"), []).append(
            (entry_id, amount, wallet_id, organization_id))
    succeeded = TopUp.objects.filter(status=TopUp.Status.SUCCEEDED).select_related("organization")
    for top_up in succeeded.iterator():
        found = entries.pop(top_up.id, [])
        wallet_id = found[0][2] if found else 0
        name = top_up.organization.name
        if len(found) != 1:
            drifts.append(LedgerDrift(wallet_id, name, f"top-up {top_up.id} succeeded with {len(found)} ledger "
                                                       f"entries (expected 1)"))
            continue
        entry_id, amount, _, organization_id = found[0]
        if amount != top_up.amount_cents or organization_id != top_up.organization_id \
                or entry_id != top_up.ledger_entry_id:
            drifts.append(LedgerDrift(wallet_id, name, f"top-up {top_up.id} of {top_up.amount_cents} does not "
                                                       f"match its ledger entry ({amount})"))
    for top_up_id, found in entries.items():
        drifts.append(LedgerDrift(found[0][2], str(found[0][3]),
                                  f"ledger credits top-up {top_up_id}, which has not succeeded"))
    return drifts


@dataclass(frozen=True)
class TopUpSyncResult:
    checked: int
    succeeded: int
    failed: int  # the provider could not be asked; the next run asks again


def top_ups_sync_processing(*, older_than_minutes: int | None = None, limit: int = 200) -> TopUpSyncResult:
    """Ask the provider about top-ups still ``processing`` after a while (their callback may never
    come) and apply what it says: settled ones are credited, once, like any other path. One provider
    call per top-up, each outside any transaction."""
    minutes = settings.ORBIT["TOP_UP_SYNC_AFTER_MINUTES"] if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = list(TopUp.objects.filter(status=TopUp.Status.PROCESSING, updated_at__lt=cutoff)
                 .order_by("updated_at", "id")[:limit])
    succeeded = failed = 0
    for top_up in stale:
        payment_call_guard()
        try:
            intent = payment_adapter(top_up.provider).intent_retrieve(intent_id=top_up.provider_intent_id)
        except PaymentProviderError as exc:
            logger.warning("Top-up %s: %s did not answer (%s); next run", top_up.id, top_up.provider, exc.message)
            failed += 1
            continue
        if top_up_apply_intent(top_up=top_up, intent=intent, source="sync").status == TopUp.Status.SUCCEEDED:
            succeeded += 1
    return TopUpSyncResult(checked=len(stale), succeeded=succeeded, failed=failed)
