"""Inventory writes: configure and release numbers, and the pricing/compliance rules every
purchase path shares (the purchase itself is services/purchase.py, through the checkout engine).

Lock order, everywhere in this app: inventory rows (by id), then owned numbers, then the
wallet. Money and inventory change in one transaction or not at all.
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import LedgerEntry
from billing.services import Charge
from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from ..models import CAPABILITY_FIELDS, CarrierRelease, InventoryStatus, OwnedNumber, PhoneNumber
from .carrier_releases import (ReleaseOrder, carrier_releases_perform_on_commit, carrier_releases_record,
                               rows_awaiting_release)
from .compliance import compliance_profile_resolve, number_action, pool_profile_required
from .number_events import number_released_emit

# Purchase-time capabilities and what the inventory row must support for each.
PURCHASE_CAPABILITY_NEEDS = {
    "sms": ("cap_sms",),
    "voice": ("cap_voice",),
    "whatsapp": ("cap_sms", "cap_voice"),  # WhatsApp verifies by SMS or a call: either will do
    "rcs": ("cap_sms",),
}


def number_snapshot(number: OwnedNumber) -> dict:
    """The audited view of a number's configuration (never secrets)."""
    return {
        "status": number.status, "label": number.label, "capabilities": list(number.capabilities),
        "forwarding_number": number.forwarding_number, "sms_forwarding": number.sms_forwarding,
        "webhook_url": number.webhook_url, "compliance_profile_id": number.compliance_profile_id,
        "campaign_id": number.campaign_id, "tags": list(number.tags), "channel_config": number.channel_config,
    }


def enabled_capabilities(row: PhoneNumber, requested: list[str] | None) -> list[str]:
    """What the new number starts with: the requested purchase capabilities plus what the carrier
    provisions anyway (mms/fax ride along with the line)."""
    base = row.capabilities
    if not requested:
        return base
    extra = [cap for cap in requested if cap not in base]
    return base + extra


def purchase_cost_cents(row: PhoneNumber) -> int:
    return row.setup_cents + row.monthly_cents


def purchase_charges(row: PhoneNumber, number_id: str) -> list[Charge]:
    reference = f"number:{number_id}"
    charges = [Charge(LedgerEntry.Kind.MONTHLY_FEE, row.monthly_cents, f"First month {row.e164}", reference)]
    if row.setup_cents:
        charges.insert(0, Charge(LedgerEntry.Kind.SETUP_FEE, row.setup_cents, f"Setup {row.e164}", reference))
    return charges


def check_purchase_capabilities(row: PhoneNumber, requested: list[str] | None) -> None:
    for capability in requested or []:
        needs = PURCHASE_CAPABILITY_NEEDS[capability]
        if not any(getattr(row, flag) for flag in needs):
            raise ValidationFailed.field("capabilities", f"{row.e164} does not support {capability}")


def billing_cycle_end(*, started_at: datetime, now: datetime) -> datetime:
    """The end of the monthly cycle (anchored on the purchase day) that contains ``now``."""
    def add_months(moment: datetime, months: int) -> datetime:
        month_index = moment.month - 1 + months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)

    months = (now.year - started_at.year) * 12 + (now.month - started_at.month)
    end = add_months(started_at, max(months, 0))
    while end <= now:
        months += 1
        end = add_months(started_at, months)
    return end


