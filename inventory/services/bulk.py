"""Buy-bulk: purchase a known list of up to 50 numbers in one call, with per-row results.

The batch runs through the checkout engine (services/checkout.py, whose docstring explains why
the carrier calls happen outside any transaction): rows are held, ordered at their carriers,
then assigned and debited together. A row that fails anywhere is reported in ``failed`` and
never charged; the debit covers exactly the rows in ``succeeded``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from billing.services import wallet_preflight
from orbit_numbers.api.idempotency import idempotency_effect_commit
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from ..models import BulkReservation, OwnedNumber, PhoneNumber
from .checkout import CheckoutResult, checkout_run, hold_rows
from .compliance import compliance_gate, compliance_profile_resolve
from .numbers import purchase_cost_cents
from .orders import campaign_resolve
from .ten_dlc import campaign_scope_check

BUY_BULK_MAX_ITEMS = 50


@dataclass(frozen=True)
class RowFailure:
    phone_number: str
    code: str
    message: str


@dataclass
class BuyBulkResult:
    succeeded: list[OwnedNumber] = field(default_factory=list)
    failed: list[RowFailure] = field(default_factory=list)
    total_cost_cents: int = 0
    debited_cents: int = 0
    reservation: BulkReservation | None = None


def _row_problem(row: PhoneNumber, item: dict, now) -> RowFailure | None:
    e164 = row.e164
    if not row.is_sellable(now=now):
        return RowFailure(e164, "NOT_AVAILABLE", f"{e164} is no longer available.")
    country = item.get("country_code") or "US"
    if row.country != country:
        return RowFailure(e164, "COUNTRY_MISMATCH", f"{e164} is a {row.country} number, not {country}.")
    if item.get("provider") and item["provider"] != row.provider:
        return RowFailure(e164, "PROVIDER_MISMATCH", f"{e164} is supplied by {row.provider}, not {item['provider']}.")
    if item.get("id") and item["id"] != row.provider_ref:
        return RowFailure(e164, "ID_MISMATCH", f"id {item['id']} does not identify {e164}.")
    return None


def number_buy_bulk(*, organization: Organization, items: list[dict], compliance_profile_id: str | None = None,
                    acting_key: ApiKey | None = None, acting_user=None,
                    campaign_id: str | None = None) -> BuyBulkResult:
    """Buy every purchasable row of ``items`` (each {phone_number, country_code?, provider?, id?}).

    The wallet preflight covers the rows that can actually be bought (those found available):
    a short wallet is 402 and nothing is held or bought. ``total_cost_cents`` sums the price of
    every requested row the inventory knows; unknown numbers have no price.

    Not @transaction.atomic: the carrier phase runs between two transactions (see checkout.py).
    """
    if not 1 <= len(items) <= BUY_BULK_MAX_ITEMS:
        raise ValueError(f"buy-bulk takes 1-{BUY_BULK_MAX_ITEMS} items")
    # A campaign that is not usable (orders' checks) and an unknown profile id are 422 before any row is looked at.
    campaign = campaign_resolve(organization=organization, campaign_id=campaign_id)
    compliance_profile_resolve(organization=organization, compliance_profile_id=compliance_profile_id)
    requested = [item["phone_number"] for item in items]
    result = BuyBulkResult()
    now = timezone.now()

    with transaction.atomic():
        # SKIP LOCKED: a row another buyer is in the middle of purchasing is reported, not waited for.
        locked = {row.e164: row for row in PhoneNumber.objects.select_for_update(of=("self",), skip_locked=True)
                  .filter(e164__in=requested).order_by("id")}
        missing = [e164 for e164 in requested if e164 not in locked]
        busy = {e164: setup + monthly for e164, setup, monthly in PhoneNumber.objects.filter(e164__in=missing)
                .values_list("e164", "setup_cents", "monthly_cents")} if missing else {}
        candidates: list[PhoneNumber] = []
        for item in items:
            e164 = item["phone_number"]
            row = locked.get(e164)
            if row is None:
                if e164 in busy:
                    result.total_cost_cents += busy[e164]
                    result.failed.append(RowFailure(e164, "NOT_AVAILABLE",
                                                    f"{e164} is being purchased by another request."))
                else:
                    result.failed.append(RowFailure(e164, "NOT_FOUND", f"{e164} is not in the inventory."))
                continue
            result.total_cost_cents += purchase_cost_cents(row)
            problem = _row_problem(row, item, now)
            if problem is not None:
                result.failed.append(problem)
            else:
                candidates.append(row)

        if candidates:
            # Like an assign order, a campaign for a batch with a non-US-local number refuses it all.
            campaign_scope_check(campaign=campaign, rows=candidates)
            # The whole request is refused (422, nothing held or charged) if any buyable row is regulated
            # and not covered: a partial purchase would debit for some numbers of a batch the customer
            # must fix anyway.
            pools: dict = {}
            for row in candidates:
                pools.setdefault((row.country, row.line_type), []).append(row.e164)
            compliance = compliance_gate(organization=organization, pools=pools,
                                         compliance_profile_id=compliance_profile_id, now=now)
            wallet_preflight(organization=organization,
                             amount_cents=sum(purchase_cost_cents(row) for row in candidates))
            candidates.sort(key=lambda row: row.pk)
            reservation, held = hold_rows(organization=organization, rows=candidates,
                                          purpose=BulkReservation.Purpose.BUY_BULK,
                                          status=BulkReservation.Status.FINALIZING, now=now,
                                          quantity_requested=len(items), compliance_profile=compliance.given)
        else:
            audit_record(action="number.buy_bulk", organization=organization, acting_key=acting_key,
                         acting_user=acting_user, object_type="inventory.bulkreservation",
                         after={"requested": len(items), "purchased": 0, "failed": len(result.failed),
                                "debited_cents": 0})
            idempotency_effect_commit(result)
            return result

    def respond(checkout: CheckoutResult) -> BuyBulkResult:
        result.reservation = checkout.reservation
        result.succeeded = checkout.numbers
        result.failed += [RowFailure(o.item.e164, o.error_code, o.error_message) for o in checkout.failed]
        result.debited_cents = checkout.debited_cents
        return result

    return checkout_run(
        reservation=reservation, items=held, organization=organization, compliance=compliance,
        source=OwnedNumber.Source.BULK, audit_action="number.buy_bulk", number_fields={"campaign": campaign},
        audit_after={"requested": len(items), "rejected_before_carrier": {f.phone_number: f.code
                                                                         for f in result.failed}},
        respond=respond, acting_key=acting_key, acting_user=acting_user).value
