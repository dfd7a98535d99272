"""Trial numbers: staff set numbers aside in a trial pool and give trial organisations an
allowance; a trial organisation borrows a number for free, converts it into a paid number (the
same number and tenure), or loses it when the loan expires.

Pool numbers are kept provisioned at their carrier by the platform, so lending and reclaiming
make no carrier call and a loan is an ordinary tenure (source ``trial``, monthly 0): routing,
configuration and the number list work as for any number. Money moves only at conversion (setup
+ first month at the inventory price). Renewals never charge a loan: its monthly price is 0 and
its paid-until covers the whole loan (see ``_paid_through``).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.services import wallet_charge
from orbit_numbers.errors import Conflict, Forbidden, InsufficientInventory, NotFound, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.notifications import organization_notify
from orbit_numbers.services import audit_record

from ..models import (ComplianceAction, InventoryStatus, NumberRoute, OwnedNumber, PhoneNumber, SmsRouteType,
                      TrialAllowance, TrialLoan, TrialPoolNumber)
from .carrier_releases import rows_awaiting_release
from .compliance import pool_profile_required
from .numbers import billing_cycle_end, number_snapshot, purchase_charges

logger = logging.getLogger(__name__)

MAX_LOAN_DAYS = 90
MAX_TRIAL_NUMBERS = 20
SWEEP_BATCH = 200


# --- staff: the pool and the allowances ---------------------------------------------------------------


@transaction.atomic
def trial_pool_add(*, phone_number_ids: Sequence[int], acting_user=None) -> list[TrialPoolNumber]:
    """Set sellable inventory rows aside for trial loans (they leave sale), all or none."""
    ids = sorted(set(phone_number_ids))
    if not ids:
        raise ValidationFailed.field("phone_number_ids", "select at least one number")
    now = timezone.now()
    rows = list(PhoneNumber.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {row.pk for row in rows})
    if missing:
        raise NotFound(f"No such inventory rows: {', '.join(map(str, missing))}.", details={"phone_number_ids": missing})
    pooled = set(TrialPoolNumber.objects.filter(phone_number_id__in=ids).values_list("phone_number_id", flat=True))
    awaiting = set(rows_awaiting_release().filter(phone_number_id__in=ids).values_list("phone_number_id", flat=True))
    problems = {}
    for row in rows:
        if row.pk in pooled:
            problems[row.e164] = "is in the trial pool already"
        elif not row.is_sellable(now=now) or row.pk in awaiting:
            problems[row.e164] = "is not on sale"
        elif pool_profile_required(country=row.country, line_type=row.line_type, action=ComplianceAction.PURCHASE):
            problems[row.e164] = f"is a regulated {row.country} {row.line_type} number (trials need no profile)"
    if problems:
        raise Conflict("Cannot add to the trial pool: " + "; ".join(f"{k} {v}" for k, v in problems.items()) + ".",
                       details=problems)
    PhoneNumber.objects.filter(pk__in=ids).update(status=InventoryStatus.RESERVED, updated_at=now)
    entries = TrialPoolNumber.objects.bulk_create([TrialPoolNumber(phone_number=row, added_by=acting_user
                                                                   if getattr(acting_user, "is_authenticated", False)
                                                                   else None) for row in rows])
    for row in rows:
        audit_record(action="trial.pool_add", acting_user=acting_user, target=row, after={"e164": row.e164})
    return entries


@transaction.atomic
def trial_pool_remove(*, pool_number_ids: Sequence[int], acting_user=None) -> int:
    """Take numbers out of the trial pool, back on sale (after any rest they are in); all or none."""
    entries = list(TrialPoolNumber.objects.filter(pk__in=set(pool_number_ids)).select_related("phone_number"))
    if not entries:
        raise ValidationFailed.field("pool_number_ids", "select at least one pool number")
    row_ids = sorted(entry.phone_number_id for entry in entries)
    list(PhoneNumber.objects.select_for_update(of=("self",)).filter(pk__in=row_ids).order_by("pk"))
    lent = set(OwnedNumber.objects.live().filter(phone_number_id__in=row_ids).values_list("e164", flat=True))
    if lent:
        raise Conflict(f"On loan now (wait for the loan to end): {', '.join(sorted(lent))}.",
                       details={"lent": sorted(lent)})
    now = timezone.now()
    PhoneNumber.objects.filter(pk__in=row_ids, status=InventoryStatus.RESERVED).update(
        status=InventoryStatus.AVAILABLE, updated_at=now)
    TrialPoolNumber.objects.filter(pk__in=[entry.pk for entry in entries]).delete()
    for entry in entries:
        audit_record(action="trial.pool_remove", acting_user=acting_user, target=entry.phone_number,
                     after={"e164": entry.phone_number.e164})
    return len(entries)


def trial_allowance_problems(*, max_numbers: int | None, loan_days: int | None,
                             active_until: datetime | None) -> dict[str, str]:
    """Field → reason for every value an allowance cannot take (the console form shows the same)."""
    problems = {}
    if max_numbers is None or not 1 <= max_numbers <= MAX_TRIAL_NUMBERS:
        problems["max_numbers"] = f"must be between 1 and {MAX_TRIAL_NUMBERS}"
    if loan_days is None or not 1 <= loan_days <= MAX_LOAN_DAYS:
        problems["loan_days"] = f"must be between 1 and {MAX_LOAN_DAYS}"
    if active_until is None:
        problems["active_until"] = "is required"
    return problems


@transaction.atomic
def trial_allowance_set(*, organization: Organization, max_numbers: int, loan_days: int, active_until: datetime,
                        note: str = "", acting_user=None) -> TrialAllowance:
    """Create or change an organisation's trial allowance (open loans keep their expiry)."""
    problems = trial_allowance_problems(max_numbers=max_numbers, loan_days=loan_days, active_until=active_until)
    if problems:
        raise ValidationFailed("Invalid trial allowance: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
                               details=problems)
    allowance = TrialAllowance.objects.select_for_update(of=("self",)).filter(organization=organization).first()
    before = None
    if allowance is None:
        allowance = TrialAllowance(organization=organization)
    else:
        before = {"max_numbers": allowance.max_numbers, "loan_days": allowance.loan_days,
                  "active_until": allowance.active_until.isoformat()}
    allowance.max_numbers, allowance.loan_days, allowance.active_until = max_numbers, loan_days, active_until
    allowance.note = note[:200]
    allowance.save()
    audit_record(action="trial.allowance_set", organization=organization, acting_user=acting_user,
                 target=allowance, before=before,
                 after={"max_numbers": max_numbers, "loan_days": loan_days, "active_until": active_until.isoformat()})
    return allowance


