"""Console screens for the kernel: organisations, API keys (created once, shown once), audit log."""
from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from . import admin_staff  # noqa: F401  (audited user and group screens replace Django's)
from .admin_base import (OrbitModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin, choices_filter, distinct_values_filter,
                         index_distinct_values, recent_filter)
from .errors import OrbitError
from .models import ApiKey, AuditLog, IdempotencyRecord, Organization
from .organizations import organization_parent_problems, organization_parent_set
from .services import api_key_create, api_key_grantable_scopes, api_key_revoke


class ApiKeyInline(ReadOnlyInline, admin.TabularInline):
    model = ApiKey
    fields = ("name", "prefix", "scopes", "ip_allowlist", "created_at", "expires_at", "last_used_at", "last_used_ip",
              "revoked_at")
    readonly_fields = fields


class OrganizationForm(forms.ModelForm):
    """The parent link is checked by the service's rules (one level, a bounded number of children)."""

    class Meta:
        model = Organization
        fields = ("parent",)  # the admin's own ``fields`` decide the rest

    def clean(self):
        data = super().clean()
        if "parent" in self.changed_data:
            problems = organization_parent_problems(organization=self.instance, parent=data.get("parent"))
            if problems:
                self.add_error("parent", "; ".join(problems))
        return data


@admin.register(Organization)
class OrganizationAdmin(OrbitModelAdmin):
    form = OrganizationForm
    list_display = ("name", "id", "is_active", "parent", "contact_email", "created_at")
    list_select_related = ("parent",)
    list_filter = ("is_active",)
    search_fields = ("name", "=id", "contact_email")
    readonly_fields = ("id", "created_at")
    fields = ("id", "name", "is_active", "contact_email", "parent", "created_at")
    raw_id_fields = ("parent",)
    inlines = (ApiKeyInline,)
    ordering = ("name",)

    def save_model(self, request, obj, form, change):
        # The link itself is set by the service (locks, limits, audit on both sides), after the rest.
        parent = form.cleaned_data.get("parent")
        obj.parent_id = form.initial.get("parent") if change else None
        super().save_model(request, obj, form, change)
        if obj.parent_id != (parent.pk if parent else None):
            try:
                organization_parent_set(organization=obj, parent=parent, acting_user=request.user)
            except OrbitError as exc:  # the limits moved since the form was checked
                self.message_user(request, f"Parent not changed: {exc.message}", messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        # Wallets, numbers and the audit trail hang off an organisation: deactivate it instead.
        return False


class ApiKeyCreateForm(forms.Form):
    """Offers, and accepts, only the scopes the acting staff user may grant."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.filter(is_active=True))
    name = forms.CharField(max_length=100, initial="default")
    scopes = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    ip_allowlist = forms.CharField(
        required=False, label="IP allowlist", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Addresses or CIDR networks (IPv4/IPv6), one per line or comma-separated; empty: anywhere.")
    expires_at = forms.DateTimeField(required=False, help_text="Optional; the key is refused after it (UTC).")

    def __init__(self, *args, grantable_scopes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(scope, scope) for scope in grantable_scopes]
        self.fields["scopes"].initial = [scope for scope in grantable_scopes if scope == "numbers:read"]

    def clean_ip_allowlist(self) -> list[str]:
        # Split only; the service validates and normalises (its message names the bad entry).
        return [entry for entry in self.cleaned_data["ip_allowlist"].replace(",", " ").split() if entry]


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(OrbitModelAdmin):
    """Keys are created through a form that shows the secret exactly once, and revoked, never edited."""

    list_display = ("name", "organization", "prefix", "scope_list", "allowlist", "created_at", "expires_at",
                    "last_used_at", "last_used_ip", "revoked_at")
    list_filter = (KeyStateFilter,)
    search_fields = ("name", "=prefix", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("id", "organization", "name", "prefix", "scopes", "ip_allowlist", "created_at", "expires_at",
                       "last_used_at", "last_used_ip", "rotated_at", "previous_secret_expires_at", "revoked_at")
    fields = readonly_fields
    exclude = ("hashed_secret", "previous_hashed_secret")
    actions = ("revoke_keys",)

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="IP allowlist")
    def allowlist(self, obj: ApiKey) -> str:
        return ", ".join(obj.ip_allowlist) or "anywhere"

    def has_add_permission(self, request):
        # Not add_apikey: minting needs mint_apikey and at least one scope the user may grant.
        return bool(api_key_grantable_scopes(user=request.user))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("orbit_numbers.change_apikey")

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for api_key in queryset.select_related("organization").filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, acting_user=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiKeyCreateForm(request.POST or None, grantable_scopes=api_key_grantable_scopes(user=request.user))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Create API key"}
        if request.method == "POST" and form.is_valid():
            try:
                api_key, raw_key = api_key_create(organization=form.cleaned_data["organization"],
                                                  scopes=form.cleaned_data["scopes"],
                                                  name=form.cleaned_data["name"],
                                                  ip_allowlist=form.cleaned_data["ip_allowlist"],
                                                  expires_at=form.cleaned_data["expires_at"], acting_user=request.user)
            except OrbitError as exc:
                form.add_error(None, exc.message)
            else:
                self.log_addition(request, api_key, [{"added": {}}])
                response = TemplateResponse(request, "admin/orbit_numbers/apikey/created.html",
                                            {**context, "title": "API key created", "api_key": api_key,
                                             "raw_key": raw_key})
                # The one page that ever holds the plaintext key: never cached anywhere.
                response["Cache-Control"] = "no-store"
                return response
        return TemplateResponse(request, "admin/orbit_numbers/apikey/create.html", {**context, "form": form})


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "organization", "actor", "request_id")
    # The actions by a walk of the action index: a few hundred probes, not a DISTINCT over the whole log.
    list_filter = (distinct_values_filter("action", "action", values=lambda: [
                       action for (action,) in index_distinct_values(AuditLog, ("action",))]),
                   recent_filter(), "organization")
    search_fields = ("action", "=object_id", "=request_id")
    list_select_related = ("organization", "acting_user", "acting_key")
    readonly_fields = ("created_at", "action", "organization", "acting_user", "acting_key", "object_type",
                       "object_id", "request_id", "before_pretty", "after_pretty")
    fields = readonly_fields
    ordering = ("-created_at", "-id")

    @admin.display(description="who")
    def actor(self, obj: AuditLog) -> str:
        if obj.acting_user_id:
            return f"staff: {obj.acting_user}"
        if obj.acting_key_id:
            return f"key: {obj.acting_key.prefix}"
        return "system"

    @staticmethod
    def _pretty(value) -> str:
        if value is None:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))

    @admin.display(description="before")
    def before_pretty(self, obj: AuditLog):
        return self._pretty(obj.before)

    @admin.display(description="after")
    def after_pretty(self, obj: AuditLog):
        return self._pretty(obj.after)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "organization", "key", "status_code", "leased_until")
    search_fields = ("=key",)
    list_filter = (recent_filter(),)
    list_select_related = ("organization",)
    readonly_fields = ("organization", "key", "fingerprint", "status_code", "created_at", "leased_until")
    exclude = ("response_body", "lease_token")


# Files and webhook events: platform logs, read-only. Webhook endpoints and deliveries: webhooks/admin.py.
from .files.models import StoredFile  # noqa: E402
from .webhooks import admin as webhooks_admin  # noqa: E402,F401
from .webhooks.catalogue import EVENT_TYPES  # noqa: E402
from .webhooks.models import WebhookEvent  # noqa: E402


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "organization", "purpose", "content_type", "size", "original_name", "created_at")
    list_filter = ("purpose", "content_type", recent_filter("created_at"))
    search_fields = ("=id", "organization__name", "original_name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization", "uploaded_by_key")
    exclude = ("storage_name",)  # the storage path is an internal detail


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "organization", "target_url", "event_type", "created_at")
    # One event per purchase and more: the types come from the catalogue, not a DISTINCT over the table.
    list_filter = (choices_filter("event_type", "event type", [(name, name) for name in sorted(EVENT_TYPES)]),
                   recent_filter("created_at"))
    search_fields = ("=id", "organization__name", "event_type")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