@transaction.atomic
def number_release(*, organization: Organization, number_id: str, acting_key: ApiKey | None = None,
                   acting_user=None, reason: str = "customer",
                   billing_ends_at: datetime | None = None) -> OwnedNumber:
    """Take a number off the customer's list now; billing stops at the cycle end; the number ages
    before it returns to inventory.

    ``reason`` (number_events.RELEASE_REASONS) goes into the number.released event;
    ``billing_ends_at`` overrides the cycle end (an unpaid number's billing ends where its payments did).

    The carrier hands it back after this commits (the release outbox, services/carrier_releases.py):
    recorded here, performed by a worker with no transaction open, retried until confirmed. The
    aged number returns to inventory only once the carrier has confirmed."""
    number = (OwnedNumber.objects.select_for_update(of=("self",)).select_related("phone_number")
              .filter(organization=organization, pk=number_id).live().first())
    if number is None:
        raise NotFound()
    if number.status == OwnedNumber.Status.PORTING_OUT:
        raise Conflict("A number that is porting out cannot be released.")
    if number.source == OwnedNumber.Source.TRIAL:
        from .trial import trial_loan_return  # trial imports this module

        # A trial loan goes back to the pool: its number stays at the carrier.
        if trial_loan_return(organization=organization, number=number, acting_key=acting_key,
                             acting_user=acting_user):
            return number
    before = number_snapshot(number)
    now = timezone.now()
    number.status = OwnedNumber.Status.RELEASED
    number.released_at = now
    number.billing_ends_at = billing_ends_at or billing_cycle_end(started_at=number.created_at, now=now)
    number.save(update_fields=["status", "released_at", "billing_ends_at", "updated_at"])
    PhoneNumber.objects.filter(pk=number.phone_number_id).update(
        aging_until=now + timedelta(days=settings.ORBIT["RELEASE_AGING_DAYS"]), updated_at=now)
    releases = carrier_releases_record(orders=[ReleaseOrder(
        provider=number.phone_number.provider,
        e164=number.e164, provider_order_id=number.provider_order_id, phone_number_id=number.phone_number_id)],
        reason=CarrierRelease.Reason.RELEASED, organization_id=organization.pk, now=now)
    carrier_releases_perform_on_commit(releases)
    audit_record(action="number.release", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=number, before=before, after={"status": number.status,
                                                      "billing_ends_at": number.billing_ends_at.isoformat()})
    number_released_emit(organization=organization, number=number, reason=reason)
    return number


@transaction.atomic
def aged_numbers_return(*, now: datetime | None = None) -> int:
    """Released numbers whose aging period is over go back on sale, once their carrier release is
    confirmed (a pending release reaches the carrier by number: it must not meet a new buyer)."""
    now = now or timezone.now()
    live = OwnedNumber.objects.live().values("phone_number_id")
    return (PhoneNumber.objects.filter(status=InventoryStatus.ASSIGNED, aging_until__lte=now)
            .exclude(pk__in=live).exclude(pk__in=rows_awaiting_release())
            .update(status=InventoryStatus.AVAILABLE, aging_until=None, updated_at=now))


# Capabilities a customer may toggle on an owned number (PUT); whatsapp/rcs are registered at purchase.
TOGGLEABLE_CAPABILITIES = ("sms", "mms", "voice", "fax")
_LOCKED_STATUSES = (OwnedNumber.Status.REGULATORY_HOLD, OwnedNumber.Status.PORTING_OUT,
                    OwnedNumber.Status.SUSPENDED)
_LOCKED_HINTS = {
    OwnedNumber.Status.REGULATORY_HOLD: "attach an approved compliance profile covering its country to release the hold",
    OwnedNumber.Status.PORTING_OUT: "wait for the port-out to finish",
    OwnedNumber.Status.SUSPENDED: "top up the wallet: it is reactivated once its renewal is paid",
}


def _capabilities_change(number: OwnedNumber, row: PhoneNumber, requested: list[str]) -> list[str]:
    current = set(number.capabilities)
    wanted = set(requested)
    if ("fax" in wanted) != ("fax" in current):
        raise ValidationFailed.field(
            "capabilities", "fax (T.38) is fixed when the number is provisioned and cannot be toggled")
    unsupported = [cap for cap in TOGGLEABLE_CAPABILITIES
                   if cap in wanted - current and not getattr(row, CAPABILITY_FIELDS[cap])]
    if unsupported:
        raise ValidationFailed.field(
            "capabilities", f"the carrier line of {number.e164} does not support {', '.join(unsupported)}")
    kept = [cap for cap in number.capabilities if cap not in TOGGLEABLE_CAPABILITIES]
    return [cap for cap in TOGGLEABLE_CAPABILITIES if cap in wanted] + kept


