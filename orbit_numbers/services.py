"""Kernel writes: organisations, API keys, audit rows, idempotency housekeeping."""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .api_key_secrets import secret_check, secret_hash
from .context import current_request_id
from .client_ip import address_in_networks, network_within, normalise_networks, parse_network
from .errors import Conflict, Forbidden, IpNotAllowed, ValidationFailed
from .models import SCOPES, ApiKey, AuditLog, IdempotencyRecord, Organization, scope_grant_codename
from .prepared import PreparedLookup

KEY_PREFIX = "orb_live_"
logger = logging.getLogger(__name__)


def audit_entry(*, action: str, organization: Organization | None = None, acting_user=None,
                acting_key: ApiKey | None = None, target: Any = None, object_type: str = "",
                object_id: str = "", before: dict | None = None, after: dict | None = None) -> AuditLog:
    """An unsaved audit row; audit_record saves one, audit_record_many inserts a batch at once."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    return AuditLog(
        action=action, organization=organization,
        acting_user=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        acting_key=acting_key, object_type=object_type, object_id=object_id,
        before=before, after=after, request_id=current_request_id.get(),
    )


def audit_record(*, action: str, organization: Organization | None = None, acting_user=None,
                 acting_key: ApiKey | None = None, target: Any = None, object_type: str = "",
                 object_id: str = "", before: dict | None = None, after: dict | None = None) -> AuditLog:
    entry = audit_entry(action=action, organization=organization, acting_user=acting_user, acting_key=acting_key,
                        target=target, object_type=object_type, object_id=object_id, before=before, after=after)
    entry.save(force_insert=True)
    return entry


def audit_record_many(*, entries: list[AuditLog]) -> list[AuditLog]:
    """Insert many audit rows (built with audit_entry) in one statement: batch services stay O(1) in queries."""
    return AuditLog.objects.bulk_create(entries) if entries else []


@transaction.atomic
def organization_get_or_create(*, name: str, acting_user=None) -> tuple[Organization, bool]:
    organization, created = Organization.objects.get_or_create(name=name)
    if created:
        audit_record(action="organization.create", organization=organization, acting_user=acting_user,
                     target=organization, after={"name": name})
    return organization, created


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed.field("scopes", f"unknown scope(s): {', '.join(unknown)}; allowed: {', '.join(SCOPES)}")
    return sorted(set(scopes), key=SCOPES.index)


def api_key_grantable_scopes(*, user) -> list[str]:
    """The scopes ``user`` may put on a key minted in the console: none without mint_apikey, else
    those whose grant_* permission they hold (a superuser holds every permission)."""
    if user is None or not user.has_perm("orbit_numbers.mint_apikey"):
        return []
    return [scope for scope in SCOPES if user.has_perm(f"orbit_numbers.{scope_grant_codename(scope)}")]


def api_key_allowlist_validate(ip_allowlist: list[str] | None) -> list[str]:
    """Normalised, de-duplicated networks; 422 naming the first bad entry (``ip_allowlist[i]``)."""
    if ip_allowlist is None:
        return []
    if not isinstance(ip_allowlist, (list, tuple)):
        raise ValidationFailed.field("ip_allowlist", "must be a list of IP addresses or CIDR networks")
    limit = settings.ORBIT["API_KEY_IP_ALLOWLIST_MAX"]
    if len(ip_allowlist) > limit:
        raise ValidationFailed.field("ip_allowlist", f"at most {limit} entries")
    for index, value in enumerate(ip_allowlist):
        try:
            parse_network(value)
        except ValueError as exc:
            raise ValidationFailed.field(f"ip_allowlist[{index}]", str(exc)) from None
    return normalise_networks(list(ip_allowlist))


def _api_key_within_caller(*, acting_key: ApiKey | None, organization: Organization, scopes: list[str],
                           ip_allowlist: list[str]) -> None:
    """A key acting through the API hands out nothing it lacks: no scope it does not hold, and no
    network it could not call from itself (a key bound to an office may not mint an unbound one)."""
    if acting_key is None:
        return
    if acting_key.organization_id != organization.pk:
        raise Forbidden("A key manages only keys of its own organisation.")
    refused = [scope for scope in scopes if scope not in acting_key.scopes]
    if refused:
        raise Forbidden(f"You may not grant scope(s) your key lacks: {', '.join(refused)}.",
                        details={"scopes": refused})
    if acting_key.ip_allowlist:
        if not ip_allowlist:
            raise Forbidden("Your key is restricted to an IP allowlist, so the keys it manages must be too.",
                            details={"ip_allowlist": "required, within your key's own allowlist"})
        outside = [network for network in ip_allowlist if not network_within(network, acting_key.ip_allowlist)]
        if outside:
            raise Forbidden("You may not allow networks outside your own key's allowlist.",
                            details={"ip_allowlist": outside})


def _api_key_snapshot(api_key: ApiKey) -> dict:
    """What the audit log keeps of a key: never a hash."""
    return {"name": api_key.name, "prefix": api_key.prefix, "scopes": list(api_key.scopes),
            "ip_allowlist": list(api_key.ip_allowlist),
            "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None}


def _new_secret() -> tuple[str, str]:
    """A new secret (256 random bits) and its stored form (HMAC-SHA256, orbit_numbers/api_key_secrets.py)."""
    secret = secrets.token_urlsafe(32)
    return secret, secret_hash(secret)


@transaction.atomic
def api_key_create(*, organization: Organization, scopes: list[str], name: str = "default",
                   ip_allowlist: list[str] | None = None, expires_at=None,
                   acting_user=None, acting_key: ApiKey | None = None) -> tuple[ApiKey, str]:
    """Create a key; return it with the plaintext, which is never stored or shown again.

    A staff ``acting_user`` may only mint keys with scopes they may grant (api_key_grantable_scopes);
    an ``acting_key`` (the API) only scopes it holds and networks inside its own allowlist; without
    either (management commands, the demo) the caller is the operator at the shell.
    """
    scopes = validate_scopes(scopes)
    ip_allowlist = api_key_allowlist_validate(ip_allowlist)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.field("expires_at", "must be in the future")
    if getattr(acting_user, "is_authenticated", False):
        refused = [scope for scope in scopes if scope not in api_key_grantable_scopes(user=acting_user)]
        if refused:
            raise Forbidden(f"You may not grant the scope(s): {', '.join(refused)}.", details={"scopes": refused})
    _api_key_within_caller(acting_key=acting_key, organization=organization, scopes=scopes,
                           ip_allowlist=ip_allowlist)
    prefix = secrets.token_hex(6)
    secret, hashed = _new_secret()
    api_key = ApiKey.objects.create(
        organization=organization, name=name, prefix=prefix, scopes=scopes, hashed_secret=hashed,
        ip_allowlist=ip_allowlist, expires_at=expires_at,
    )
    audit_record(action="api_key.create", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=api_key, after=_api_key_snapshot(api_key))
    return api_key, f"{KEY_PREFIX}{prefix}_{secret}"


def _api_key_lock(api_key: ApiKey) -> ApiKey:
    return ApiKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=api_key.pk)


def _api_key_confirmed(*, api_key: ApiKey, acting_key: ApiKey | None, confirm_prefix: str | None,
                       verb: str) -> None:
    """Editing, rotating or revoking the very key making the request can lock its caller out (a lost
    response, a dropped scope or network), so it must name that key's prefix; a prefix sent for any key
    must be that key's (a boolean flag is too easy to send by accident, or for a fuzzer to guess)."""
    if confirm_prefix is not None and confirm_prefix != api_key.prefix:
        raise ValidationFailed.field("confirm_prefix", "is not the prefix of this key")
    if acting_key is not None and acting_key.pk == api_key.pk and confirm_prefix is None:
        raise Conflict(f"This is the key making the request; send confirm_prefix (its prefix) to {verb} it.",
                       details={"confirm_prefix": f"required to {verb} the calling key"})


