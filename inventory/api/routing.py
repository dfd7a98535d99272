"""Inbound routing of a number, keyed by the number in E.164 form."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.serializers import StrictSerializer, parse_e164
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.errors import ValidationFailed

from .. import selectors, services
from ..models import OwnedNumber, RouteType, SmsRouteType
from .representations import NumberRouteSerializer, SmsRouteConfigField, VoiceRouteConfigField


class RoutingBody(StrictSerializer):
    type = serializers.ChoiceField(choices=RouteType.choices, allow_null=True, required=False)
    config = VoiceRouteConfigField(required=False, help_text=(
        "The shape of type's config; a new type without config gets {}."))
    sms_route_type = serializers.ChoiceField(choices=SmsRouteType.choices, required=False)
    sms_route_config = SmsRouteConfigField(required=False, help_text="The shape of sms_route_type's config.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"body": "send at least one of type, config, sms_route_type, "
                                                       "sms_route_config"})
        for key in ("config", "sms_route_config"):
            if key in attrs and not isinstance(attrs[key], dict):
                raise serializers.ValidationError({key: "must be a JSON object"})
        return attrs


def valid_e164(value: str) -> str:
    try:
        parse_e164(value)
    except serializers.ValidationError:
        raise ValidationFailed.field("phoneNumber", "must be an E.164 number such as +14155550100") from None
    return value


PHONE_NUMBER_PATH = OpenApiParameter(
    "phone_number", {"type": "string", "pattern": r"^\+?[0-9]{6,15}$"}, OpenApiParameter.PATH,
    description="One of your numbers in E.164 form, e.g. +14155550100 (the leading + may be omitted or sent as %2B).")
ROUTING_DESCRIPTION = (
    "Voice: `type` is one of agent, softphone_user, softphone_register, ivr, voicemail, queue, sip_forward, "
    "transfer, conference, decline, ring_group, with a `config` object of that type's shape (null clears the "
    "route). SMS is routed independently by `sms_route_type` (webhook, agent, auto_reply, disabled) and "
    "`sms_route_config`.")


class NumberRoutingViewSet(OrbitViewSet):
    """/numbers/{E.164}/routing: the route of one of the caller's live numbers."""

    queryset = OwnedNumber.objects.live()
    lookup_field = "e164"
    lookup_url_kwarg = "phone_number"
    lookup_value_converter = "e164"
    required_scopes = {"routing": "numbers:read", "update_routing": "numbers:write"}
    serializer_class = NumberRouteSerializer

    @extend_schema(
        operation_id="numbers_routing_retrieve", tags=["routing"], summary="Get a number's inbound routing",
        description=ROUTING_DESCRIPTION, parameters=[PHONE_NUMBER_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(NumberRouteSerializer), **errors(401, 403, 404, 422, 429, notes={
            422: "The path is not a valid E.164 number (details.phoneNumber)."})},
    )
    @action(detail=True, methods=["get"])
    def routing(self, request, phone_number: str):
        # The selector scopes the number to the caller's organisation (404 otherwise).
        return self.respond(selectors.number_route_get(organization=self.organization, e164=valid_e164(phone_number)))

    @extend_schema(
        operation_id="numbers_routing_update", tags=["routing"], summary="Set a number's inbound routing",
        description=ROUTING_DESCRIPTION + " Send at least one field; only the keys sent change.",
        parameters=[PHONE_NUMBER_PATH, *RESPONSE_HEADERS], request=RoutingBody,
        responses={200: envelope(NumberRouteSerializer), **errors(400, 401, 403, 404, 422, 429)},
    )
    @routing.mapping.put
    def update_routing(self, request, phone_number: str):
        e164 = valid_e164(phone_number)
        changes = dict(self.validated(RoutingBody))
        route = services.number_route_update(organization=self.organization, e164=e164, changes=changes,
                                             **self.actor())
        return self.respond(route)


router = OrbitRouter()
router.register("numbers", NumberRoutingViewSet, basename="numbers")
urlpatterns = router.urls
