"""Top-ups: POST /billing/top-ups (an intent at the payment provider), POST
/billing/top-ups/{id}/confirm (pay it: the wallet is credited once), GET /billing/top-ups[/{id}],
and the providers' signed callbacks POST /billing/payment-events/{provider} (no API key)."""
from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.metadata import SimpleMetadata
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from orbit_numbers.api.filters import EnumFilter, OrbitFilterSet, UtcDateTimeFilter
from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import (IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, error_response, errors)
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import DollarsField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from ..models_top_ups import TopUp
from ..payments import PROVIDERS
from ..services_top_ups import payment_event_receive, top_up_confirm, top_up_create
from .fields import CentsField


class TopUpSerializer(OutputSerializer):
    id = serializers.CharField(help_text="tup_ followed by 20 characters.")
    amount = DollarsField(source="amount_cents", help_text="Dollars.")
    amount_cents = serializers.IntegerField(min_value=1)
    currency = serializers.CharField(help_text="ISO 4217, e.g. USD.")
    status = serializers.ChoiceField(choices=TopUp.Status.choices, help_text=(
        "requires_confirmation: waiting for POST …/confirm (again, after an authentication request); processing: "
        "the provider settles it later (confirm again or wait for it); succeeded: credited to the wallet; failed: "
        "the last attempt was declined (confirm again with another payment method); cancelled."))
    provider = serializers.ChoiceField(choices=[(name, name) for name in PROVIDERS])
    payment_intent_id = serializers.CharField(source="provider_intent_id", help_text="The provider's intent id.")
    failure_code = serializers.CharField(allow_blank=True, help_text="Why the last attempt failed, e.g. card_declined.")
    failure_message = serializers.CharField(allow_blank=True)
    next_action = serializers.CharField(allow_blank=True, help_text=(
        "What the payer must do before the payment can go through (e.g. use_stripe_sdk for 3-D Secure), or empty."))
    transaction_id = serializers.CharField(allow_null=True, help_text=(
        "txn_<n> of the wallet credit once succeeded, else null."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)


class TopUpCreateBody(StrictSerializer):
    amount_cents = CentsField(
        min_value=settings.ORBIT["TOP_UP_MIN_CENTS"], max_value=settings.ORBIT["TOP_UP_MAX_CENTS"],
        help_text="How much to add to the wallet, in cents (limits set by the operator).")


class TopUpConfirmBody(StrictSerializer):
    payment_method = serializers.CharField(max_length=255, help_text=(
        "The provider's payment-method token. Simulator: pm_card_visa succeeds, pm_card_chargeDeclined and "
        "pm_card_insufficientFunds are declined, pm_card_authenticationRequired asks for authentication, "
        "pm_card_processing settles later."))


class TopUpFilterSet(OrbitFilterSet):
    status = EnumFilter(choices=TopUp.Status, help_text="Only top-ups in this status.")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Created at or after this instant (ISO 8601).")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                       help_text="Created before this instant (ISO 8601).")

    class Meta:
        model = TopUp
        fields = ["status", "created_after", "created_before"]


class TopUpPagination(KeysetPagination):
    default_limit, max_limit = 25, 200


_TOP_UP_ID = OpenApiParameter("top_up_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="tup_…")
_UNAVAILABLE = error_response(503, "The payment provider did not answer; nothing was charged. Retry after "
                                   "Retry-After seconds.", codes=["PAYMENT_PROVIDER_UNAVAILABLE"])


class TopUpViewSet(OrbitViewSet):
    queryset = TopUp.objects.select_related("ledger_entry")
    lookup_url_kwarg = "top_up_id"
    not_found_message = "No such top-up."
    required_scopes = {"list": "billing:read", "retrieve": "billing:read", "create": "billing:write",
                       "confirm": "billing:write"}
    serializer_class = TopUpSerializer
    filterset_class = TopUpFilterSet
    pagination_class = TopUpPagination

    @extend_schema(
        operation_id="billing_top_ups_create", tags=["billing"], summary="Start a top-up (a payment intent)",
        description=("Creates a payment intent for the amount at the payment provider; confirm it with "
                     "POST /billing/top-ups/{id}/confirm. Nothing is credited yet."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=TopUpCreateBody,
        responses={201: envelope(TopUpSerializer), 503: _UNAVAILABLE, **errors(400, 401, 403, 409, 422, 429, notes={
            422: "amount_cents missing, not an integer, or outside the allowed range; or unknown fields."})},
    )
    @idempotent(render="created")
    def create(self, request):
        body = self.validated(TopUpCreateBody)
        return self.created(top_up_create(organization=self.organization, amount_cents=body["amount_cents"],
                                          **self.actor()))

    def created(self, top_up: TopUp) -> Response:
        """The 201; also rendered inside the effect transaction for Idempotency-Key replays."""
        return self.respond(top_up, status=201)

    @extend_schema(
        operation_id="billing_top_ups_confirm", tags=["billing"], summary="Pay a top-up",
        description=("Confirms the intent with the payment method. When the provider reports success the wallet "
                     "is credited, exactly once however often this (or the provider's callback) arrives; "
                     "confirming a succeeded top-up answers it unchanged. A decline answers 200 with status "
                     "failed and the reason."),
        parameters=[_TOP_UP_ID, *IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=TopUpConfirmBody,
        responses={200: envelope(TopUpSerializer), 503: _UNAVAILABLE,
                   **errors(400, 401, 403, 404, 409, 422, 429, notes={
                       409: "The top-up was cancelled, or the provider refused it in its current state; or an "
                            "Idempotency-Key conflict.",
                       422: "payment_method missing or refused by the provider as unknown; or unknown fields."})},
    )
    @action(detail=True, methods=["post"])
    @idempotent(render="confirmed")
    def confirm(self, request, top_up_id: str):
        body = self.validated(TopUpConfirmBody)
        top_up = self.get_object()
        return self.confirmed(top_up_confirm(top_up=top_up, payment_method=body["payment_method"], **self.actor()))

    def confirmed(self, top_up: TopUp) -> Response:
        return self.respond(top_up)

    @extend_schema(
        operation_id="billing_top_ups_list", tags=["billing"], summary="Your top-ups (newest first)",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(TopUpSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="billing_top_ups_retrieve", tags=["billing"], summary="One top-up",
        parameters=[_TOP_UP_ID, *RESPONSE_HEADERS],
        responses={200: envelope(TopUpSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, top_up_id: str):
        return self.respond(self.get_object())


class PaymentEventReceiptSerializer(OutputSerializer):
    received = serializers.BooleanField()
    top_up_id = serializers.CharField(allow_null=True, help_text="The top-up the event concerned; null if none.")
    status = serializers.ChoiceField(choices=TopUp.Status.choices, allow_null=True)


class _NoBodyDescription(SimpleMetadata):
    """OPTIONS names the endpoint; the body is the provider's own event format, not a serializer of ours."""

    def determine_actions(self, request, view):
        return {}


class PaymentEventViewSet(viewsets.GenericViewSet):
    """Callbacks from payment providers: authenticated by the provider's signature, not an API key."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    metadata_class = _NoBodyDescription

    @extend_schema(
        operation_id="billing_payment_events_receive", tags=["billing"], auth=[],
        summary="Payment provider callback (signed by the provider)",
        description=("For the payment providers, not API clients. Stripe signs with Stripe-Signature, the simulator "
                     "with Orbit-Simulator-Signature (t=<unix>,v1=<HMAC-SHA256 hex of \"<t>.<body>\">). An event "
                     "may arrive before, after or instead of the confirmation, and more than once: the wallet is "
                     "credited once."),
        parameters=[OpenApiParameter("provider", {"type": "string", "enum": list(PROVIDERS)}, OpenApiParameter.PATH),
                    *(p for p in RESPONSE_HEADERS if p.name == "X-Request-Id")],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: envelope(PaymentEventReceiptSerializer),
                   400: error_response(400, "Missing, invalid or expired signature, or not an event.",
                                       codes=["BAD_REQUEST"]),
                   404: error_response(404, "Unknown provider.")},
    )
    def receive(self, request, provider: str):
        top_up = payment_event_receive(provider=provider, payload=request.body,
                                       headers={name: value for name, value in request.headers.items()})
        return ok(request, {"received": True, "top_up_id": top_up.id if top_up else None,
                            "status": top_up.status if top_up else None})


router = OrbitRouter()
router.register("billing/top-ups", TopUpViewSet, basename="billing-top-ups")
urlpatterns = [*router.urls,
               path("billing/payment-events/<str:provider>", PaymentEventViewSet.as_view({"post": "receive"}),
                    name="billing-payment-events")]
