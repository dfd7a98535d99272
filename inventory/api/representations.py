"""How inventory objects look on the API. Money is stored in cents and rendered as dollars (numbers)."""
from __future__ import annotations

from rest_framework import serializers

from orbit_numbers.api.openapi import AnyOfSerializer, schema_field
from orbit_numbers.api.responses import iso

from ..models import LineType, NumberRoute, OwnedNumber, PhoneNumber, Provider, RouteType, SmsRouteType
from ..routing_configs import SMS_ROUTE_SCHEMAS, VOICE_ROUTE_SCHEMAS
from .fields import OWNED_CAPABILITIES, SEARCH_CAPABILITIES

# The *Serializer classes below only describe these shapes in the OpenAPI schema (the functions build
# the data); tests/orbit_numbers/test_schema.py checks real responses against them.


def dollars(cents: int) -> float:
    """Integer cents → a JSON number of dollars (150 → 1.5)."""
    return round(cents / 100, 2)


def offer_representation(row: PhoneNumber) -> dict:
    """One search hit, in the numbers-overview shape."""
    item = {
        "id": row.provider_ref,
        "phoneNumber": row.e164,
        "capabilities": row.capabilities,
        "sms_two_way": row.sms_two_way,
        "monthlyRate": dollars(row.monthly_cents),
    }
    if row.setup_cents:
        item["setupRate"] = dollars(row.setup_cents)
    item["provider"] = row.provider
    if row.activation_hours is not None:
        item["expectedActivation"] = {"hours": row.activation_hours}
    item.update(country=row.country, type=row.line_type, region=row.region)
    return item


class ExpectedActivationSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=0)


class AvailableNumberSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Carrier-scoped inventory id; may be sent as `id` when purchasing.")
    phoneNumber = serializers.CharField(help_text="E.164.")
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=SEARCH_CAPABILITIES))
    sms_two_way = serializers.BooleanField(help_text="Can send and receive SMS (toll-free never can).")
    monthlyRate = serializers.FloatField(help_text="US dollars per month.")
    setupRate = serializers.FloatField(required=False, help_text="US dollars, once; present when there is one.")
    provider = serializers.ChoiceField(choices=Provider.choices)
    expectedActivation = ExpectedActivationSerializer(required=False)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(choices=LineType.choices)
    region = serializers.CharField(allow_blank=True)


def number_representation(number: OwnedNumber) -> dict:
    row = number.phone_number
    return {
        "id": number.id,
        "number": number.e164,
        "country": row.country,
        "type": row.line_type,
        "region": row.region,
        "label": number.label,
        "capabilities": list(number.capabilities),
        "status": number.status,
        "webhook_url": number.webhook_url or None,
        "forwarding_number": number.forwarding_number or None,
        "sms_forwarding": number.sms_forwarding or None,
        "compliance_profile_id": number.compliance_profile_id,
        "tags": list(number.tags),
        "channel_config": number.channel_config,
        "monthly_cost": dollars(number.monthly_cents),
        "setup_cost": dollars(number.setup_cents),
        "provider": row.provider,
        "created_at": iso(number.created_at),
        "updated_at": iso(number.updated_at),
    }


class OwnedNumberSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="num_ followed by 20 characters.")
    number = serializers.CharField(help_text="E.164.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(choices=LineType.choices)
    region = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=OWNED_CAPABILITIES))
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices)
    webhook_url = serializers.URLField(allow_null=True)
    forwarding_number = serializers.CharField(allow_null=True, help_text="E.164.")
    sms_forwarding = serializers.CharField(allow_null=True, help_text="E.164.")
    compliance_profile_id = serializers.CharField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    channel_config = serializers.DictField()
    monthly_cost = serializers.FloatField(help_text="US dollars per month.")
    setup_cost = serializers.FloatField(help_text="US dollars, charged once at purchase.")
    provider = serializers.ChoiceField(choices=Provider.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def route_representation(route: NumberRoute) -> dict:
    return {
        "number_id": route.number.id,
        "phone_number": route.number.e164,
        "type": route.type,
        "config": route.config,
        "sms_route_type": route.sms_route_type,
        "sms_route_config": route.sms_route_config,
        "updated_at": iso(route.updated_at),
    }


# The config of each route type has its own shape (inventory/routing_configs.py).
# A JSON field the schema shows as "one of the route types' config shapes".
VoiceRouteConfigField = schema_field(AnyOfSerializer("VoiceRouteConfig", list(VOICE_ROUTE_SCHEMAS.values())))
SmsRouteConfigField = schema_field(AnyOfSerializer("SmsRouteConfig", list(SMS_ROUTE_SCHEMAS.values())))


class NumberRouteSerializer(serializers.Serializer):
    number_id = serializers.CharField()
    phone_number = serializers.CharField(help_text="E.164.")
    type = serializers.ChoiceField(choices=RouteType.choices, allow_null=True,
                                   help_text="Inbound call route; null when none is set.")
    config = VoiceRouteConfigField(help_text="The shape of type's config ({} when type is null).")
    sms_route_type = serializers.ChoiceField(choices=SmsRouteType.choices)
    sms_route_config = SmsRouteConfigField(help_text="The shape of sms_route_type's config.")
    updated_at = serializers.DateTimeField()