# --- tenants: borrow, convert ---------------------------------------------------------------------------


def _paid_through(*, started_at: datetime, until: datetime) -> datetime:
    """The first billing anniversary of ``started_at`` at or after ``until``: a loan's paid-until, so
    renewals find nothing due while it lasts (and paid_until stays an anniversary, as they expect)."""
    end = billing_cycle_end(started_at=started_at, now=started_at)
    while end < until:
        end = billing_cycle_end(started_at=started_at, now=end)
    return end


@transaction.atomic
def trial_number_borrow(*, organization: Organization, country: str | None = None, line_type: str | None = None,
                        acting_key: ApiKey | None = None, acting_user=None) -> TrialLoan:
    """Lend one pool number to a trial organisation, free, until its allowance's loan period ends."""
    now = timezone.now()
    # The allowance row serialises one organisation's borrows: the open-loan count below holds.
    allowance = TrialAllowance.objects.select_for_update(of=("self",)).filter(organization=organization).first()
    if allowance is None or allowance.active_until <= now:
        raise Forbidden("Your organisation has no active trial allowance.")
    open_loans = TrialLoan.objects.filter(organization=organization, status=TrialLoan.Status.ACTIVE).count()
    if open_loans >= allowance.max_numbers:
        raise Conflict(f"Your trial allows {allowance.max_numbers} number(s) at once; convert or wait for one to end.",
                       details={"max_numbers": allowance.max_numbers, "open_loans": open_loans})
    rows = (PhoneNumber.objects.filter(trial_pool__isnull=False, status=InventoryStatus.RESERVED)
            .filter(Q(aging_until__isnull=True) | Q(aging_until__lte=now))
            .exclude(pk__in=OwnedNumber.objects.live().values("phone_number_id"))
            .exclude(pk__in=rows_awaiting_release()))
    if country:
        rows = rows.filter(country=country)
    if line_type:
        rows = rows.filter(line_type=line_type)
    row = rows.select_for_update(of=("self",), skip_locked=True).order_by("pk").first()
    if row is None:
        raise InsufficientInventory("No trial number is free right now" + (" for that country/type" if country or
                                                                            line_type else "") + ".")
    number = OwnedNumber.objects.create(
        organization=organization, phone_number=row, e164=row.e164, status=OwnedNumber.Status.ACTIVE,
        source=OwnedNumber.Source.TRIAL, capabilities=row.capabilities, monthly_cents=0, setup_cents=0)
    expires_at = now + timedelta(days=allowance.loan_days)
    number.paid_until = _paid_through(started_at=number.created_at, until=expires_at)
    number.save(update_fields=["paid_until"])
    NumberRoute.objects.create(number=number)
    PhoneNumber.objects.filter(pk=row.pk).update(status=InventoryStatus.ASSIGNED, aging_until=None, updated_at=now)
    loan = TrialLoan.objects.create(organization=organization, pool_number=row.trial_pool, number=number,
                                    e164=row.e164, lent_at=now, expires_at=expires_at)
    audit_record(action="trial.lend", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=number, after={"loan_id": loan.pk, "e164": row.e164, "expires_at": expires_at.isoformat()})
    organization_notify(organization=organization, event_type="trial.number_lent",
                        data={"number_id": number.pk, "phone_number": number.e164,
                              "expires_at": expires_at.isoformat()},
                        subject=f"Trial number {number.e164}",
                        body=f"{number.e164} is lent to you free of charge until {expires_at:%Y-%m-%d %H:%M} UTC.")
    return loan


