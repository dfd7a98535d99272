"""Number health and reputation: usage ingest, the health score, the warming plan, reputation alerts.

Usage. A record is one owned number's totals for one UTC day. Merge rule: the counters a record
carries replace the stored ones for that day, the counters it leaves out are kept (the SMS feed
and the voice feed may report the same day separately), so re-sending a record changes nothing.

Score. 0-100, the sum of the points of six factors over the last ``HEALTH_WINDOW_DAYS`` days:
delivery rate, answer rate, complaint rate, spam flags, volume against the warming cap, and the
number's age with its owner. Each factor is worth its weight (``HEALTH_WEIGHTS``) times a quality
between 0 and 1; a factor with no traffic to judge keeps its full points (a quiet number is not a
bad one). Ported-in numbers bring their reputation with them: no warming, fully seasoned.

Alerts. A computation that lowers a score by ``REPUTATION_DROP_ALERT_POINTS`` or more, or leaves it
below ``REPUTATION_SCORE_FLOOR``, opens a ReputationAlert (one open per number, a partial unique
constraint) and emits ``number.reputation_dropped``; the alert resolves, with
``number.reputation_recovered``, once a score reaches its ``recovery_score``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import Organization
from orbit_numbers.services import audit_entry, audit_record_many
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import USAGE_COUNTERS, NumberHealth, NumberUsageDay, OwnedNumber, ReputationAlert

USAGE_MAX_RECORDS = 1000
COUNTER_MAX = 2_147_483_647  # a PostgreSQL integer

# Quality ramps: (value at which a factor earns nothing, value at which it earns its full weight).
DELIVERY_RAMP = (0.80, 0.98)
ANSWER_RAMP = (0.10, 0.50)
COMPLAINT_RAMP = (0.01, 0.001)  # complaints per message or call: 1 % earns nothing, 0.1 % everything
SPAM_FLAGS_AT_ZERO = 5
WARMING_RAMP = (2.0, 1.0)  # the worst day's volume / its cap: at the cap full points, twice the cap none

FACTOR_LABELS = {
    "delivery_rate": "Delivery rate", "answer_rate": "Answer rate", "complaint_rate": "Complaint rate",
    "spam_flags": "Spam flags", "warming": "Volume vs warming cap", "age": "Number age"}


# --- the warming plan ---------------------------------------------------------------------------


def warming_exempt(number: OwnedNumber) -> bool:
    return number.source == OwnedNumber.Source.PORT_IN


def daily_cap(*, started_on: date, day: date, exempt: bool = False) -> int | None:
    """The message cap of ``day`` for a number whose tenure began ``started_on``; None: unrestricted."""
    plan = settings.ORBIT["WARMING_PLAN"]
    index = (day - started_on).days
    if exempt or not 0 <= index < len(plan):
        return None
    return plan[index]


def warming_status(*, started_on: date, today: date, sent_today: int, exempt: bool = False) -> dict:
    """``{in_warming, day, daily_cap, sent_today, next_cap, ends_on}`` as the health answer reports it.
    ``day`` is the day of the tenure (1 on the day it began); ``ends_on`` the last capped day."""
    plan = settings.ORBIT["WARMING_PLAN"]
    if exempt or not plan:
        return {"in_warming": False, "day": None, "daily_cap": None, "sent_today": sent_today,
                "next_cap": None, "ends_on": None}
    day = (today - started_on).days + 1
    cap = daily_cap(started_on=started_on, day=today)
    return {"in_warming": cap is not None, "day": day, "daily_cap": cap, "sent_today": sent_today,
            "next_cap": daily_cap(started_on=started_on, day=today + timedelta(days=1)) if cap is not None else None,
            "ends_on": started_on + timedelta(days=len(plan) - 1)}


# --- the score ------------------------------------------------------------------------------------


def _quality(value: float, ramp: tuple[float, float]) -> float:
    """0 at ``ramp[0]``, 1 at ``ramp[1]``, linear between (either direction), clamped."""
    bad, good = ramp
    return max(0.0, min(1.0, (value - bad) / (good - bad)))


def _factor(key: str, value, quality: float, detail: str) -> dict:
    weight = settings.ORBIT["HEALTH_WEIGHTS"][key]
    return {"factor": key, "label": FACTOR_LABELS[key], "value": value, "weight": weight,
            "points": round(weight * quality, 1), "detail": detail}


@dataclass(frozen=True)
class HealthAssessment:
    score: int
    factors: list[dict]


def health_assess(*, started_on: date, exempt: bool, days: list[NumberUsageDay], today: date) -> HealthAssessment:
    """Score one number from its usage ``days`` (those of the window). Pure: no queries."""
    totals = {name: sum(getattr(day, name) for day in days) for name in USAGE_COUNTERS}
    factors = []

    settled = totals["messages_delivered"] + totals["messages_failed"]
    if settled:
        rate = totals["messages_delivered"] / settled
        factors.append(_factor("delivery_rate", round(rate, 4), _quality(rate, DELIVERY_RAMP),
                               f"{totals['messages_delivered']} of {settled} messages delivered"))
    else:
        factors.append(_factor("delivery_rate", None, 1.0, "no delivery receipts in the window"))

    if totals["calls_placed"]:
        rate = min(1.0, totals["calls_answered"] / totals["calls_placed"])
        factors.append(_factor("answer_rate", round(rate, 4), _quality(rate, ANSWER_RAMP),
                               f"{totals['calls_answered']} of {totals['calls_placed']} calls answered"))
    else:
        factors.append(_factor("answer_rate", None, 1.0, "no calls placed in the window"))

    contacts = totals["messages_sent"] + totals["calls_placed"]
    if contacts:
        rate = totals["complaints"] / contacts
        factors.append(_factor("complaint_rate", round(rate, 5), _quality(rate, COMPLAINT_RAMP),
                               f"{totals['complaints']} complaints over {contacts} messages and calls"))
    else:
        factors.append(_factor("complaint_rate", None, 1.0 if not totals["complaints"] else 0.0,
                               f"{totals['complaints']} complaints, no traffic in the window"))

    flags = totals["spam_flags"]
    factors.append(_factor("spam_flags", flags, max(0.0, 1 - flags / SPAM_FLAGS_AT_ZERO),
                           f"{flags} spam flags in the window"))

    worst, worst_day = None, None
    for day in days:
        cap = daily_cap(started_on=started_on, day=day.day, exempt=exempt)
        if cap is not None and (worst is None or day.messages_sent / cap > worst):
            worst, worst_day = day.messages_sent / cap, day
    if worst is None:
        factors.append(_factor("warming", None, 1.0, "no capped days in the window"))
    elif worst <= 1:
        factors.append(_factor("warming", round(worst, 3), 1.0, "within the warming caps"))
    else:
        cap = daily_cap(started_on=started_on, day=worst_day.day)
        factors.append(_factor("warming", round(worst, 3), _quality(worst, WARMING_RAMP),
                               f"{worst_day.messages_sent} sent on {worst_day.day.isoformat()} against a cap of {cap}"))

    seasoned = settings.ORBIT["HEALTH_SEASONED_DAYS"]
    age = max(0, (today - started_on).days)
    if exempt:
        factors.append(_factor("age", age, 1.0, "ported in with its history"))
    else:
        factors.append(_factor("age", age, min(1.0, age / seasoned) if seasoned else 1.0,
                               f"{age} days with you (seasoned at {seasoned})"))

    score = max(0, min(100, round(sum(factor["points"] for factor in factors))))
    return HealthAssessment(score=score, factors=factors)


def window_start(today: date) -> date:
    return today - timedelta(days=settings.ORBIT["HEALTH_WINDOW_DAYS"] - 1)


def tenure_start(number: OwnedNumber) -> date:
    return timezone.localdate(number.created_at, dt_timezone.utc)


def utc_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now(), dt_timezone.utc)


# --- computing and storing scores, opening and resolving alerts ----------------------------------


@dataclass
class HealthRunResult:
    scored: int = 0
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def number_health_compute(*, number_ids: list[str] | None = None, now: datetime | None = None,
                          batch_size: int | None = None, acting_user=None, acting_key=None) -> HealthRunResult:
    """Score live numbers (``number_ids``, or all of them) in batches of ``HEALTH_BATCH_SIZE``, one
    transaction and a constant number of queries per batch (plus one webhook row per alert)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ORBIT["HEALTH_BATCH_SIZE"]
    result = HealthRunResult()
    live = OwnedNumber.objects.live().order_by("pk")
    if number_ids is not None:
        live = live.filter(pk__in=list(number_ids))
    last = ""
    while True:
        ids = list(live.filter(pk__gt=last).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        _health_batch_compute(number_ids=ids, now=now, result=result, acting_user=acting_user, acting_key=acting_key)
        last = ids[-1]
    if number_ids is None:
        _alerts_of_gone_numbers_resolve(now=now, result=result, acting_user=acting_user, acting_key=acting_key)
    return result


def _recovery_score(*, score_before: int | None, dropped: bool) -> int:
    floor, margin = settings.ORBIT["REPUTATION_SCORE_FLOOR"], settings.ORBIT["REPUTATION_RECOVERY_MARGIN"]
    target = floor + margin
    if dropped and score_before is not None:
        target = max(target, score_before - margin)
    return min(100, target)


def _worst_factors(factors: list[dict], count: int = 3) -> list[dict]:
    lost = sorted(factors, key=lambda factor: factor["points"] - factor["weight"])
    return [factor for factor in lost[:count] if factor["points"] < factor["weight"]]


@transaction.atomic
def _health_batch_compute(*, number_ids: list[str], now: datetime, result: HealthRunResult, acting_user,
                          acting_key) -> None:
    today = utc_today(now)
    start = window_start(today)
    drop_points, floor = settings.ORBIT["REPUTATION_DROP_ALERT_POINTS"], settings.ORBIT["REPUTATION_SCORE_FLOOR"]
    # Locked in id order: a concurrent computation of the same numbers (beat and an ingest) waits.
    numbers = list(OwnedNumber.objects.live().select_for_update(of=("self",)).filter(pk__in=number_ids)
                   .order_by("pk").only("id", "organization_id", "e164", "created_at", "source"))
    days: dict[str, list[NumberUsageDay]] = {}
    for day in NumberUsageDay.objects.filter(number_id__in=number_ids, day__gte=start, day__lte=today):
        days.setdefault(day.number_id, []).append(day)
    stored = NumberHealth.objects.in_bulk(number_ids)
    open_alerts = {alert.number_id: alert for alert in
                   ReputationAlert.objects.filter(number_id__in=number_ids, resolved_at__isnull=True)}

    healths, new_alerts, resolved, audits, events = [], [], [], [], []
    for number in numbers:
        exempt = warming_exempt(number)
        assessment = health_assess(started_on=tenure_start(number), exempt=exempt, days=days.get(number.pk, []),
                                   today=today)
        old = stored.get(number.pk)
        score = assessment.score
        # previous_score is the score before the last change: hourly runs that change nothing keep it.
        previous = old.previous_score if old is not None and old.score == score else (old.score if old else None)
        healths.append(NumberHealth(number_id=number.pk, organization_id=number.organization_id, score=score,
                                    previous_score=previous, factors=assessment.factors, computed_at=now))
        dropped = old is not None and old.score - score >= drop_points
        below = score < floor
        alert = open_alerts.get(number.pk)
        if alert is None and (dropped or below):
            reason = (ReputationAlert.Reason.BOTH if dropped and below else
                      ReputationAlert.Reason.DROP if dropped else ReputationAlert.Reason.FLOOR)
            score_before = old.score if old is not None else None
            alert = ReputationAlert(number_id=number.pk, organization_id=number.organization_id, reason=reason,
                                    score_before=score_before, score_at_open=score,
                                    recovery_score=_recovery_score(score_before=score_before, dropped=dropped),
                                    factors_at_open=_worst_factors(assessment.factors), opened_at=now)
            new_alerts.append((number, alert))
        elif alert is not None and score >= alert.recovery_score:
            alert.resolved_at, alert.score_at_resolve = now, score
            resolved.append((number, alert))

    NumberHealth.objects.bulk_create(healths, update_conflicts=True, unique_fields=["number"],
                                     update_fields=["organization", "score", "previous_score", "factors",
                                                    "computed_at"])
    if new_alerts:
        ReputationAlert.objects.bulk_create([alert for _number, alert in new_alerts])
    if resolved:
        ReputationAlert.objects.bulk_update([alert for _number, alert in resolved],
                                            ["resolved_at", "score_at_resolve"])
    for number, alert in new_alerts:
        audits.append(_alert_audit("reputation_alert.open", number, alert, acting_user, acting_key))
        events.append((number, "number.reputation_dropped", alert_payload(number, alert)))
    for number, alert in resolved:
        audits.append(_alert_audit("reputation_alert.resolve", number, alert, acting_user, acting_key))
        events.append((number, "number.reputation_recovered", alert_payload(number, alert)))
    audit_record_many(entries=audits)
    organizations = Organization.objects.in_bulk({number.organization_id for number, _type, _data in events})
    for number, event_type, data in events:
        webhook_event_emit(organization=organizations[number.organization_id], event_type=event_type, data=data)
    result.scored += len(healths)
    result.opened.extend(alert.pk for _number, alert in new_alerts)
    result.resolved.extend(alert.pk for _number, alert in resolved)


def _alert_audit(action: str, number: OwnedNumber, alert: ReputationAlert, acting_user, acting_key):
    entry = audit_entry(action=action, acting_user=acting_user, acting_key=acting_key, target=alert,
                        after={"number_id": number.pk, "reason": alert.reason, "score_before": alert.score_before,
                               "score_at_open": alert.score_at_open, "recovery_score": alert.recovery_score,
                               "score_at_resolve": alert.score_at_resolve})
    entry.organization_id = number.organization_id
    return entry


def alert_payload(number: OwnedNumber, alert: ReputationAlert) -> dict:
    """The webhook body (``data``) of number.reputation_dropped and number.reputation_recovered."""
    return {"number_id": number.pk, "phone_number": number.e164, "alert_id": alert.pk, "reason": alert.reason,
            "score": alert.score_at_resolve if alert.resolved_at else alert.score_at_open,
            "score_before": alert.score_before, "recovery_score": alert.recovery_score,
            "floor": settings.ORBIT["REPUTATION_SCORE_FLOOR"], "factors": alert.factors_at_open,
            "opened_at": alert.opened_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None}


@transaction.atomic
def _alerts_of_gone_numbers_resolve(*, now: datetime, result: HealthRunResult, acting_user, acting_key) -> None:
    """A released number's alert is nobody's concern any more: resolve it (no webhook: not theirs now)."""
    gone = list(ReputationAlert.objects.select_for_update().filter(resolved_at__isnull=True)
                .filter(number__status=OwnedNumber.Status.RELEASED).select_related("number"))
    if not gone:
        return
    for alert in gone:
        alert.resolved_at = now
    ReputationAlert.objects.bulk_update(gone, ["resolved_at"])
    audit_record_many(entries=[_alert_audit("reputation_alert.resolve", alert.number, alert, acting_user, acting_key)
                               for alert in gone])
    result.resolved.extend(alert.pk for alert in gone)


# --- usage ingest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageRecord:
    """One number's counters for one day, as a feed or the API sends it. ``ref`` names the record in
    errors ("records.3", "line 7"); counters not sent are absent from ``counters``."""

    ref: str
    day: date
    counters: dict[str, int]
    number_id: str | None = None
    phone_number: str | None = None


@dataclass
class UsageIngestResult:
    received: int = 0
    created: int = 0
    replaced: int = 0
    number_ids: list[str] = field(default_factory=list)
    rejected: dict[str, dict[str, str]] = field(default_factory=dict)


def usage_record_problems(record: UsageRecord, *, today: date) -> dict[str, str]:
    """What is wrong with a record on its own (field → message): the day, the counters."""
    problems: dict[str, str] = {}
    if (record.number_id is None) == (record.phone_number is None):
        problems["number_id"] = "send number_id or phone_number (one of them)"
    oldest = today - timedelta(days=settings.ORBIT["USAGE_MAX_AGE_DAYS"])
    if record.day > today:
        problems["date"] = f"is in the future (today is {today.isoformat()} UTC)"
    elif record.day < oldest:
        problems["date"] = f"is more than {settings.ORBIT['USAGE_MAX_AGE_DAYS']} days ago (oldest {oldest.isoformat()})"
    counters = record.counters
    if not counters:
        problems["counters"] = f"send at least one of {', '.join(USAGE_COUNTERS)}"
    for name, value in counters.items():
        if name not in USAGE_COUNTERS:
            problems[name] = "unknown counter"
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COUNTER_MAX:
            problems[name] = f"must be a whole number from 0 to {COUNTER_MAX}"
    if problems:
        return problems
    if {"messages_sent", "messages_delivered", "messages_failed"} <= counters.keys() and (
            counters["messages_delivered"] + counters["messages_failed"] > counters["messages_sent"]):
        problems["messages_delivered"] = "messages_delivered + messages_failed cannot exceed messages_sent"
    for part, whole in (("messages_delivered", "messages_sent"), ("messages_failed", "messages_sent"),
                        ("calls_answered", "calls_placed")):
        if {part, whole} <= counters.keys() and counters[part] > counters[whole]:
            problems.setdefault(part, f"cannot exceed {whole}")
    return problems


@transaction.atomic
def number_usage_ingest(*, records: list[UsageRecord], organization: Organization | None = None,
                        source: str = NumberUsageDay.Source.API, partial: bool = False, now: datetime | None = None,
                        acting_user=None, acting_key=None) -> UsageIngestResult:
    """Store usage counters (merge rule in the module docstring) in one bulk upsert per set of counters
    sent, then rescore the numbers after commit.

    With ``organization`` only its live numbers are accepted (another's is "not a number of this
    organisation", exactly like an unknown one); without it (the staff feed) any live number.
    ``partial=False`` (the API): any bad record refuses the whole request with 422, details per record.
    ``partial=True`` (feeds): bad records are reported in ``rejected`` and the rest is stored.
    """
    from .. import tasks

    now = now or timezone.now()
    today = utc_today(now)
    result = UsageIngestResult(received=len(records))
    if not partial and not 1 <= len(records) <= USAGE_MAX_RECORDS:
        raise ValidationFailed.field("records", f"must be a list of 1-{USAGE_MAX_RECORDS} records")

    ids = {record.number_id for record in records if record.number_id}
    e164s = {record.phone_number for record in records if record.phone_number}
    numbers = OwnedNumber.objects.live().filter(Q(pk__in=ids) | Q(e164__in=e164s)).only(
        "id", "e164", "organization_id", "created_at")
    if organization is not None:
        numbers = numbers.filter(organization=organization)
    by_id, by_e164 = {}, {}
    for number in numbers:
        by_id[number.pk], by_e164[number.e164] = number, number

    accepted: list[tuple[OwnedNumber, UsageRecord]] = []
    seen: set[tuple[str, date]] = set()
    for record in records:
        problems = usage_record_problems(record, today=today)
        number = None
        if "number_id" not in problems:
            key = "number_id" if record.number_id else "phone_number"
            number = by_id.get(record.number_id) if record.number_id else by_e164.get(record.phone_number)
            if number is None:
                problems[key] = ("not a number of this organisation" if organization is not None
                                 else "not a live number")
            elif "date" not in problems and record.day < tenure_start(number):
                problems["date"] = f"is before the number became yours ({tenure_start(number).isoformat()})"
            elif (number.pk, record.day) in seen:
                problems["date"] = "this number and day are already in this batch"
        if problems:
            result.rejected[record.ref] = problems
            continue
        seen.add((number.pk, record.day))
        accepted.append((number, record))
    if result.rejected and not partial:
        details = {f"{ref}.{name}": message for ref, problems in result.rejected.items()
                   for name, message in problems.items()}
        first = next(iter(details))
        raise ValidationFailed(f"{first}: {details[first]}", details=details)
    if not accepted:
        return result

    existing = set(NumberUsageDay.objects.filter(
        number_id__in={number.pk for number, _ in accepted}, day__in={record.day for _, record in accepted})
        .values_list("number_id", "day"))
    groups: dict[tuple[str, ...], list[NumberUsageDay]] = {}
    for number, record in accepted:
        sent = tuple(name for name in USAGE_COUNTERS if name in record.counters)
        groups.setdefault(sent, []).append(NumberUsageDay(number_id=number.pk, day=record.day, source=source,
                                                          updated_at=now, **record.counters))
        if (number.pk, record.day) in existing:
            result.replaced += 1
        else:
            result.created += 1
    for sent, rows in groups.items():
        NumberUsageDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=["number", "day"],
                                           update_fields=[*sent, "source", "updated_at"])

    result.number_ids = sorted({number.pk for number, _ in accepted})
    per_organization: dict[int, list[tuple[OwnedNumber, UsageRecord]]] = {}
    for number, record in accepted:
        per_organization.setdefault(number.organization_id, []).append((number, record))
    entries = []
    for organization_id, rows in per_organization.items():
        entry = audit_entry(action="number_usage.ingest", acting_user=acting_user, acting_key=acting_key,
                            object_type="inventory.numberusageday", after={
                                "source": source, "records": len(rows),
                                "numbers": len({number.pk for number, _ in rows}),
                                "first_day": min(record.day for _, record in rows).isoformat(),
                                "last_day": max(record.day for _, record in rows).isoformat()})
        entry.organization_id = organization_id
        entries.append(entry)
    audit_record_many(entries=entries)
    number_ids = result.number_ids
    transaction.on_commit(lambda: tasks.compute_number_health.delay(number_ids=number_ids))
    return result
