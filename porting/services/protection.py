"""Port-Out Protection: the per-number PIN (set, rotate, remove; a staff reset) and the gate
every port-out passes before any carrier call, with its wrong-PIN lockout.

Changing or removing a PIN presents the current one, through the same lockout as port-outs:
otherwise an API key that guessed wrong five times could simply remove the lock (and the PIN)
and port the number out. The only way around a lost PIN is the audited staff reset."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.models import OwnedNumber
from orbit_numbers.errors import NotFound, OrbitError, PortOutPinMismatch, RateLimited, ValidationFailed
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


def _lockout(locked_until: datetime) -> RateLimited:
    retry = max(int((locked_until - timezone.now()).total_seconds()), 1)
    return RateLimited(f"Port-outs of this number are locked after repeated wrong port-out PINs; retry after "
                       f"{locked_until:%Y-%m-%d %H:%M:%S} UTC.", headers={"Retry-After": str(retry)})


def _is_locked(protection: PortOutProtection, now: datetime) -> bool:
    return protection.locked_until is not None and protection.locked_until > now


def _count_failure(protection: PortOutProtection, *, now: datetime, organization: Organization,
                   acting_key: ApiKey | None, acting_user) -> None:
    """One more wrong PIN: PORT_OUT_PIN_MAX_FAILURES within PORT_OUT_PIN_WINDOW_MINUTES lock the
    number for PORT_OUT_PIN_LOCK_MINUTES. Saved and audited; the caller commits it before failing."""
    config = settings.ORBIT
    window = timedelta(minutes=config["PORT_OUT_PIN_WINDOW_MINUTES"])
    if protection.window_started_at is None or now - protection.window_started_at > window:
        protection.window_started_at, protection.failed_attempts = now, 0
    protection.failed_attempts += 1
    audit_record(action="port_out_protection.pin_mismatch", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=protection.number,
                 after={"failed_attempts": protection.failed_attempts})
    if protection.failed_attempts >= config["PORT_OUT_PIN_MAX_FAILURES"]:
        protection.locked_until = now + timedelta(minutes=config["PORT_OUT_PIN_LOCK_MINUTES"])
        protection.failed_attempts, protection.window_started_at = 0, None
        audit_record(action="port_out_protection.locked", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, target=protection.number,
                     after={"locked_until": protection.locked_until.isoformat()})
    protection.save(update_fields=["failed_attempts", "window_started_at", "locked_until", "updated_at"])


def _change_refused(protection: PortOutProtection, current_pin: str | None, *, organization: Organization,
                    acting_key: ApiKey | None, acting_user) -> OrbitError | None:
    """Why the PIN of a (locked) protection may not change now, or None. A lock refuses even the
    right PIN; a missing or wrong current PIN is a failed attempt (counted: a key trying to strip
    a PIN it does not know is the attack this guards against)."""
    now = timezone.now()
    if _is_locked(protection, now):
        return _lockout(protection.locked_until)
    if not protection.enabled:
        return None
    if current_pin and pins.port_out_pin_matches(current_pin, protection.pin_hash):
        return None
    _count_failure(protection, now=now, organization=organization, acting_key=acting_key, acting_user=acting_user)
    return PortOutPinMismatch("The current port-out PIN is missing or does not match.")


def port_out_protection_set(*, organization: Organization, number_id: str, pin: str, current_pin: str | None = None,
                            acting_key: ApiKey | None = None, acting_user=None) -> PortOutProtection:
    """Enable the PIN, or rotate it by presenting the current one (current_pin). Rotation keeps
    the wrong-PIN counter; it is refused while the number is locked.

    Not one @transaction.atomic: a refused attempt's counter and audit rows commit, then it fails."""
    validate_port_out_pin(pin)
    with transaction.atomic():
        number = _owned_number(organization, number_id, lock=True)
        protection, _ = PortOutProtection.objects.select_for_update(of=("self",)).get_or_create(number=number)
        refusal = _change_refused(protection, current_pin, organization=organization, acting_key=acting_key,
                                  acting_user=acting_user)
        if refusal is None:
            rotated = protection.enabled
            protection.pin_hash = pins.port_out_pin_hash(pin)
            protection.set_at = timezone.now()
            protection.save()
            audit_record(action="port_out_protection.rotate" if rotated else "port_out_protection.enable",
                         organization=organization, acting_key=acting_key, acting_user=acting_user, target=number,
                         after={"enabled": True, "set_at": protection.set_at.isoformat()})
            return protection
    raise refusal