def _api_key_manageable(*, api_key: ApiKey, acting_key: ApiKey | None) -> None:
    """Editing or rotating a key hands its powers to the caller: only keys within the caller's own."""
    if api_key.revoked_at is not None:
        raise Conflict("This key is revoked; create a new one.")
    if acting_key is not None and acting_key.pk != api_key.pk:
        _api_key_within_caller(acting_key=acting_key, organization=api_key.organization,
                               scopes=list(api_key.scopes), ip_allowlist=list(api_key.ip_allowlist))


@transaction.atomic
def api_key_update(*, api_key: ApiKey, name: str | None = None, scopes: list[str] | None = None,
                   ip_allowlist: list[str] | None = None, confirm_prefix: str | None = None, acting_user=None,
                   acting_key: ApiKey | None = None) -> ApiKey:
    """Rename a key, narrow its scopes, or replace its allowlist ([] lifts it); None leaves a field.

    Scopes only narrow: each must already be on the key (and, through the API, on the caller's).
    The calling key edits itself only with ``confirm_prefix``."""
    api_key = _api_key_lock(api_key)
    _api_key_confirmed(api_key=api_key, acting_key=acting_key, confirm_prefix=confirm_prefix, verb="edit")
    _api_key_manageable(api_key=api_key, acting_key=acting_key)
    before = _api_key_snapshot(api_key)
    if scopes is not None:
        scopes = validate_scopes(scopes)
        if not scopes:
            raise ValidationFailed.field("scopes", "a key needs at least one scope")
        widened = [scope for scope in scopes if scope not in api_key.scopes]
        if widened:
            raise Forbidden(f"Scopes can only be narrowed; the key does not hold: {', '.join(widened)}.",
                            details={"scopes": widened})
        api_key.scopes = scopes
    if ip_allowlist is not None:
        api_key.ip_allowlist = api_key_allowlist_validate(ip_allowlist)
    if name is not None:
        api_key.name = name
    _api_key_within_caller(acting_key=acting_key, organization=api_key.organization, scopes=list(api_key.scopes),
                           ip_allowlist=list(api_key.ip_allowlist))
    after = _api_key_snapshot(api_key)
    if after != before:
        api_key.save(update_fields=["name", "scopes", "ip_allowlist"])
        audit_record(action="api_key.update", organization=api_key.organization, acting_user=acting_user,
                     acting_key=acting_key, target=api_key, before=before, after=after)
    return api_key


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey, overlap_seconds: int = 0, confirm_prefix: str | None = None,
                   acting_user=None, acting_key: ApiKey | None = None) -> tuple[ApiKey, str]:
    """A new secret for the same key record (id, prefix, name, scopes, allowlist stay). The old secret
    stops working now, or after ``overlap_seconds`` so deployments can switch over; only the secret
    just replaced overlaps (rotating again ends an earlier overlap). The calling key rotates itself
    only with ``confirm_prefix``."""
    limit = settings.ORBIT["API_KEY_ROTATION_MAX_OVERLAP_SECONDS"]
    if not 0 <= overlap_seconds <= limit:
        raise ValidationFailed.field("overlap_seconds", f"must be between 0 and {limit}")
    api_key = _api_key_lock(api_key)
    _api_key_confirmed(api_key=api_key, acting_key=acting_key, confirm_prefix=confirm_prefix, verb="rotate")
    _api_key_manageable(api_key=api_key, acting_key=acting_key)
    if api_key.is_expired:
        raise Conflict("This key has expired; create a new one.")
    now = timezone.now()
    secret, hashed = _new_secret()
    api_key.previous_hashed_secret = api_key.hashed_secret if overlap_seconds else ""
    api_key.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds) if overlap_seconds else None
    api_key.hashed_secret, api_key.rotated_at = hashed, now
    api_key.save(update_fields=["hashed_secret", "previous_hashed_secret", "previous_secret_expires_at",
                                "rotated_at"])
    audit_record(action="api_key.rotate", organization=api_key.organization, acting_user=acting_user,
                 acting_key=acting_key, target=api_key,
                 after={"prefix": api_key.prefix, "rotated_at": now.isoformat(),
                        "previous_secret_expires_at": (api_key.previous_secret_expires_at.isoformat()
                                                       if api_key.previous_secret_expires_at else None)})
    return api_key, f"{KEY_PREFIX}{api_key.prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, acting_user=None, acting_key: ApiKey | None = None,
                   confirm_prefix: str | None = None) -> ApiKey:
    """Revoke a key (already revoked: unchanged). Any key of the organisation may be revoked, since
    revoking grants nothing; the key making the call only with ``confirm_prefix`` (no accidents)."""
    api_key = _api_key_lock(api_key)
    _api_key_confirmed(api_key=api_key, acting_key=acting_key, confirm_prefix=confirm_prefix, verb="revoke")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.previous_hashed_secret, api_key.previous_secret_expires_at = "", None
        api_key.save(update_fields=["revoked_at", "previous_hashed_secret", "previous_secret_expires_at"])
        audit_record(action="api_key.revoke", organization=api_key.organization, acting_user=acting_user,
                     acting_key=acting_key, target=api_key, after={"revoked_at": api_key.revoked_at.isoformat()})
    return api_key


