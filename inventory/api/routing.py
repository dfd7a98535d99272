"""Inbound routing of a number, keyed by the number in E.164 form."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import StrictSerializer, parse_e164
from orbit_numbers.api.views import OrbitAPIView
from orbit_numbers.errors import ValidationFailed

from .. import selectors, services
from ..models import RouteType, SmsRouteType
from .representations import route_representation


class RoutingBody(StrictSerializer):
    type = serializers.ChoiceField(choices=RouteType.values, allow_null=True, required=False)
    config = serializers.JSONField(required=False)
    sms_route_type = serializers.ChoiceField(choices=SmsRouteType.values, required=False)
    sms_route_config = serializers.JSONField(required=False)

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


class NumberRoutingView(OrbitAPIView):
    required_scopes = {"GET": "numbers:read", "PUT": "numbers:write"}

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Get a number's inbound routing")
    def get(self, request, phone_number: str):
        route = selectors.number_route_get(organization=self.organization, e164=valid_e164(phone_number))
        return ok(request, route_representation(route))

    @extend_schema(request=RoutingBody, responses=OpenApiTypes.OBJECT, summary="Set a number's inbound routing")
    def put(self, request, phone_number: str):
        e164 = valid_e164(phone_number)
        changes = dict(self.validated(RoutingBody))
        route = services.number_route_update(organization=self.organization, e164=e164, changes=changes,
                                             **self.actor())
        return ok(request, route_representation(route))


urlpatterns = [
    path("numbers/<e164:phone_number>/routing", NumberRoutingView.as_view(), name="numbers-routing"),
]