@transaction.atomic
def trial_number_convert(*, organization: Organization, number_id: str, acting_key: ApiKey | None = None,
                         acting_user=None) -> OwnedNumber:
    """Turn a trial loan into a paid number: same tenure and number; setup + first month charged at the
    inventory price now, renewals from here on."""
    found = OwnedNumber.objects.filter(organization=organization, pk=number_id).live().values("phone_number_id").first()
    if found is None:
        raise NotFound("No such number.")
    now = timezone.now()
    # Lock order: the inventory row, the owned number, the loan, the wallet.
    row = PhoneNumber.objects.select_for_update(of=("self",)).get(pk=found["phone_number_id"])
    number = (OwnedNumber.objects.select_for_update(of=("self",)).filter(organization=organization, pk=number_id)
              .live().first())
    loan = (TrialLoan.objects.select_for_update(of=("self",)).filter(number_id=number_id,
                                                                      status=TrialLoan.Status.ACTIVE).first()
            if number is not None else None)
    if number is None:
        raise NotFound("No such number.")
    if loan is None:
        raise Conflict(f"{number.e164} is not a trial number (or was converted already).")
    wallet_charge(organization=organization, charges=purchase_charges(row, number.pk), acting_key=acting_key,
                  acting_user=acting_user)
    before = {"monthly_cents": 0, "paid_until": number.paid_until.isoformat() if number.paid_until else None}
    number.monthly_cents, number.setup_cents = row.monthly_cents, row.setup_cents
    # The first month is paid now: the billing anchor (created_at) starts today, like a purchase.
    number.created_at, number.paid_until = now, None
    number.save(update_fields=["monthly_cents", "setup_cents", "created_at", "paid_until", "updated_at"])
    loan.status, loan.ended_at, pool_entry_id = TrialLoan.Status.CONVERTED, now, loan.pool_number_id
    loan.pool_number = None
    loan.save(update_fields=["status", "ended_at", "pool_number"])
    # Sold: the number leaves the pool for good.
    TrialPoolNumber.objects.filter(pk=pool_entry_id).delete()
    audit_record(action="trial.convert", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=number, before=before, after={"loan_id": loan.pk, "monthly_cents": number.monthly_cents,
                                                      "charged_cents": row.monthly_cents + row.setup_cents})
    organization_notify(organization=organization, event_type="trial.number_converted",
                        data={"number_id": number.pk, "phone_number": number.e164,
                              "monthly_cents": number.monthly_cents},
                        subject=f"{number.e164} is now yours",
                        body=f"Your trial number {number.e164} is converted into a paid number.")
    return number


# --- ending loans: expiry (the beat job) and early return -------------------------------------------------


