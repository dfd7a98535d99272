"""The config shape of every inbound route type (voice and SMS), validated strictly.

Each route type has one strict schema: required keys must be there, unknown keys are 422, and
defaults are filled in so the stored config is complete. ``route_config_validate`` is what the
routing service calls; the API layer never validates configs itself.
"""
from __future__ import annotations

import re

from rest_framework import serializers

from orbit_numbers.api.exception_handler import flatten_validation_details
from orbit_numbers.api.serializers import StrictSerializer, parse_e164
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.validators import FullMatchValidator

from .models import RouteType, SmsRouteType

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# sip:[user@]host[:port][;params] — enough to refuse garbage without re-implementing RFC 3261.
_SIP_URI = re.compile(r"^sips?:(?:[A-Za-z0-9._~!$&'()*+,;=%-]+@)?[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::\d{1,5})?"
                      r"(?:;[A-Za-z0-9._~=%-]+)*$")
# Only custom X- headers may be added: rewriting standard SIP headers would break call signalling.
_SIP_HEADER_NAME = re.compile(r"^X-[A-Za-z0-9-]{1,64}$")


class IdentifierField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not _IDENTIFIER.fullmatch(value):
            raise serializers.ValidationError("must be 1-64 letters, digits, '_' or '-'")
        return value


def validate_sip_uri(value: str) -> str:
    if not isinstance(value, str) or len(value) > 255 or not _SIP_URI.fullmatch(value):
        raise serializers.ValidationError("must be a sip: or sips: URI such as sip:alice@pbx.example.com")
    return value


class SipUriField(serializers.CharField):
    def to_internal_value(self, data):
        return validate_sip_uri(super().to_internal_value(data))


class DestinationField(serializers.CharField):
    """An E.164 number or a SIP URI."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.startswith(("sip:", "sips:")):
            return validate_sip_uri(value)
        try:
            parse_e164(value)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                "must be an E.164 number (+14155550100) or a sip:/sips: URI") from None
        return value


class HttpsUrlField(serializers.URLField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value.lower().startswith("https://"):
            raise serializers.ValidationError("must be an https:// URL")
        return value


def _ring_timeout(**kwargs):
    return serializers.IntegerField(min_value=5, max_value=120, **kwargs)


# --- voice routes -------------------------------------------------------------------------

class AgentRoute(StrictSerializer):
    agent_id = IdentifierField()


class SoftphoneUserRoute(StrictSerializer):
    user_id = IdentifierField()
    ring_timeout_seconds = _ring_timeout(default=30)


class SoftphoneRegisterRoute(StrictSerializer):
    """Ring whatever device is registered under a SIP username on our registrar."""

    username = serializers.CharField(validators=[FullMatchValidator(
        r"^[A-Za-z0-9._-]{1,64}$", "must be 1-64 letters, digits, '.', '_' or '-'")])
    ring_timeout_seconds = _ring_timeout(default=30)


class IvrRoute(StrictSerializer):
    ivr_id = IdentifierField()


class VoicemailRoute(StrictSerializer):
    greeting_text = serializers.CharField(max_length=1000, required=False)
    email = serializers.EmailField(max_length=254, required=False)


class QueueRoute(StrictSerializer):
    queue_id = IdentifierField()
    max_wait_seconds = serializers.IntegerField(min_value=10, max_value=3600, required=False)


class SipForwardRoute(StrictSerializer):
    sip_uri = SipUriField()
    headers = serializers.DictField(child=serializers.CharField(max_length=256, allow_blank=True), required=False)

    def validate_headers(self, value: dict) -> dict:
        if len(value) > 10:
            raise serializers.ValidationError("at most 10 headers")
        bad = sorted(name for name in value if not _SIP_HEADER_NAME.fullmatch(name))
        if bad:
            raise serializers.ValidationError(
                f"only custom X- headers may be added (X-Name, letters/digits/'-'); refused: {', '.join(bad)}")
        return value


class TransferRoute(StrictSerializer):
    to = DestinationField(max_length=255)


class ConferenceRoute(StrictSerializer):
    conference_id = IdentifierField()
    max_participants = serializers.IntegerField(min_value=2, max_value=250, required=False)


class DeclineRoute(StrictSerializer):
    """No keys: the call is rejected."""


class RingGroupRoute(StrictSerializer):
    members = serializers.ListField(child=DestinationField(max_length=255), min_length=1, max_length=20)
    strategy = serializers.ChoiceField(choices=["simultaneous", "sequential", "round_robin"], default="simultaneous")
    ring_timeout_seconds = _ring_timeout(default=30)

    def validate_members(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("members must be distinct")
        return value


VOICE_ROUTE_SCHEMAS: dict[str, type[StrictSerializer]] = {
    RouteType.AGENT: AgentRoute,
    RouteType.SOFTPHONE_USER: SoftphoneUserRoute,
    RouteType.SOFTPHONE_REGISTER: SoftphoneRegisterRoute,
    RouteType.IVR: IvrRoute,
    RouteType.VOICEMAIL: VoicemailRoute,
    RouteType.QUEUE: QueueRoute,
    RouteType.SIP_FORWARD: SipForwardRoute,
    RouteType.TRANSFER: TransferRoute,
    RouteType.CONFERENCE: ConferenceRoute,
    RouteType.DECLINE: DeclineRoute,
    RouteType.RING_GROUP: RingGroupRoute,
}


# --- SMS routes ---------------------------------------------------------------------------

class SmsWebhookRoute(StrictSerializer):
    url = HttpsUrlField()


class SmsAgentRoute(StrictSerializer):
    agent_id = IdentifierField()


class SmsAutoReplyRoute(StrictSerializer):
    message = serializers.CharField(min_length=1, max_length=1600, trim_whitespace=False)

    def validate_message(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("must not be blank")
        return value


class SmsDisabledRoute(StrictSerializer):
    """No keys: inbound SMS is not delivered anywhere."""


SMS_ROUTE_SCHEMAS: dict[str, type[StrictSerializer]] = {
    SmsRouteType.WEBHOOK: SmsWebhookRoute,
    SmsRouteType.AGENT: SmsAgentRoute,
    SmsRouteType.AUTO_REPLY: SmsAutoReplyRoute,
    SmsRouteType.DISABLED: SmsDisabledRoute,
}


def route_config_validate(*, schemas: dict[str, type[StrictSerializer]], route_type: str, config,
                          field: str) -> dict:
    """Validate ``config`` against ``route_type``'s schema; 422 details are keyed ``field.key``."""
    if not isinstance(config, dict):
        raise ValidationFailed.field(field, "must be a JSON object")
    serializer = schemas[route_type](data=config)
    if not serializer.is_valid():
        details = {f"{field}.{name}" if name != "body" else field: message
                   for name, message in flatten_validation_details(serializer.errors).items()}
        first = next(iter(details.items()))
        raise ValidationFailed(f"{first[0]}: {first[1]} (for type {route_type})", details=details)
    return dict(serializer.validated_data)
