from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .ids import new_key_id, new_org_id

SCOPES = ("numbers:read", "numbers:write", "porting:read", "porting:write", "billing:read", "billing:write",
          "webhooks:read", "webhooks:write", "api_keys:read", "api_keys:write")


def scope_grant_codename(scope: str) -> str:
    """The permission a staff user needs to put ``scope`` on a key minted in the console."""
    return "grant_" + scope.replace(":", "_")


class Organization(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_org_id, editable=False)
    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)
    # Who is mailed about account events (renewal failed, suspension, low balance …); optional.
    contact_email = models.EmailField(blank=True, default="",
                                      help_text="Mailed about renewals, suspensions, low balance and failing webhooks.")
    # A sub-organisation's parent (one level: a parent has no parent). The parent may move numbers
    # between its sub-organisations through the API; see the lifecycle services for the limits.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~models.Q(parent=models.F("id")),
                                              name="organization_not_its_own_parent")]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A tenant's API key. Only a prefix (for lookup) and a hash are stored; the key is shown once."""

    id = models.CharField(primary_key=True, max_length=32, default=new_key_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=256, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Normalised networks ("192.0.2.0/24", "2001:db8::1/128"); empty: usable from anywhere.
    ip_allowlist = models.JSONField(default=list, blank=True)
    # The client address (orbit_numbers.client_ip) of the last use, written with last_used_at.
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    # A key past expires_at is refused like a revoked one.
    expires_at = models.DateTimeField(null=True, blank=True)
    # Rotation keeps the record (id, name, scopes, allowlist) and replaces the secret; the previous
    # secret may keep working until previous_secret_expires_at (a short overlap for deployments).
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    previous_hashed_secret = models.CharField(max_length=256, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        # Minting a key hands out a tenant's credentials, so it is not Django's add_apikey (which
        # staff roles used to hold): mint_apikey opens the screen, and each scope needs its own
        # grant_* permission. No staff group holds them by default; superusers hold all.
        permissions = [("mint_apikey", "Can mint a customer API key in the console"),
                       *[(scope_grant_codename(scope), f"Can grant the {scope} scope to a minted key")
                         for scope in SCOPES]]

    def __str__(self) -> str:
        return f"{self.organization} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        """active, revoked or expired (a revoked key that has also expired is revoked)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class AuditLog(models.Model):
    """Who did what, when, with before/after. Written by services in the same transaction."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    acting_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"


class IdempotencyRecord(models.Model):
    """The first response to an (organisation, Idempotency-Key) pair, replayed on retries."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # While in progress: who holds the key and until when. A retry takes over an expired lease.
    lease_token = models.CharField(max_length=32, blank=True, default="")
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique_per_org")]


# Kernel models kept in their own packages; imported here so Django registers them.
from .files.models import StoredFile  # noqa: E402,F401
from .webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: E402,F401