@transaction.atomic
def number_update(*, organization: Organization, number_id: str, changes: dict, acting_key: ApiKey | None = None,
                  acting_user=None) -> OwnedNumber:
    """Apply a customer's configuration change; only the keys in ``changes`` are touched.

    ``changes`` holds validated values (label, status, capabilities, forwarding_number, sms_forwarding,
    webhook_url, compliance_profile_id, campaign_id, tags, channel_config). Attaching an approved profile that
    covers the number's country releases a regulatory hold; a number in a regulated country that is
    in service may not be left without such a profile.
    """
    number = (OwnedNumber.objects.select_for_update(of=("self",)).select_related("phone_number")
              .filter(organization=organization, pk=number_id).live().first())
    if number is None:
        raise NotFound("No such number.")
    # auto_renew and release_at are lifecycle settings with their own rules, events and audit.
    lifecycle_changes = {key: changes[key] for key in ("auto_renew", "release_at") if key in changes}
    changes = {key: value for key, value in changes.items() if key not in lifecycle_changes}
    row = number.phone_number
    before = number_snapshot(number)

    for field in ("forwarding_number", "sms_forwarding"):
        if changes.get(field) and changes[field] == number.e164:
            raise ValidationFailed.field(field, "must not be the number itself")
    if "capabilities" in changes:
        number.capabilities = _capabilities_change(number, row, changes["capabilities"])
    for field in ("label", "forwarding_number", "sms_forwarding", "tags", "channel_config"):
        if field in changes:
            setattr(number, field, changes[field])
    if "webhook_url" in changes:
        number.webhook_url = changes["webhook_url"] or None

    if "compliance_profile_id" in changes:
        profile = compliance_profile_resolve(organization=organization,
                                             compliance_profile_id=changes["compliance_profile_id"])
        action = number_action(number.source)
        covered = profile is not None and profile.covers(row.country, row.line_type, action)
        regulated = pool_profile_required(country=row.country, line_type=row.line_type, action=action)
        if regulated and not covered and number.status in (OwnedNumber.Status.ACTIVE, OwnedNumber.Status.INACTIVE,
                                                           OwnedNumber.Status.SUSPENDED):
            raise Conflict(f"{number.e164} is a regulated {row.country} {row.line_type} number: it must keep an "
                           f"approved compliance profile covering it; attach another one instead.")
        number.compliance_profile = profile
        if number.status == OwnedNumber.Status.REGULATORY_HOLD and covered:
            number.status = OwnedNumber.Status.ACTIVE

    if "campaign_id" in changes:
        from .orders import campaign_resolve  # orders imports this module

        number.campaign = campaign_resolve(organization=organization, campaign_id=changes["campaign_id"])

    if "status" in changes and changes["status"] != number.status:
        if number.status in _LOCKED_STATUSES:
            hint = _LOCKED_HINTS[number.status]
            raise Conflict(f"The status of {number.e164} cannot be changed while it is {number.status}; {hint}.")
        number.status = changes["status"]

    after = number_snapshot(number)
    if after != before:
        number.save(update_fields=[
            "status", "label", "capabilities", "forwarding_number", "sms_forwarding", "webhook_url",
            "compliance_profile", "campaign", "tags", "channel_config", "updated_at"])
        audit_record(action="number.update", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, target=number,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})
    if lifecycle_changes:
        from .lifecycle import number_lifecycle_configure  # lifecycle imports this module

        number_lifecycle_configure(organization=organization, number=number, changes=lifecycle_changes,
                                   acting_key=acting_key, acting_user=acting_user)
    return number