# The prefix is unique (no ORDER BY needed); compiled once per connection: every request runs this.
_ACTIVE_KEY_BY_PREFIX = PreparedLookup(
    lambda prefix: ApiKey.objects.select_related("organization").filter(
        prefix=prefix, revoked_at__isnull=True, organization__is_active=True),
    name="active_api_key_by_prefix")


def api_key_authenticate(*, raw_key: str, client_ip: str | None = None) -> ApiKey | None:
    """Resolve a presented key to an active ApiKey, or None (unknown, wrong secret, revoked, expired,
    deactivated organisation). A valid key with an allowlist that ``client_ip`` (orbit_numbers.client_ip)
    is outside raises IpNotAllowed; checked only after the secret, so it reveals nothing to guessers.

    A secret that matched a hash in an older format (PBKDF2, or a previous pepper) is re-hashed in the
    current one on that success, in the same UPDATE as last_used_at when that is due."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = raw_key[len(KEY_PREFIX):].partition("_")
    if not prefix or not secret:
        return None
    api_key = _ACTIVE_KEY_BY_PREFIX.first(prefix)
    if api_key is None:
        return None
    now = timezone.now()
    matched_field = "hashed_secret"
    check = secret_check(secret, api_key.hashed_secret)
    in_overlap = api_key.previous_secret_expires_at is not None and now < api_key.previous_secret_expires_at
    if not check.matches and in_overlap:
        matched_field = "previous_hashed_secret"
        check = secret_check(secret, api_key.previous_hashed_secret)
    if not check.matches:
        return None
    if api_key.expires_at is not None and api_key.expires_at <= now:
        return None
    if api_key.ip_allowlist and not address_in_networks(client_ip, api_key.ip_allowlist):
        raise IpNotAllowed()
    changes: dict[str, Any] = {}
    # Touch last_used_at at most once a minute (one write per request would serialise a busy key),
    # unless the key is used from another address.
    if (api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1)
            or (client_ip is not None and client_ip != api_key.last_used_ip)):
        changes.update(last_used_at=now, last_used_ip=client_ip)
    if check.needs_upgrade:
        changes[matched_field] = secret_hash(secret)
    if changes:
        _api_key_record_use(api_key=api_key, changes=changes,
                            rehashed=matched_field if check.needs_upgrade else None)
    return api_key


def _api_key_record_use(*, api_key: ApiKey, changes: dict[str, Any], rehashed: str | None) -> None:
    """One UPDATE of the key's row. A re-hash applies only while the row still holds the hash that was
    verified: a rotation or revocation committed in between wins, and the use is still recorded."""
    rows = ApiKey.objects.filter(pk=api_key.pk)
    if rehashed is not None:
        if rows.filter(**{rehashed: getattr(api_key, rehashed)}).update(**changes):
            logger.info("API key %s: secret re-hashed as %s", api_key.prefix, changes[rehashed].partition("$")[0])
        else:
            changes = {name: value for name, value in changes.items() if name != rehashed}
            if changes:
                rows.update(**changes)
    else:
        rows.update(**changes)
    for name, value in changes.items():
        setattr(api_key, name, value)


def idempotency_records_purge(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.ORBIT["IDEMPOTENCY_TTL_HOURS"])
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
