"""The carrier-failure log the operations console shows ("what failed at the carriers today?")."""
from __future__ import annotations

from django.db import transaction

from orbit_numbers.models import Organization

from ..models import CarrierFailure


@transaction.atomic
def carrier_failure_record(*, provider: str, operation: str, e164: str = "", code: str = "", message: str = "",
                           organization: Organization | None = None) -> CarrierFailure:
    """Record one carrier failure.

    Call it once the failing business transaction has exited (its rollback would take the record
    with it), or from inside a transaction that commits anyway (e.g. a batch reporting failed rows).
    The row is itself the record of what happened, so no separate audit row is written.
    """
    return CarrierFailure.objects.create(provider=provider, operation=operation[:32], e164=e164[:16],
                                         code=(code or "")[:64], message=(message or "")[:500],
                                         organization=organization)


def carrier_failures_record_many(*, failures: list[dict], organization: Organization | None = None) -> int:
    """Record a batch's carrier refusals in one insert (a batch's query count never grows with its size).
    Each failure is a dict of provider, operation, e164, code, message."""
    if not failures:
        return 0
    CarrierFailure.objects.bulk_create([
        CarrierFailure(provider=f["provider"], operation=f["operation"][:32], e164=f.get("e164", "")[:16],
                       code=(f.get("code") or "")[:64], message=(f.get("message") or "")[:500],
                       organization=organization)
        for f in failures
    ])
    return len(failures)
