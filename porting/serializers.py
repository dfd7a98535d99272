"""Request bodies of the porting endpoints (strict: unknown keys are 422) and response shapes.

Port-in bodies are camelCase (numbers-overview) with the older snake_case names of
numbers-api-v1 accepted as aliases; port-out bodies keep the snake_case the documents use.
"""
from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orbit_numbers.api.responses import iso
from orbit_numbers.api.serializers import CountryField, E164Field, StrictSerializer, parse_e164

from .models import PORT_IN_STAGES, PortOutRequest, PortRequest, PortStatus
from .reject_codes import explain
from .services import reject_details

MAX_PORT_IN_NUMBERS = 100
MAX_PORT_OUT_NUMBERS = 50
MAX_CHECK_NUMBERS = 50


@extend_schema_field({"type": "array", "items": {"type": "string", "example": "+14155550100"},
                      "description": "E.164 numbers (port-in also accepts one E.164 string)"})
class E164ListField(serializers.Field):
    """One E.164 string or an array of them (deduplicated by the service, not silently here)."""

    def __init__(self, *, max_items: int, allow_single: bool = True, **kwargs):
        self.max_items, self.allow_single = max_items, allow_single
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and self.allow_single:
            data = [data]
        if not isinstance(data, list):
            raise serializers.ValidationError("must be an array of E.164 numbers"
                                              + (" or one E.164 string" if self.allow_single else ""))
        if not 1 <= len(data) <= self.max_items:
            raise serializers.ValidationError(f"must hold 1-{self.max_items} numbers")
        errors = {}
        for index, value in enumerate(data):
            try:
                parse_e164(value)
            except serializers.ValidationError as exc:
                errors[f"[{index}]"] = exc.detail[0] if isinstance(exc.detail, list) else exc.detail
        if errors:
            raise serializers.ValidationError(
                "; ".join(f"{data[int(k[1:-1])]!r} {v}" for k, v in errors.items()))
        if len(set(data)) != len(data):
            raise serializers.ValidationError("contains duplicates")
        return data

    def to_representation(self, value):
        return value


