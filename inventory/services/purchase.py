"""Buy one number: a one-item hold through the checkout engine (services/checkout.py).

Phase 1 locks the row (SKIP LOCKED), checks it and the wallet and records the hold; the carrier
order runs with no transaction open; phase 3 assigns and charges. A slow carrier therefore holds
no row lock and no wallet lock: the organisation's other spends go on meanwhile.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.services import wallet_preflight
from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.models import ApiKey, Organization

from ..models import BulkReservation, OwnedNumber, PhoneNumber
from .checkout import Outcome, checkout_run, hold_rows
from .compliance import compliance_gate, compliance_profile_resolve
from .numbers import check_purchase_capabilities, enabled_capabilities, purchase_cost_cents
from .orders import campaign_resolve
from .ten_dlc import campaign_scope_check


def _carrier_refusal(failed: list[Outcome]) -> Conflict:
    outcome = failed[0] if failed else None
    if outcome is None:  # cannot happen for one item, but never raise a bare error
        return Conflict("The carrier could not provision the number.")
    item = outcome.item
    return Conflict(f"The carrier could not provision {item.e164}: {outcome.error_message}",
                    details={"provider": item.provider, "provider_code": outcome.provider_code})


def number_purchase(*, organization: Organization, phone_number: str, country_code: str = "US",
                    inventory_id: str | None = None, capabilities: list[str] | None = None,
                    compliance_profile_id: str | None = None, acting_key: ApiKey | None = None,
                    acting_user=None, campaign_id: str | None = None) -> OwnedNumber:
    """Buy one available number: order it at its carrier, assign it and charge setup + first month.
    A number that is not on sale is 409, a regulated one without a covering approved compliance
    profile 422 COMPLIANCE_REQUIRED and a short wallet 402 (nothing held or ordered either way), a
    carrier refusal 409 (nothing charged, the number back on sale).

    Not @transaction.atomic: the carrier call runs between two transactions (see checkout.py)."""
    # A campaign that is not usable (orders' checks) and an unknown profile id are 422 before the number is looked at.
    campaign = campaign_resolve(organization=organization, campaign_id=campaign_id)
    compliance_profile_resolve(organization=organization, compliance_profile_id=compliance_profile_id)
    now = timezone.now()
    with transaction.atomic():
        row = (PhoneNumber.objects.select_for_update(of=("self",), skip_locked=True)
               .filter(e164=phone_number).first())
        if row is None:
            if PhoneNumber.objects.filter(e164=phone_number).exists():  # locked by another buyer right now
                raise Conflict(f"{phone_number} is no longer available.")
            raise NotFound(f"{phone_number} is not in the inventory.")
        if not row.is_sellable(now=now):
            raise Conflict(f"{phone_number} is no longer available.")
        if row.country != country_code:
            raise ValidationFailed.field("country_code",
                                         f"{phone_number} is a {row.country} number, not {country_code}")
        if inventory_id and inventory_id != row.provider_ref:
            raise ValidationFailed.field("id", f"does not identify {phone_number}")
        check_purchase_capabilities(row, capabilities)
        campaign_scope_check(campaign=campaign, rows=[row])
        compliance = compliance_gate(organization=organization, pools={(row.country, row.line_type): [row.e164]},
                                     compliance_profile_id=compliance_profile_id, now=now)
        wallet_preflight(organization=organization, amount_cents=purchase_cost_cents(row))
        reservation, held = hold_rows(organization=organization, rows=[row], purpose=BulkReservation.Purpose.PURCHASE,
                                      status=BulkReservation.Status.FINALIZING, now=now,
                                      compliance_profile=compliance.profile_for(row.country, row.line_type))

    checkout = checkout_run(
        reservation=reservation, items=held, organization=organization, compliance=compliance,
        source=OwnedNumber.Source.PURCHASE, audit_action=None,
        number_fields={"capabilities": enabled_capabilities(row, capabilities), "campaign": campaign},
        all_or_nothing_error=_carrier_refusal, respond=lambda result: result.numbers[0],
        acting_key=acting_key, acting_user=acting_user)
    return checkout.value
