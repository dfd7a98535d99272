"""How inventory objects look on the API: one OutputSerializer per shape renders the responses and
describes them in the OpenAPI schema. Money is stored in cents and rendered as dollars (numbers)."""
from __future__ import annotations

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orbit_numbers.api.openapi import AnyOfSerializer, schema_field
from orbit_numbers.api.serializers import DollarsField, OutputSerializer
from orbit_numbers.money import dollars

from ..models import LineType, OwnedNumber, Provider, RouteType, SmsRouteType
from ..selectors.emergency import number_emergency_calling
from ..services.renewals import paid_until_of
from ..routing_configs import SMS_ROUTE_SCHEMAS, VOICE_ROUTE_SCHEMAS
from .fields import OWNED_CAPABILITIES, SEARCH_CAPABILITIES


class OptionalField(serializers.SerializerMethodField):
    """A value computed by ``get_<name>``, left out of the object when that returns None: optional
    in the schema (not required). Annotate the method with ``extend_schema_field`` for its type."""

    def __init__(self, method_name=None, **kwargs):
        super().__init__(method_name, **kwargs)
        # Output only, like every method field; not flagged read-only so that the schema does not
        # list it as required (drf-spectacular requires every read-only field of a response).
        self.read_only, self.required = False, False


@extend_schema_field({"type": "string", "nullable": True})
class BlankAsNullField(serializers.Field):
    """Text stored as "" when unset, rendered as null."""

    def __init__(self, **kwargs):
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


# --- search hits ------------------------------------------------------------------------------------


class ExpectedActivationSerializer(OutputSerializer):
    hours = serializers.IntegerField(min_value=0)


class AvailableNumberSerializer(OutputSerializer):
    """One search hit, in the numbers-overview shape: a dict of ``selectors.search_hits``."""

    id = serializers.CharField(source="provider_ref", help_text=(
        "Carrier-scoped inventory id; may be sent as `id` when purchasing."))
    phoneNumber = serializers.CharField(source="e164", help_text="E.164.")
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=SEARCH_CAPABILITIES))
    sms_two_way = serializers.BooleanField(help_text="Can send and receive SMS (toll-free never can).")
    monthlyRate = DollarsField(source="monthly_cents", help_text="US dollars per month.")
    setupRate = OptionalField(help_text="US dollars, once; present when there is one.")
    provider = serializers.ChoiceField(choices=Provider.choices)
    expectedActivation = OptionalField(help_text="Present when the carrier states it.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(source="line_type", choices=LineType.choices)
    region = serializers.CharField(allow_blank=True)

    @extend_schema_field({"type": "number", "format": "double", "example": 1.0})
    def get_setupRate(self, row: dict):
        cents = row["setup_cents"]
        return dollars(cents) if cents else None

    @extend_schema_field(ExpectedActivationSerializer)
    def get_expectedActivation(self, row: dict):
        hours = row["activation_hours"]
        return None if hours is None else {"hours": hours}


# --- owned numbers ----------------------------------------------------------------------------------


class NumberEmergencySerializer(OutputSerializer):
    """Block and disclaim (ADR 010): emergency calling is enabled only with a provisioned address."""

    calling = serializers.ChoiceField(choices=["enabled", "blocked"])
    address_id = serializers.CharField(allow_null=True, help_text="The attached emergency address (ea_…), or null.")
    status = serializers.ChoiceField(choices=["pending", "provisioned", "failed"], allow_null=True, help_text=(
        "The address's provisioning at the carrier; null when none is attached."))
    disclaimer = serializers.CharField(help_text="Plain English: why emergency calls are blocked and what unblocks "
                                                 "them, or where they are sent.")


class OwnedNumberSerializer(OutputSerializer):
    id = serializers.CharField(help_text="num_ followed by 20 characters.")
    number = serializers.CharField(source="e164", help_text="E.164.")
    country = serializers.CharField(source="phone_number.country", help_text="ISO 3166-1 alpha-2.")
    type = serializers.ChoiceField(source="phone_number.line_type", choices=LineType.choices)
    region = serializers.CharField(source="phone_number.region", allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=OWNED_CAPABILITIES))
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices)
    webhook_url = BlankAsNullField(help_text="http(s) URL, or null.")
    forwarding_number = BlankAsNullField(help_text="E.164, or null.")
    sms_forwarding = BlankAsNullField(help_text="E.164, or null.")
    compliance_profile_id = serializers.CharField(allow_null=True)
    campaign_id = serializers.CharField(allow_null=True, help_text="The US 10DLC campaign it sends under, or null.")
    tags = serializers.ListField(child=serializers.CharField())
    channel_config = serializers.DictField()
    monthly_cost = DollarsField(source="monthly_cents", help_text="US dollars per month.")
    setup_cost = DollarsField(source="setup_cents", help_text="US dollars, charged once at purchase.")
    provider = serializers.ChoiceField(source="phone_number.provider", choices=Provider.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    emergency = serializers.SerializerMethodField()
    auto_renew = serializers.BooleanField(help_text="Renewed every month from the wallet; off: released at the "
                                                    "end of the paid cycle.")
    release_at = serializers.DateTimeField(allow_null=True, help_text="A scheduled release, or null.")
    paid_until = serializers.SerializerMethodField(help_text="The end of the cycle paid so far.")
    renewal_failed_at = serializers.DateTimeField(allow_null=True, help_text=(
        "When a renewal could not be paid (the number is then suspended), or null."))

    @extend_schema_field({"type": "string", "format": "date-time"})
    def get_paid_until(self, number: OwnedNumber) -> str:
        return serializers.DateTimeField().to_representation(paid_until_of(number))

    @extend_schema_field(NumberEmergencySerializer)
    def get_emergency(self, number: OwnedNumber) -> dict:
        return number_emergency_calling(number)

    def render_many(self, instances) -> list[dict]:
        # Each number's emergency state in one query for the page, whatever its size.
        instances = list(instances)
        prefetch_related_objects(instances, "emergency")
        return super().render_many(instances)


# --- inbound routing --------------------------------------------------------------------------------

# The config of each route type has its own shape (inventory/routing_configs.py).
# A JSON field the schema shows as "one of the route types' config shapes".
VoiceRouteConfigField = schema_field(AnyOfSerializer("VoiceRouteConfig", list(VOICE_ROUTE_SCHEMAS.values())))
SmsRouteConfigField = schema_field(AnyOfSerializer("SmsRouteConfig", list(SMS_ROUTE_SCHEMAS.values())))


class NumberRouteSerializer(OutputSerializer):
    number_id = serializers.CharField(source="number.id")
    phone_number = serializers.CharField(source="number.e164", help_text="E.164.")
    type = serializers.ChoiceField(choices=RouteType.choices, allow_null=True,
                                   help_text="Inbound call route; null when none is set.")
    config = VoiceRouteConfigField(help_text="The shape of type's config ({} when type is null).")
    sms_route_type = serializers.ChoiceField(choices=SmsRouteType.choices)
    sms_route_config = SmsRouteConfigField(help_text="The shape of sms_route_type's config.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="null until the route is first saved.")
    inbound = serializers.SerializerMethodField(help_text=(
        "active, or paused while the number is suspended for an unpaid renewal: inbound calls and messages are "
        "not routed (the route is kept and resumes once the renewal is paid)."))

    @extend_schema_field({"type": "string", "enum": ["active", "paused"]})
    def get_inbound(self, route) -> str:
        return "paused" if route.number.inbound_routing_paused else "active"
