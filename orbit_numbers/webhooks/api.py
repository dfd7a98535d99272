"""Webhooks API (mounted under /api/v1/): register endpoints with an event filter, list, change and
delete them, rotate their signing secret (shown once, on create and on rotate), send a test event,
list an endpoint's deliveries and replay one; and the event catalogue.

Scopes: webhooks:read for reads, webhooks:write for the rest. Every endpoint and delivery is the
caller's organisation's (another tenant's id is 404). How deliveries look and how to verify their
signature: the docs page /api/docs/webhooks/.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from django.conf import settings
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ..api.filters import EnumFilter, OrbitFilterSet, UtcDateTimeFilter
from ..api.openapi import RESPONSE_HEADERS, envelope, errors
from ..api.pagination import KeysetPagination
from ..api.ratelimit import RateLimit
from ..api.serializers import OutputSerializer, StrictSerializer
from ..api.viewsets import OrbitRouter, OrbitViewSet
from . import services
from .catalogue import CATALOGUE, EVENT_FILTERS, EVENT_NAMES
from .models import WebhookDelivery, WebhookEndpoint

DOCS = "/api/docs/webhooks/"

# --- request bodies -------------------------------------------------------------------------------


def _events_field(*, required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_FILTERS)), min_length=1, max_length=len(EVENT_FILTERS),
        required=required,
        help_text='The event types this endpoint receives (see GET /webhooks/events), or ["*"] for all of them.')


class WebhookEndpointCreateBody(StrictSerializer):
    url = serializers.CharField(max_length=500, help_text=(
        "https:// URL that receives the events (POST, JSON). It must resolve to a public address: loopback, "
        "private and link-local targets are refused."))
    events = _events_field(required=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateBody(StrictSerializer):
    url = serializers.CharField(max_length=500, required=False, help_text="As on create.")
    events = _events_field(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, help_text=(
        "false pauses the endpoint (pending deliveries are skipped); true re-enables it, also after it was "
        "disabled for failing."))


class WebhookSecretRotateBody(StrictSerializer):
    overlap_hours = serializers.IntegerField(min_value=0, max_value=72, required=False, default=0, help_text=(
        "Keep signing with the old secret too (a second v1= in X-Orbit-Signature) for this many hours, so "
        "your receivers can switch without refusing events; 0 (default) retires it at once."))


# --- responses ------------------------------------------------------------------------------------


class WebhookEndpointSerializer(OutputSerializer):
    id = serializers.CharField(help_text="we_ followed by 20 characters.")
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_FILTERS)))
    enabled = serializers.BooleanField()
    failing_since = serializers.DateTimeField(allow_null=True, help_text=(
        "When deliveries started failing (null while they succeed). The endpoint is disabled once it has "
        "failed for the configured number of days."))
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField(allow_blank=True)
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True, help_text=(
        "After a rotation with overlap: until when the previous secret also signs."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text=(
        "whsec_…: the key to verify X-Orbit-Signature with. Shown only now (create and rotate-secret); store it."))


class WebhookDeliverySerializer(OutputSerializer):
    id = serializers.CharField(help_text="whd_ followed by 20 characters.")
    event_id = serializers.CharField(help_text="X-Orbit-Event-Id; the envelope's id.")
    event_type = serializers.ChoiceField(source="event.event_type", choices=list(EVENT_NAMES))
    data = serializers.JSONField(source="event.payload", help_text="The event's data, as sent.")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField(min_value=0, help_text="Attempts since the delivery was created or replayed.")
    replays = serializers.IntegerField(min_value=0)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True, help_text="Your receiver's HTTP status.")
    last_error = serializers.CharField(allow_blank=True)
    last_response_ms = serializers.IntegerField(allow_null=True, help_text="How long your receiver took.")
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookEventTypeSerializer(OutputSerializer):
    name = serializers.ChoiceField(choices=list(EVENT_NAMES))
    description = serializers.CharField()
    data = serializers.ListField(child=serializers.CharField(), help_text="The keys of the event's data.")


# --- filters --------------------------------------------------------------------------------------


class EndpointFilterSet(OrbitFilterSet):
    enabled = EnumFilter(choices=("true", "false"), method=lambda qs, name, value: qs.filter(enabled=value == "true"),
                         help_text="true or false.")

    class Meta:
        model = WebhookEndpoint
        fields: list[str] = []


class DeliveryFilterSet(OrbitFilterSet):
    status = EnumFilter(choices=WebhookDelivery.Status, help_text="Only deliveries in this status.")
    event_type = EnumFilter(field_name="event__event_type", choices=EVENT_NAMES,
                            help_text="Only deliveries of this event type.")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Created at or after this instant (ISO 8601).")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                       help_text="Created before this instant (ISO 8601).")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class EndpointPagination(KeysetPagination):
    default_limit, max_limit = 25, 100


class DeliveryPagination(KeysetPagination):
    default_limit, max_limit = 25, 200


WEBHOOK_PATH = OpenApiParameter("webhook_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                                description="A webhook endpoint id (we_…).")
DELIVERY_PATH = OpenApiParameter("delivery_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                                 description="A delivery id (whd_…).")
URL_REFUSED = ("The body is invalid (VALIDATION_ERROR, details per field): an unknown event type, or a url that is "
               "not https or points to a loopback, private or link-local address.")

# --- endpoints ------------------------------------------------------------------------------------


class WebhookEndpointViewSet(OrbitViewSet):
    queryset = WebhookEndpoint.objects.all()
    lookup_url_kwarg = "webhook_id"
    lookup_value_converter = "str"
    not_found_message = "No such webhook endpoint."
    required_scopes = {"list": "webhooks:read", "retrieve": "webhooks:read", "events": "webhooks:read",
                       "create": "webhooks:write", "partial_update": "webhooks:write", "destroy": "webhooks:write",
                       "rotate_secret": "webhooks:write", "test": "webhooks:write"}
    serializer_class = WebhookEndpointSerializer
    output_serializers = {"create": WebhookEndpointWithSecretSerializer,
                          "rotate_secret": WebhookEndpointWithSecretSerializer,
                          "events": WebhookEventTypeSerializer, "test": WebhookDeliverySerializer}
    filterset_class = EndpointFilterSet
    pagination_class = EndpointPagination

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        return {"test": RateLimit("webhook_test", settings.ORBIT["WEBHOOK_TEST_RATE_LIMIT_PER_MINUTE"])}

    @extend_schema(
        operation_id="webhooks_list", tags=["webhooks"], summary="List your webhook endpoints",
        description="Newest first, cursor-paginated. Secrets are never listed.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(WebhookEndpointSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="webhooks_create", tags=["webhooks"], summary="Register a webhook endpoint",
        description=(f"Events whose type is in `events` are POSTed to `url`, signed with the `secret` in this "
                     f"response (shown only now). How to verify: {DOCS}."),
        parameters=RESPONSE_HEADERS, request=WebhookEndpointCreateBody,
        responses={201: envelope(WebhookEndpointWithSecretSerializer), **errors(400, 401, 403, 409, 422, 429, notes={
            409: "You already have the maximum number of endpoints (error.details.limit); delete one first.",
            422: URL_REFUSED})},
    )
    def create(self, request):
        body = self.validated(WebhookEndpointCreateBody)
        endpoint = services.webhook_endpoint_create(organization=self.organization, **body, **self.actor())
        return self.respond(endpoint, status=201)

    @extend_schema(
        operation_id="webhooks_events_list", tags=["webhooks"], summary="The webhook event catalogue",
        description=f"Every event type, what it means and the keys of its data. Rendered for people at {DOCS}.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(WebhookEventTypeSerializer, many=True), **errors(401, 403, 429)},
    )
    @action(detail=False, methods=["get"])
    def events(self, request):
        return self.respond(CATALOGUE, many=True)

    @extend_schema(
        operation_id="webhooks_retrieve", tags=["webhooks"], summary="Get a webhook endpoint",
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(WebhookEndpointSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, webhook_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="webhooks_update", tags=["webhooks"], summary="Change a webhook endpoint",
        description="Only the keys sent change. `enabled: true` re-enables an endpoint disabled for failing.",
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS], request=WebhookEndpointUpdateBody,
        responses={200: envelope(WebhookEndpointSerializer), **errors(400, 401, 403, 404, 422, 429, notes={
            422: URL_REFUSED})},
    )
    def partial_update(self, request, webhook_id: str):
        changes = dict(self.validated(WebhookEndpointUpdateBody))
        endpoint = services.webhook_endpoint_update(organization=self.organization, endpoint_id=webhook_id,
                                                    changes=changes, **self.actor())
        return self.respond(endpoint)

    @extend_schema(
        operation_id="webhooks_delete", tags=["webhooks"], summary="Delete a webhook endpoint",
        description="Its pending deliveries are dropped; events already emitted stay in your record.",
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS],
        responses={204: OpenApiResponse(description="Deleted; no body."), **errors(401, 403, 404, 429)},
    )
    def destroy(self, request, webhook_id: str):
        services.webhook_endpoint_delete(organization=self.organization, endpoint_id=webhook_id, **self.actor())
        return Response(status=204)

    @extend_schema(
        operation_id="webhooks_rotate_secret", tags=["webhooks"], summary="Rotate an endpoint's signing secret",
        description=("A new secret, shown only in this response. With `overlap_hours` the old secret keeps "
                     "signing too (X-Orbit-Signature then carries two v1= values) until "
                     "`previous_secret_expires_at`; without it the old secret stops at once."),
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS], request=WebhookSecretRotateBody,
        responses={200: envelope(WebhookEndpointWithSecretSerializer), **errors(400, 401, 403, 404, 422, 429)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, webhook_id: str):
        body = self.validated(WebhookSecretRotateBody)
        endpoint = services.webhook_endpoint_secret_rotate(organization=self.organization, endpoint_id=webhook_id,
                                                          overlap_hours=body["overlap_hours"], **self.actor())
        return self.respond(endpoint)

    @extend_schema(
        operation_id="webhooks_test", tags=["webhooks"], summary="Send a test event to an endpoint",
        description=("Emits `webhook.test` to this endpoint only (whatever its event filter, also while it is "
                     "disabled) and answers the delivery; follow it with GET /webhooks/{webhook_id}/deliveries."),
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS], request=None,
        responses={202: envelope(WebhookDeliverySerializer), **errors(401, 403, 404, 429, notes={
            429: "More test events than the per-organisation limit (10 a minute by default); see Retry-After."})},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, webhook_id: str):
        delivery = services.webhook_endpoint_test(organization=self.organization, endpoint_id=webhook_id,
                                                  **self.actor())
        return self.respond(delivery, status=202)


# --- deliveries -----------------------------------------------------------------------------------


class WebhookDeliveryViewSet(OrbitViewSet):
    """/webhooks/{webhook_id}/deliveries: one endpoint's deliveries, newest first; replay one."""

    queryset = WebhookDelivery.objects.select_related("event")
    lookup_url_kwarg = "delivery_id"
    lookup_value_converter = "str"
    required_scopes = {"list": "webhooks:read", "replay": "webhooks:write"}
    serializer_class = WebhookDeliverySerializer
    filterset_class = DeliveryFilterSet
    pagination_class = DeliveryPagination

    def _endpoint(self) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(organization=self.organization, pk=self.kwargs["webhook_id"]).first()
        if endpoint is None:
            from ..errors import NotFound

            raise NotFound("No such webhook endpoint.")
        return endpoint

    @extend_schema(
        operation_id="webhooks_deliveries_list", tags=["webhooks"], summary="An endpoint's deliveries",
        description="Newest first, cursor-paginated; filter by status, event type and period.",
        parameters=[WEBHOOK_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(WebhookDeliverySerializer, paginated=True), **errors(401, 403, 404, 422, 429)},
    )
    def list(self, request, webhook_id: str):
        endpoint = self._endpoint()
        return self.respond_page(self.get_queryset().filter(endpoint=endpoint))

    @extend_schema(
        operation_id="webhooks_deliveries_replay", tags=["webhooks"], summary="Replay a delivery",
        description=("Sends the delivery again now, whatever its status (delivered, failed, skipped or pending), "
                     "with a fresh budget of retries. The event keeps its id: receivers that dedupe on "
                     "X-Orbit-Event-Id see a duplicate."),
        parameters=[WEBHOOK_PATH, DELIVERY_PATH, *RESPONSE_HEADERS], request=None,
        responses={202: envelope(WebhookDeliverySerializer), **errors(401, 403, 404, 409, 429, notes={
            409: "An attempt of this delivery is in flight right now; replay it once it ends."})},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, webhook_id: str, delivery_id: str):
        delivery = services.webhook_delivery_replay(organization=self.organization, endpoint_id=webhook_id,
                                                    delivery_id=delivery_id, **self.actor())
        return self.respond(delivery, status=202)


router = OrbitRouter()
router.register("webhooks/<str:webhook_id>/deliveries", WebhookDeliveryViewSet, basename="webhook-deliveries")
router.register("webhooks", WebhookEndpointViewSet, basename="webhooks")
urlpatterns = router.urls
