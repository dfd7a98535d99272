"""Monthly renewals: each owned number pays its monthly fee at every anniversary of its purchase.

A number's first month is charged when it is bought (or ported in). After that, this service
charges one MONTHLY_FEE ledger line per cycle that has come due, and advances ``paid_until`` by
exactly one cycle per line. ``paid_until`` is always an anniversary computed from ``created_at``
(NULL = the first anniversary), so periods never drift or overlap.

Per organisation, one transaction, committed on its own: a failure in one organisation is logged
and the run goes on with the next (the failed one is retried next run). The due numbers are
locked with SKIP LOCKED (two concurrent runs never charge the same cycle twice: the second finds
the rows locked or already advanced), then the wallet. Running twice charges nothing twice. A wallet that cannot pay everything pays the oldest dues first; a number left
unpaid is marked ``renewal_failed_at`` and suspended (inbound routing paused), and retried on every
run (and soon after a credit, services/lifecycle.py); paid in full it is active again, and after
RENEWAL_GRACE_DAYS unpaid it is released (billing already stopped at its paid cycle end); its carrier release is recorded and
performed after the commit (services/carrier_releases.py). A number with ``auto_renew`` off is not
charged again: it is released when its paid cycle ends. Each step is a webhook event, and each run
one mail per organisation (services/number_events.py).

Higher apps learn which numbers were paid through ``renewal_listener_register`` (porting settles a
deferred first-month charge of a port-in this way); inventory never imports them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.models import LedgerEntry
from billing.services import Charge, wallet_charge, wallet_lock
from orbit_numbers.models import Organization
from orbit_numbers.services import audit_entry, audit_record, audit_record_many

from ..models import OwnedNumber
from .number_events import LifecycleNotice, money, number_event_data
from .numbers import billing_cycle_end, number_release

logger = logging.getLogger(__name__)

# Every month has at least 28 days: a cheap SQL pre-filter for numbers still on their first cycle.
_SHORTEST_MONTH = timedelta(days=28)

# Called inside an organisation's renewal transaction as listener(organization=…, numbers=[paid
# OwnedNumbers, paid_until advanced], acting_user=…); what they write commits with the charge.
_renewal_listeners: list[Callable[..., None]] = []


def renewal_listener_register(listener: Callable[..., None]) -> None:
    """Register (once) a function to hear about paid renewals; called from an AppConfig.ready()."""
    if listener not in _renewal_listeners:
        _renewal_listeners.append(listener)


@dataclass
class RenewalResult:
    organizations: int = 0
    numbers_charged: int = 0
    cycles_charged: int = 0
    charged_cents: int = 0
    unpaid: list[str] = field(default_factory=list)  # e164 of numbers whose renewal could not be paid
    released: list[str] = field(default_factory=list)  # e164 released after the grace period
    failed_organizations: list[int] = field(default_factory=list)  # rolled back; retried next run

    def merge(self, other: "RenewalResult") -> None:
        self.organizations += other.organizations
        self.numbers_charged += other.numbers_charged
        self.cycles_charged += other.cycles_charged
        self.charged_cents += other.charged_cents
        self.unpaid += other.unpaid
        self.released += other.released
        self.failed_organizations += other.failed_organizations


def paid_until_of(number: OwnedNumber) -> datetime:
    """The end of the cycle paid so far: stored, or the first anniversary (paid at creation)."""
    if number.paid_until is not None:
        return number.paid_until
    return billing_cycle_end(started_at=number.created_at, now=number.created_at)


def due_cycles(number: OwnedNumber, *, now: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) of every cycle that has begun by ``now`` and is not paid yet, oldest first."""
    cycles = []
    start = paid_until_of(number)
    while start <= now:
        end = billing_cycle_end(started_at=number.created_at, now=start)
        cycles.append((start, end))
        start = end
    return cycles


def renewals_due(*, now: datetime, organization: Organization | None = None) -> QuerySet[OwnedNumber]:
    """Numbers (not released) with at least one unpaid cycle begun by ``now``; a superset for numbers
    on their first cycle, which ``due_cycles`` settles exactly."""
    qs = OwnedNumber.objects.live().filter(
        Q(paid_until__lte=now) | Q(paid_until__isnull=True, created_at__lte=now - _SHORTEST_MONTH))
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs


