"""Webhook endpoints and deliveries in the console: what tenants registered (the signing secret is
never shown, only its last characters) and every delivery attempt's outcome, read-only; a
permission-checked action replays deliveries through the service."""
from __future__ import annotations

from django.contrib import admin

from ..admin_base import ActionFormMixin, ReadOnlyInline, ReadOnlyModelAdmin, recent_filter
from .models import WebhookDelivery, WebhookEndpoint
from .services import webhook_delivery_replay


def secret_hint(secret: str) -> str:
    return f"whsec_…{secret[-4:]}" if secret else "—"


class RecentDeliveryInline(ReadOnlyInline, admin.TabularInline):
    model = WebhookDelivery
    fields = ("id", "event", "status", "attempts", "last_status_code", "last_error", "created_at")
    readonly_fields = fields
    show_change_link = True
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "organization", "url", "enabled", "failing_since", "disabled_at", "created_at")
    list_filter = ("enabled", recent_filter("created_at"))
    search_fields = ("=id", "organization__name", "url")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    fields = ("id", "organization", "url", "description", "events", "enabled", "signing_secret",
              "previous_secret_expires_at", "failing_since", "disabled_at", "disabled_reason", "created_at",
              "updated_at")
    readonly_fields = fields

    @admin.display(description="signing secret")
    def signing_secret(self, endpoint: WebhookEndpoint) -> str:
        return secret_hint(endpoint.secret)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ActionFormMixin, ReadOnlyModelAdmin):
    list_display = ("id", "event", "event_type", "organization", "endpoint", "status", "attempts", "replays",
                    "last_status_code", "last_response_ms", "next_attempt_at", "delivered_at", "created_at")
    list_filter = ("status", recent_filter("created_at"))
    search_fields = ("=id", "=event__id", "=endpoint__id", "organization__name", "event__event_type")
    list_select_related = ("event", "endpoint", "organization")
    raw_id_fields = ("event", "endpoint", "organization")
    exclude = ("claim_token",)
    actions = ("replay",)

    @admin.display(description="event type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.event_type

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("orbit_numbers.replay_webhookdelivery")

    @admin.action(description="Replay selected deliveries (send again now)", permissions=["replay"])
    def replay(self, request, queryset):
        self.each_row(request, queryset, lambda pk: webhook_delivery_replay(delivery_id=pk, acting_user=request.user),
                      "Replayed")
