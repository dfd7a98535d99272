"""Settling a port-in whose first month was deferred (wallet short at completion).

The deferred numbers start with ``paid_until = created_at``: their first cycle is due at once, and
the renewal run (inventory) collects it. Inventory does not know porting, so it tells its renewal
listeners which numbers it just paid (``renewal_listener_register``, wired in PortingConfig.ready);
this listener runs inside that organisation's renewal transaction and marks a deferred request
``charged`` once every one of its numbers has paid its first cycle, audited with it.
"""
from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from inventory.models import OwnedNumber
from orbit_numbers.services import audit_record

from ..models import PortRequest


def port_requests_settle_deferred(*, organization, numbers: list[OwnedNumber], acting_user=None) -> list[str]:
    """Mark deferred port requests among ``numbers``' charged when all their numbers have paid; returns their ids."""
    concerned = PortRequest.objects.filter(organization=organization, charge_status=PortRequest.ChargeStatus.DEFERRED,
                                           lines__owned_number__in=[number.pk for number in numbers]).values("pk")
    # Not locked up front: this runs after the renewal took the wallet lock, and the house order puts
    # port requests first. A completed request is not otherwise written with the wallet, and the
    # guarded UPDATE below settles it at most once.
    requests = list(PortRequest.objects.filter(pk__in=concerned).order_by("pk"))
    settled = []
    for port_request in requests:
        owned_ids = [owned for owned in port_request.lines.values_list("owned_number_id", flat=True) if owned]
        first_cycle_unpaid = OwnedNumber.objects.filter(pk__in=owned_ids).filter(
            Q(paid_until__isnull=True) | Q(paid_until__lte=F("created_at")))
        if first_cycle_unpaid.exists():
            continue  # collected number by number; the request settles when the last one pays
        if not PortRequest.objects.filter(pk=port_request.pk, charge_status=PortRequest.ChargeStatus.DEFERRED).update(
                charge_status=PortRequest.ChargeStatus.CHARGED, updated_at=timezone.now()):
            continue
        port_request.charge_status = PortRequest.ChargeStatus.CHARGED
        audit_record(action="port_in.charge_settled", organization=organization, acting_user=acting_user,
                     target=port_request, before={"charge_status": PortRequest.ChargeStatus.DEFERRED},
                     after={"charge_status": port_request.charge_status, "numbers": len(owned_ids)})
        settled.append(port_request.pk)
    return settled
