"""Port-Out Protection: the per-number PIN (set, rotate, disable) and the gate every port-out
passes before any carrier call, with its wrong-PIN lockout."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.models import OwnedNumber
from orbit_numbers.errors import NotFound, PortOutPinMismatch, RateLimited, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from .. import pins
from ..models import PortOutProtection


# ---------------------------------------------------------------------------------------------
# Port-out protection
# ---------------------------------------------------------------------------------------------


def _owned_number(organization: Organization, number_id: str, *, lock: bool = False) -> OwnedNumber:
    query = OwnedNumber.objects.live().filter(organization=organization, pk=number_id)
    if lock:
        query = query.select_for_update(of=("self",))
    number = query.first()
    if number is None:
        raise NotFound()
    return number


def validate_port_out_pin(pin: str, field: str = "port_out_pin") -> str:
    if not isinstance(pin, str) or not 4 <= len(pin) <= 32:
        raise ValidationFailed.field(field, "must be 4-32 characters")
    return pin


@transaction.atomic
def port_out_protection_set(*, organization: Organization, number_id: str, pin: str,
                            acting_key: ApiKey | None = None, acting_user=None) -> PortOutProtection:
    """Enable or rotate the PIN. Rotation also clears the wrong-PIN counter and any lock: only
    the number's owner (an API key of its organisation) can rotate."""
    validate_port_out_pin(pin)
    number = _owned_number(organization, number_id, lock=True)
    protection, _ = PortOutProtection.objects.select_for_update(of=("self",)).get_or_create(number=number)
    rotated = protection.enabled
    protection.pin_hash = pins.port_out_pin_hash(pin)
    protection.set_at = timezone.now()
    protection.failed_attempts, protection.window_started_at, protection.locked_until = 0, None, None
    protection.save()
    audit_record(action="port_out_protection.rotate" if rotated else "port_out_protection.enable",
                 organization=organization, acting_key=acting_key, acting_user=acting_user, target=number,
                 after={"enabled": True, "set_at": protection.set_at.isoformat()})
    return protection


@transaction.atomic
def port_out_protection_disable(*, organization: Organization, number_id: str, acting_key: ApiKey | None = None,
                                acting_user=None) -> PortOutProtection | None:
    number = _owned_number(organization, number_id, lock=True)
    protection = PortOutProtection.objects.select_for_update(of=("self",)).filter(number=number).first()
    if protection is not None and protection.enabled:
        protection.pin_hash, protection.set_at = "", None
        protection.failed_attempts, protection.window_started_at, protection.locked_until = 0, None, None
        protection.save()
        audit_record(action="port_out_protection.disable", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, target=number, after={"enabled": False})
    return protection


def port_out_pins_check(*, organization: Organization, numbers: list[OwnedNumber], pin: str | None,
                        acting_key: ApiKey | None = None, acting_user=None) -> None:
    """Gate every port-out before any carrier call. Unprotected numbers pass. A locked number is
    429 RATE_LIMITED (Retry-After: the lock's end), even with the right PIN; a missing or wrong
    PIN is 401 PORT_OUT_PIN_MISMATCH. Wrong PINs count towards the lock: PORT_OUT_PIN_MAX_FAILURES
    within PORT_OUT_PIN_WINDOW_MINUTES lock port-outs of that number for PORT_OUT_PIN_LOCK_MINUTES.
    The counters and their audit rows commit even though the request then fails."""
    config = settings.ORBIT
    mismatched: list[str] = []
    locked_until = None
    with transaction.atomic():
        protections = list(PortOutProtection.objects.select_for_update(of=("self",)).select_related("number")
                           .filter(number__in=numbers).exclude(pin_hash="").order_by("number_id"))
        now = timezone.now()
        for protection in protections:
            if protection.locked_until and protection.locked_until > now:
                locked_until = max(locked_until or protection.locked_until, protection.locked_until)
        if locked_until is None:
            for protection in protections:
                if not pin:
                    mismatched.append(protection.number.e164)
                    continue
                if pins.port_out_pin_matches(pin, protection.pin_hash):
                    continue
                mismatched.append(protection.number.e164)
                window = timedelta(minutes=config["PORT_OUT_PIN_WINDOW_MINUTES"])
                if protection.window_started_at is None or now - protection.window_started_at > window:
                    protection.window_started_at, protection.failed_attempts = now, 0
                protection.failed_attempts += 1
                audit_record(action="port_out_protection.pin_mismatch", organization=organization,
                             acting_key=acting_key, acting_user=acting_user, target=protection.number,
                             after={"failed_attempts": protection.failed_attempts})
                if protection.failed_attempts >= config["PORT_OUT_PIN_MAX_FAILURES"]:
                    protection.locked_until = now + timedelta(minutes=config["PORT_OUT_PIN_LOCK_MINUTES"])
                    protection.failed_attempts, protection.window_started_at = 0, None
                    audit_record(action="port_out_protection.locked", organization=organization,
                                 acting_key=acting_key, acting_user=acting_user, target=protection.number,
                                 after={"locked_until": protection.locked_until.isoformat()})
                protection.save(update_fields=["failed_attempts", "window_started_at", "locked_until",
                                               "updated_at"])
    if locked_until is not None:
        retry = max(int((locked_until - timezone.now()).total_seconds()), 1)
        raise RateLimited(f"Port-outs of this number are locked after repeated wrong port-out PINs; retry after "
                          f"{locked_until:%Y-%m-%d %H:%M:%S} UTC.", headers={"Retry-After": str(retry)})
    if mismatched:
        raise PortOutPinMismatch(f"Port-out PIN is missing or does not match for: {', '.join(mismatched)}.")
