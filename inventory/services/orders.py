"""Assign orders: buy a specific set of numbers, all or nothing, with routing set at order time.

Any number that is not available (unknown, sold, held, being bought by someone else, or refused by
its carrier) fails the whole order with 409 INSUFFICIENT_INVENTORY listing the unavailable ones;
nothing is assigned or charged. Runs through the checkout engine (services/checkout.py).
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.services import wallet_preflight
from orbit_numbers.errors import InsufficientInventory, ValidationFailed
from orbit_numbers.models import ApiKey, Organization

from ..models import BulkReservation, Campaign, LineType, OwnedNumber, PhoneNumber
from .checkout import CheckoutResult, checkout_run, hold_rows
from .compliance import compliance_gate, compliance_profile_resolve
from .numbers import purchase_cost_cents

ORDER_MAX_NUMBERS = 100
# 10DLC is the US A2P regime for local (ten-digit long code) numbers.
CAMPAIGN_COUNTRIES = ("US",)
CAMPAIGN_LINE_TYPES = (LineType.LOCAL,)


def _insufficient(requested: int, unavailable: list[str]) -> InsufficientInventory:
    available = requested - len(unavailable)
    return InsufficientInventory(f"insufficient inventory: requested {requested}, available {available}",
                                 data={"available_count": available, "unavailable": unavailable})


def campaign_resolve(*, organization: Organization, campaign_id: str | None) -> Campaign | None:
    """The campaign must be this organisation's, ACTIVE, with a VERIFIED or VETTED_VERIFIED brand."""
    if not campaign_id:
        return None
    campaign = (Campaign.objects.select_related("brand")
                .filter(organization=organization, pk=campaign_id).first())
    if campaign is None:
        raise ValidationFailed.field("campaign_id", "no such campaign in this organisation")
    if campaign.status != Campaign.Status.ACTIVE:
        raise ValidationFailed.field("campaign_id", f"the campaign is {campaign.status}, not ACTIVE")
    if campaign.brand.organization_id != organization.pk or not campaign.brand.is_verified:
        raise ValidationFailed.field(
            "campaign_id", f"the campaign's brand identity is {campaign.brand.identity_status}, "
                           "not VERIFIED or VETTED_VERIFIED")
    return campaign


def number_order_create(*, organization: Organization, numbers: list[str], inbound_url: str | None = None,
                        status_url: str | None = None, label: str = "", campaign_id: str | None = None,
                        compliance_profile_id: str | None = None, acting_key: ApiKey | None = None,
                        acting_user=None) -> list[OwnedNumber]:
    """Assign exactly ``numbers`` to the organisation and charge setup + first month for each.

    Not @transaction.atomic: the carrier phase runs between two transactions (see checkout.py);
    a carrier refusal releases every number the other carriers already gave us. A regulated number
    without a covering approved compliance profile refuses the order (422 COMPLIANCE_REQUIRED) before
    anything is held or charged."""
    if not 1 <= len(numbers) <= ORDER_MAX_NUMBERS or len(set(numbers)) != len(numbers):
        raise ValueError(f"an order takes 1-{ORDER_MAX_NUMBERS} distinct numbers")
    campaign = campaign_resolve(organization=organization, campaign_id=campaign_id)
    compliance_profile_resolve(organization=organization, compliance_profile_id=compliance_profile_id)
    now = timezone.now()

    with transaction.atomic():
        locked = {row.e164: row for row in PhoneNumber.objects.select_for_update(of=("self",), skip_locked=True)
                  .filter(e164__in=numbers).order_by("id")}
        unavailable = [e164 for e164 in numbers if e164 not in locked or not locked[e164].is_sellable(now=now)]
        if unavailable:
            raise _insufficient(len(numbers), unavailable)
        rows = sorted(locked.values(), key=lambda row: row.pk)
        if campaign is not None:
            outside = [row.e164 for row in rows
                       if row.country not in CAMPAIGN_COUNTRIES or row.line_type not in CAMPAIGN_LINE_TYPES]
            if outside:
                raise ValidationFailed.field("campaign_id", "10DLC campaigns apply to US local numbers only, not "
                                                            + ", ".join(outside))
        pools: dict = {}
        for row in rows:
            pools.setdefault((row.country, row.line_type), []).append(row.e164)
        compliance = compliance_gate(organization=organization, pools=pools,
                                     compliance_profile_id=compliance_profile_id, now=now)
        wallet_preflight(organization=organization, amount_cents=sum(purchase_cost_cents(row) for row in rows))
        reservation, held = hold_rows(organization=organization, rows=rows, purpose=BulkReservation.Purpose.ORDER,
                                      status=BulkReservation.Status.FINALIZING, now=now,
                                      compliance_profile=compliance.given)

    checkout = checkout_run(
        reservation=reservation, items=held, organization=organization, compliance=compliance,
        source=OwnedNumber.Source.ORDER, audit_action="number.order",
        audit_after={"numbers": list(numbers), "campaign_id": campaign.pk if campaign else None},
        number_fields={"webhook_url": inbound_url or None, "status_url": status_url or None, "label": label,
                       "campaign": campaign},
        all_or_nothing_error=lambda failed: _insufficient(len(numbers), [o.item.e164 for o in failed]),
        respond=lambda result: _in_request_order(result, numbers), acting_key=acting_key, acting_user=acting_user)
    return checkout.value


def _in_request_order(checkout: CheckoutResult, numbers: list[str]) -> list[OwnedNumber]:
    by_e164 = {number.e164: number for number in checkout.numbers}
    return [by_e164[e164] for e164 in numbers]
