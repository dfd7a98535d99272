"""Kernel writes: organisations, API keys, audit rows, idempotency housekeeping."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.utils import timezone

from .context import current_request_id
from .errors import Forbidden, ValidationFailed
from .models import SCOPES, ApiKey, AuditLog, IdempotencyRecord, Organization, scope_grant_codename

KEY_PREFIX = "orb_live_"


class ApiKeyHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with few iterations: keys carry 190 random bits, so stretching adds nothing
    but latency to every request, while the salted hash still keeps a database leak useless."""

    algorithm = "pbkdf2_sha256_apikey"
    iterations = 1_000


_hasher = ApiKeyHasher()


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


@transaction.atomic
def api_key_create(*, organization: Organization, scopes: list[str], name: str = "default",
                   acting_user=None, acting_key: ApiKey | None = None) -> tuple[ApiKey, str]:
    """Create a key; return it with the plaintext, which is never stored or shown again.

    A staff ``acting_user`` may only mint keys with scopes they may grant (api_key_grantable_scopes);
    without one (management commands, the demo) the caller is the operator at the shell.
    """
    scopes = validate_scopes(scopes)
    if getattr(acting_user, "is_authenticated", False):
        refused = [scope for scope in scopes if scope not in api_key_grantable_scopes(user=acting_user)]
        if refused:
            raise Forbidden(f"You may not grant the scope(s): {', '.join(refused)}.", details={"scopes": refused})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organization=organization, name=name, prefix=prefix, scopes=scopes,
        hashed_secret=_hasher.encode(secret, _hasher.salt()),
    )
    audit_record(action="api_key.create", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=api_key, after={"name": name, "prefix": prefix, "scopes": scopes})
    return api_key, f"{KEY_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, acting_user=None, acting_key: ApiKey | None = None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoke", organization=api_key.organization, acting_user=acting_user,
                     acting_key=acting_key, target=api_key, after={"revoked_at": api_key.revoked_at.isoformat()})
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """Resolve a presented key to an active ApiKey, or None. Constant-time hash compare."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = raw_key[len(KEY_PREFIX):].partition("_")
    if not prefix or not secret:
        return None
    api_key = (ApiKey.objects.select_related("organization")
               .filter(prefix=prefix, revoked_at__isnull=True, organization__is_active=True).first())
    if api_key is None or not _hasher.verify(secret, api_key.hashed_secret):
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: one write per request would serialise a busy key.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def idempotency_records_purge(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.ORBIT["IDEMPOTENCY_TTL_HOURS"])
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
