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