class SecretField(serializers.CharField):
    """A PIN: a JSON string, taken verbatim (a number would lose leading zeros; spaces count)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


class ServiceAddressSerializer(StrictSerializer):
    aliases = {"postal_code": "postalCode", "country_code": "countryCode", "street": "line1", "zip": "postalCode"}
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postalCode = serializers.CharField(max_length=20)
    countryCode = CountryField()


_PORT_IN_ALIASES = {
    "carrier": "currentCarrier", "current_carrier": "currentCarrier", "account_number": "accountNumber",
    "pin": "accountPin", "account_pin": "accountPin", "authorization_name": "authorizedSigner",
    "authorized_signer": "authorizedSigner", "loa_file_url": "loaFileUrl", "service_address": "serviceAddress",
}


class PortInSubmitSerializer(StrictSerializer):
    aliases = _PORT_IN_ALIASES
    numbers = E164ListField(max_items=MAX_PORT_IN_NUMBERS)
    currentCarrier = serializers.CharField(max_length=200)
    country = CountryField(required=False)
    loaFileUrl = serializers.CharField(max_length=4000, required=False)
    accountNumber = serializers.CharField(max_length=100, required=False, allow_blank=True)
    accountPin = SecretField(max_length=64, required=False, allow_blank=True)
    authorizedSigner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    serviceAddress = ServiceAddressSerializer(required=False)


class PortInSupplementSerializer(StrictSerializer):
    aliases = _PORT_IN_ALIASES
    currentCarrier = serializers.CharField(max_length=200, required=False)
    loaFileUrl = serializers.CharField(max_length=4000, required=False)
    accountNumber = serializers.CharField(max_length=100, required=False, allow_blank=True)
    accountPin = SecretField(max_length=64, required=False, allow_blank=True)
    authorizedSigner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    serviceAddress = ServiceAddressSerializer(required=False)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    FIELD_MAP = {"currentCarrier": "current_carrier", "loaFileUrl": "loa_file_url", "accountNumber": "account_number",
                 "accountPin": "account_pin", "authorizedSigner": "authorized_signer",
                 "serviceAddress": "service_address", "note": "note"}

    @classmethod
    def changes(cls, data: dict) -> dict:
        return {cls.FIELD_MAP[key]: value for key, value in data.items()}


class LoaSignSerializer(StrictSerializer):
    aliases = {"signer_name": "signerName", "name": "signerName", "signer_email": "signerEmail",
               "email": "signerEmail", "acknowledged": "acknowledgement"}
    signerName = serializers.CharField(max_length=200)
    signerEmail = serializers.EmailField(max_length=254)
    acknowledgement = serializers.BooleanField()

    def validate_acknowledgement(self, value):
        if value is not True:
            raise serializers.ValidationError("must be true: the signer confirms they may authorise this port")
        return value


class PortabilityCheckSerializer(StrictSerializer):
    aliases = {"phoneNumber": "phone_number"}
    phone_number = E164Field(required=False)
    numbers = E164ListField(max_items=MAX_CHECK_NUMBERS, allow_single=False, required=False)

    def validate(self, attrs):
        if ("phone_number" in attrs) == ("numbers" in attrs):
            raise serializers.ValidationError({"phone_number": "give phone_number or numbers[] (one of them)"})
        return attrs


_OCN = re.compile(r"^[A-Za-z0-9]{4}$")


class PortOutSingleSerializer(StrictSerializer):
    aliases = {"losingCarrierAccountNumber": "losing_carrier_account_number",
               "authorizedPerson": "authorized_person", "targetCarrierOcn": "target_carrier_ocn",
               "portOutPin": "port_out_pin"}
    losing_carrier_account_number = serializers.CharField(max_length=100)
    authorized_person = serializers.CharField(max_length=200)
    target_carrier_ocn = serializers.CharField(max_length=8)
    port_out_pin = SecretField(max_length=64, required=False, allow_blank=True)

    def validate_target_carrier_ocn(self, value):
        if not _OCN.match(value):
            raise serializers.ValidationError("must be a 4-character Operating Company Number, e.g. 6529")
        return value.upper()


class PortOutBatchSerializer(StrictSerializer):
    aliases = {"destination_carrier": "destinationCarrier", "new_owner_info": "newOwnerInfo",
               "portOutPin": "port_out_pin"}
    numbers = E164ListField(max_items=MAX_PORT_OUT_NUMBERS, allow_single=False)
    destinationCarrier = serializers.CharField(max_length=200)
    newOwnerInfo = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    port_out_pin = SecretField(max_length=64, required=False, allow_blank=True)


class ProtectionSetSerializer(StrictSerializer):
    aliases = {"portOutPin": "port_out_pin", "pin": "port_out_pin"}
    port_out_pin = SecretField(min_length=4, max_length=32)


# ------------------------------------------------------------------------------------ responses

def _date(value):
    return value.isoformat() if value else None


def port_request_data(port_request: PortRequest) -> dict:
    rejection = reject_details(port_request)
    if rejection is not None:
        rejection = {**rejection, "rejectedAt": iso(rejection["rejectedAt"]),
                     "supplementDeadline": iso(rejection["supplementDeadline"])}
    return {
        "id": port_request.id, "status": port_request.status, "numbers": list(port_request.numbers),
        "country": port_request.country or None, "provider": port_request.provider or None,
        "currentCarrier": port_request.current_carrier, "accountNumber": port_request.account_number or None,
        "accountPinProvided": port_request.account_pin_provided,
        "authorizedSigner": port_request.authorized_signer or None,
        "serviceAddress": port_request.service_address,
        "mode": port_request.loa_mode,
        "handProcessing": not port_request.country, "carrierHandling": port_request.handling,
        "loaFileId": port_request.loa_file_id, "loaSignatureStatus": port_request.loa_signature_status,
        "loaSignedBy": port_request.loa_signer_name or None, "loaSignedAt": iso(port_request.loa_signed_at),
        "providerOrderId": port_request.provider_order_id or None,
        "providerStatus": port_request.provider_status or None,
        "focDate": _date(port_request.foc_date),
        "rejection": rejection, "supplementCount": port_request.supplement_count,
        "submittedAt": iso(port_request.submitted_at), "createdAt": iso(port_request.created_at),
        "updatedAt": iso(port_request.updated_at), "completedAt": iso(port_request.completed_at),
        "cancelledAt": iso(port_request.cancelled_at),
    }


def port_request_timeline(port_request: PortRequest) -> dict:
    events = list(port_request.events.all())
    entered: dict[str, object] = {}
    for event in events:
        entered.setdefault(event.status, event.created_at)
    reached = max((PORT_IN_STAGES.index(s) for s in entered if s in PORT_IN_STAGES), default=0)
    status = port_request.status
    stages = []
    for index, stage in enumerate(PORT_IN_STAGES):
        if stage == status:
            state = "done" if status == PortStatus.COMPLETED else "current"
        elif index <= reached:
            state = "done"
        else:
            state = "upcoming"
        stages.append({"stage": stage, "state": state, "enteredAt": iso(entered.get(stage))})
    end = port_request.completed_at or port_request.cancelled_at or timezone.now()
    rejection = reject_details(port_request)
    if rejection is not None:
        rejection = {**rejection, "rejectedAt": iso(rejection["rejectedAt"]),
                     "supplementDeadline": iso(rejection["supplementDeadline"])}
    return {
        "id": port_request.id, "status": status, "stages": stages,
        "elapsedDays": max((end - port_request.submitted_at).days, 0),
        "submittedAt": iso(port_request.submitted_at), "focDate": _date(port_request.foc_date),
        "rejection": rejection,
        "history": [{"status": e.status, "at": iso(e.created_at), "note": e.note} for e in events],
    }


def port_out_data(port_out: PortOutRequest) -> dict:
    rejection = None
    if port_out.status == "rejected":
        entry = explain(port_out.reject_code)
        rejection = {"code": entry.code, "explanation": entry.explanation, "recommended_action": entry.action,
                     "carrier_note": port_out.reject_reason}
    return {
        "id": port_out.id, "status": port_out.status,
        "numbers": [{"number_id": line.owned_number_id, "phone_number": line.e164} for line in port_out.lines.all()],
        "provider": port_out.provider, "provider_order_id": port_out.provider_order_id or None,
        "provider_status": port_out.provider_status or None, "foc_date": _date(port_out.foc_date),
        "destination_carrier": port_out.destination_carrier or None,
        "target_carrier_ocn": port_out.target_carrier_ocn or None,
        "authorized_person": port_out.authorized_person or None,
        "losing_carrier_account_number": port_out.losing_carrier_account_number or None,
        "new_owner_info": port_out.new_owner_info or None, "rejection": rejection,
        "created_at": iso(port_out.created_at), "updated_at": iso(port_out.updated_at),
        "completed_at": iso(port_out.completed_at), "cancelled_at": iso(port_out.cancelled_at),
    }


def protection_data(protection) -> dict:
    enabled = protection is not None and protection.enabled
    return {"enabled": enabled, "set_at": iso(protection.set_at) if enabled else None}