def port_out_protection_disable(*, organization: Organization, number_id: str, pin: str | None = None,
                                acting_key: ApiKey | None = None, acting_user=None) -> PortOutProtection | None:
    """Remove the PIN by presenting it (pin); refused while the number is locked. Not one
    @transaction.atomic, like port_out_protection_set."""
    with transaction.atomic():
        number = _owned_number(organization, number_id, lock=True)
        protection = PortOutProtection.objects.select_for_update(of=("self",)).filter(number=number).first()
        if protection is None:
            return None
        refusal = _change_refused(protection, pin, organization=organization, acting_key=acting_key,
                                  acting_user=acting_user)
        if refusal is None:
            if protection.enabled:
                protection.pin_hash, protection.set_at = "", None
                protection.failed_attempts, protection.window_started_at = 0, None
                protection.save()
                audit_record(action="port_out_protection.disable", organization=organization,
                             acting_key=acting_key, acting_user=acting_user, target=number,
                             after={"enabled": False})
            return protection
    raise refusal


@transaction.atomic
def port_out_protection_reset(*, protection_id: int, reason: str, acting_user) -> PortOutProtection:
    """Staff reset of a lost PIN (the customer proved ownership out of band): the PIN, the
    wrong-PIN counter and any lock are cleared, with the reason audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "is required")
    protection = (PortOutProtection.objects.select_for_update(of=("self",)).select_related("number")
                  .filter(pk=protection_id).first())
    if protection is None:
        raise NotFound()
    before = {"enabled": protection.enabled, "failed_attempts": protection.failed_attempts,
              "locked_until": protection.locked_until.isoformat() if protection.locked_until else None}
    protection.pin_hash, protection.set_at = "", None
    protection.failed_attempts, protection.window_started_at, protection.locked_until = 0, None, None
    protection.save()
    audit_record(action="port_out_protection.reset", organization=protection.number.organization,
                 acting_user=acting_user, target=protection.number, before=before,
                 after={"enabled": False, "locked_until": None, "reason": reason[:1000]})
    return protection


def port_out_pins_check(*, organization: Organization, numbers: list[OwnedNumber], pin: str | None,
                        acting_key: ApiKey | None = None, acting_user=None) -> None:
    """Gate every port-out before any carrier call. Unprotected numbers pass. A locked number is
    429 RATE_LIMITED (Retry-After: the lock's end), even with the right PIN; a missing or wrong
    PIN is 401 PORT_OUT_PIN_MISMATCH. Wrong PINs count towards the lock (a missing one does not:
    a client unaware of the protection is no guess). The counters and their audit rows commit
    even though the request then fails."""
    mismatched: list[str] = []
    locked_until = None
    with transaction.atomic():
        protections = list(PortOutProtection.objects.select_for_update(of=("self",)).select_related("number")
                           .filter(number__in=numbers).exclude(pin_hash="").order_by("number_id"))
        now = timezone.now()
        for protection in protections:
            if _is_locked(protection, now):
                locked_until = max(locked_until or protection.locked_until, protection.locked_until)
        if locked_until is None:
            for protection in protections:
                if pin and pins.port_out_pin_matches(pin, protection.pin_hash):
                    continue
                mismatched.append(protection.number.e164)
                if pin:
                    _count_failure(protection, now=now, organization=organization, acting_key=acting_key,
                                   acting_user=acting_user)
    if locked_until is not None:
        raise _lockout(locked_until)
    if mismatched:
        raise PortOutPinMismatch(f"Port-out PIN is missing or does not match for: {', '.join(mismatched)}.")
