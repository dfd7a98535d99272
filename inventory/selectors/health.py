"""Number health reads: a tenant's scores (worst first), one number's health with its warming plan."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from orbit_numbers.errors import NotFound
from orbit_numbers.models import Organization

from ..models import NumberHealth, NumberUsageDay, OwnedNumber, ReputationAlert
from ..services.health import health_assess, tenure_start, utc_today, warming_exempt, warming_status, window_start


def open_alert_exists() -> Exists:
    return Exists(ReputationAlert.objects.filter(number_id=OuterRef("number_id"), resolved_at__isnull=True))


def number_health_list(*, organization: Organization) -> QuerySet[NumberHealth]:
    """The organisation's scored live numbers (index health_org_worst_first), each with ``alert_open``."""
    return (NumberHealth.objects.filter(organization=organization).exclude(number__status=OwnedNumber.Status.RELEASED)
            .select_related("number").annotate(alert_open=open_alert_exists()))


def number_health_get(*, organization: Organization, number_id: str, now: datetime | None = None) -> dict:
    """One live number's health: the stored score, or one computed now if the batch has not scored it
    yet (``computed_at`` tells which), today's warming status and the open alert."""
    now = now or timezone.now()
    number = OwnedNumber.objects.live().filter(organization=organization, pk=number_id).first()
    if number is None:
        raise NotFound("No such number.")
    today = utc_today(now)
    exempt = warming_exempt(number)
    started_on = tenure_start(number)
    health = NumberHealth.objects.filter(pk=number.pk).first()
    if health is None:
        days = list(NumberUsageDay.objects.filter(number=number, day__gte=window_start(today), day__lte=today))
        assessment = health_assess(started_on=started_on, exempt=exempt, days=days, today=today)
        sent_today = next((day.messages_sent for day in days if day.day == today), 0)
        score, previous, factors, computed_at = assessment.score, None, assessment.factors, now
    else:
        sent_today = (NumberUsageDay.objects.filter(number=number, day=today)
                      .values_list("messages_sent", flat=True).first() or 0)
        score, previous, factors, computed_at = (health.score, health.previous_score, health.factors,
                                                 health.computed_at)
    alert = ReputationAlert.objects.filter(number=number, resolved_at__isnull=True).first()
    return {"number_id": number.pk, "phone_number": number.e164, "score": score, "previous_score": previous,
            "computed_at": computed_at, "factors": factors,
            "warming": warming_status(started_on=started_on, today=today, sent_today=sent_today, exempt=exempt),
            "alert": alert}