def number_renewals_charge(*, now: datetime | None = None, acting_user=None) -> RenewalResult:
    """Charge every organisation's due renewals, each in its own transaction: one organisation's
    failure rolls back only its own charges."""
    now = now or timezone.now()
    result = RenewalResult()
    organization_ids = list(renewals_due(now=now).order_by().values_list("organization_id", flat=True).distinct())
    for organization in Organization.objects.filter(pk__in=organization_ids).order_by("pk"):
        try:
            result.merge(organization_renewals_charge(organization=organization, now=now, acting_user=acting_user))
        except Exception:
            logger.exception("Renewals of organisation %s failed; rolled back, retried next run", organization.pk)
            result.failed_organizations.append(organization.pk)
    return result


@transaction.atomic
def organization_renewals_charge(*, organization: Organization, now: datetime, acting_user=None) -> RenewalResult:
    result = RenewalResult(organizations=1)
    numbers = list(renewals_due(now=now, organization=organization)
                   .select_for_update(of=("self",), skip_locked=True).order_by("pk"))
    dues = [(number, due_cycles(number, now=now)) for number in numbers]
    dues = [(number, cycles) for number, cycles in dues if cycles]
    if not dues:
        return result
    notice = LifecycleNotice(organization=organization)
    # auto_renew off: the paid cycle has ended, so the number goes instead of being charged again.
    not_renewed = [number for number, _ in dues if not number.auto_renew]
    dues = [(number, cycles) for number, cycles in dues if number.auto_renew]
    for number in not_renewed:
        if number.status == OwnedNumber.Status.PORTING_OUT:
            continue  # the port-out ends the tenure
        number_release(organization=organization, number_id=number.pk, acting_user=acting_user,
                       reason="not_renewed", billing_ends_at=paid_until_of(number))
        notice.add(None, None, f"{number.e164} was released at the end of its paid cycle (auto-renew is off).",
                   counted_as="number.released")
        result.released.append(number.e164)
    if not dues:
        notice.send()
        return result
    wallet = wallet_lock(organization=organization)
    available = wallet.balance_cents
    charges: list[Charge] = []
    paid: list[OwnedNumber] = []
    unpaid: list[OwnedNumber] = []
    audits = []
    # Oldest dues first: the number that has waited longest is paid before a newer one.
    for number, cycles in sorted(dues, key=lambda due: (due[1][0][0], due[0].pk)):
        affordable = min(len(cycles), available // number.monthly_cents) if number.monthly_cents else len(cycles)
        for start, end in cycles[:affordable]:
            charges.append(Charge(LedgerEntry.Kind.MONTHLY_FEE, number.monthly_cents,
                                  f"Monthly fee {number.e164} {start:%Y-%m-%d} to {end:%Y-%m-%d}",
                                  f"number:{number.pk}"))
        available -= affordable * number.monthly_cents
        if affordable:
            before = paid_until_of(number)
            number.paid_until = cycles[affordable - 1][1]
            paid.append(number)
            result.numbers_charged += 1
            result.cycles_charged += affordable
            result.charged_cents += affordable * number.monthly_cents
            audits.append(audit_entry(action="number.renew", organization=organization, acting_user=acting_user,
                                      target=number, before={"paid_until": before.isoformat()},
                                      after={"paid_until": number.paid_until.isoformat(), "cycles": affordable,
                                             "charged_cents": affordable * number.monthly_cents}))
            notice.add("number.renewed", number_event_data(
                number, paid_until=number.paid_until.isoformat(), cycles=affordable,
                charged_cents=affordable * number.monthly_cents),
                f"{number.e164} renewed: {money(affordable * number.monthly_cents)} for {affordable} month(s), "
                f"paid until {number.paid_until:%Y-%m-%d}.")
        if affordable < len(cycles):
            unpaid.append(number)
    if charges:
        wallet_charge(organization=organization, charges=charges, wallet=wallet, acting_user=acting_user)
    for number in paid:
        if number not in unpaid:
            number.renewal_failed_at = None
            if number.status == OwnedNumber.Status.SUSPENDED:
                # Paid in full again: back in service, routing resumes.
                number.status = OwnedNumber.Status.ACTIVE
                audits.append(audit_entry(action="number.reactivate", organization=organization,
                                          acting_user=acting_user, target=number,
                                          before={"status": OwnedNumber.Status.SUSPENDED},
                                          after={"status": number.status}))
                notice.add("number.reactivated", number_event_data(number, paid_until=number.paid_until.isoformat()),
                           f"{number.e164} is active again: its renewal is paid.")
    OwnedNumber.objects.bulk_update(paid, ["paid_until", "renewal_failed_at", "status"])
    if paid:
        for listener in _renewal_listeners:
            listener(organization=organization, numbers=paid, acting_user=acting_user)

    grace = timedelta(days=settings.ORBIT["RENEWAL_GRACE_DAYS"])
    newly_failed = [number for number in unpaid if number.renewal_failed_at is None]
    for number in newly_failed:
        number.renewal_failed_at = now
        audits.append(audit_entry(action="number.renewal_failed", organization=organization,
                                  acting_user=acting_user, target=number,
                                  after={"paid_until": paid_until_of(number).isoformat(),
                                         "monthly_cents": number.monthly_cents,
                                         "balance_cents": wallet.balance_cents}))
        notice.add("number.renewal_failed", number_event_data(
            number, paid_until=paid_until_of(number).isoformat(), monthly_cents=number.monthly_cents,
            balance_cents=wallet.balance_cents, release_after=(now + grace).isoformat()),
            f"{number.e164}: the renewal of {money(number.monthly_cents)} could not be paid "
            f"(wallet balance {money(wallet.balance_cents)}).")
    OwnedNumber.objects.filter(pk__in=[number.pk for number in newly_failed]).update(renewal_failed_at=now)
    # Unpaid and in service: suspended (inbound routing paused) until paid. A number on regulatory
    # hold or porting out keeps its status; it is released after the grace period all the same.
    suspended = [number for number in unpaid
                 if number.status in (OwnedNumber.Status.ACTIVE, OwnedNumber.Status.INACTIVE)]
    for number in suspended:
        release_after = number.renewal_failed_at + grace
        audits.append(audit_entry(action="number.suspend", organization=organization, acting_user=acting_user,
                                  target=number, before={"status": number.status},
                                  after={"status": OwnedNumber.Status.SUSPENDED,
                                         "release_after": release_after.isoformat()}))
        number.status = OwnedNumber.Status.SUSPENDED
        notice.add("number.suspended", number_event_data(number, reason="renewal_failed",
                                                         release_after=release_after.isoformat()),
                   f"{number.e164} is suspended: inbound calls and messages are paused. Top up the wallet "
                   f"before {release_after:%Y-%m-%d %H:%M} UTC or the number is released.")
    OwnedNumber.objects.filter(pk__in=[number.pk for number in suspended]).update(
        status=OwnedNumber.Status.SUSPENDED, updated_at=now)
    audit_record_many(entries=audits)
    result.unpaid = [number.e164 for number in unpaid]

    for number in unpaid:
        if number.renewal_failed_at <= now - grace and number.status != OwnedNumber.Status.PORTING_OUT:
            # Billing ended where the payments did, not at the end of the current cycle.
            number_release(organization=organization, number_id=number.pk, acting_user=acting_user,
                           reason="unpaid", billing_ends_at=paid_until_of(number))
            audit_record(action="number.release_unpaid", organization=organization, acting_user=acting_user,
                         target=number, after={"renewal_failed_at": number.renewal_failed_at.isoformat(),
                                               "grace_days": grace.days})
            notice.add(None, None, f"{number.e164} was released: its renewal stayed unpaid for {grace.days} days.",
                       counted_as="number.released")
            result.released.append(number.e164)
    notice.send()
    return result