def _loan_end(*, loan: TrialLoan, number: OwnedNumber, status: str, now: datetime, acting_key=None,
              acting_user=None) -> None:
    """Close the loan's tenure (routing gone), put its number back in the pool to rest, audit, notify."""
    before = number_snapshot(number)
    number.status, number.released_at, number.billing_ends_at = OwnedNumber.Status.RELEASED, now, now
    number.save(update_fields=["status", "released_at", "billing_ends_at", "updated_at"])
    NumberRoute.objects.filter(number=number).update(type=None, config={}, sms_route_type=SmsRouteType.DISABLED,
                                                     sms_route_config={}, updated_at=now)
    # Back to the pool (off sale), after the same rest as any released number; out of the pool: on sale.
    back = InventoryStatus.RESERVED if loan.pool_number_id else InventoryStatus.AVAILABLE
    PhoneNumber.objects.filter(pk=number.phone_number_id).update(
        status=back, aging_until=now + timedelta(days=settings.ORBIT["RELEASE_AGING_DAYS"]), updated_at=now)
    loan.status, loan.ended_at = status, now
    loan.save(update_fields=["status", "ended_at"])
    audit_record(action=f"trial.{status}", organization=loan.organization, acting_key=acting_key,
                 acting_user=acting_user, target=number, before=before,
                 after={"loan_id": loan.pk, "expires_at": loan.expires_at.isoformat()})
    if status == TrialLoan.Status.RECLAIMED:
        organization_notify(organization=loan.organization, event_type="trial.number_reclaimed",
                            data={"number_id": number.pk, "phone_number": number.e164},
                            subject=f"Trial number {number.e164} ended",
                            body=f"Your trial of {number.e164} ended and the number was taken back.")


def trial_loan_return(*, organization: Organization, number: OwnedNumber, acting_key=None, acting_user=None) -> bool:
    """Called by number_release (inside its transaction, the number locked): a trial number is handed
    back to the pool, never released at its carrier. False when ``number`` is not on loan."""
    loan = (TrialLoan.objects.select_for_update(of=("self",)).select_related("organization")
            .filter(number=number, status=TrialLoan.Status.ACTIVE).first())
    if loan is None:
        return False
    _loan_end(loan=loan, number=number, status=TrialLoan.Status.RETURNED, now=timezone.now(), acting_key=acting_key,
              acting_user=acting_user)
    return True


def _reclaim_one(*, loan_id: str, now: datetime) -> bool:
    with transaction.atomic():
        loan = TrialLoan.objects.filter(pk=loan_id).values("number__phone_number_id").first()
        if loan is None:
            return False
        # Lock order: the inventory row, the owned number, the loan.
        PhoneNumber.objects.select_for_update(of=("self",)).filter(pk=loan["number__phone_number_id"]).first()
        loan = (TrialLoan.objects.select_for_update(of=("self",), skip_locked=True).select_related("organization")
                .filter(pk=loan_id, status=TrialLoan.Status.ACTIVE, expires_at__lte=now).first())
        if loan is None:  # converted, returned or taken by another run meanwhile
            return False
        number = OwnedNumber.objects.select_for_update(of=("self",)).get(pk=loan.number_id)
        _loan_end(loan=loan, number=number, status=TrialLoan.Status.RECLAIMED, now=now)
        return True


def trial_loans_reclaim_expired(*, now: datetime | None = None) -> dict:
    """The beat job: take back every expired loan (each in its own transaction: one failure does not
    hold up the rest) and warn, once, about loans expiring within TRIAL_EXPIRY_WARNING_HOURS."""
    now = now or timezone.now()
    due = list(TrialLoan.objects.filter(status=TrialLoan.Status.ACTIVE, expires_at__lte=now)
               .order_by("expires_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    reclaimed = 0
    for loan_id in due:
        try:
            reclaimed += _reclaim_one(loan_id=loan_id, now=now)
        except Exception:
            logger.exception("Reclaiming trial loan %s failed; retried next run", loan_id)
    horizon = now + timedelta(hours=settings.ORBIT["TRIAL_EXPIRY_WARNING_HOURS"])
    warned = 0
    for loan in (TrialLoan.objects.select_related("organization").filter(
            status=TrialLoan.Status.ACTIVE, warned_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon)
            .order_by("pk")[:SWEEP_BATCH]):
        with transaction.atomic():
            # Claimed by the update: a concurrent or redelivered run warns no one twice.
            if not TrialLoan.objects.filter(pk=loan.pk, warned_at__isnull=True).update(warned_at=now):
                continue
            organization_notify(organization=loan.organization, event_type="trial.number_expiring",
                                data={"number_id": loan.number_id, "phone_number": loan.e164,
                                      "expires_at": loan.expires_at.isoformat()},
                                subject=f"Trial number {loan.e164} expires soon",
                                body=f"Your trial of {loan.e164} ends at {loan.expires_at:%Y-%m-%d %H:%M} UTC; "
                                     f"convert it to keep the number.")
            warned += 1
    return {"reclaimed": reclaimed, "warned": warned}
