"""Request bodies of the porting endpoints (strict: unknown keys are 422) and the shapes of their
responses (output serializers: the rendering and the schema both come from them).

Port-in bodies and responses are camelCase (numbers-overview) with the older snake_case names of
numbers-api-v1 accepted as aliases; port-out bodies and responses keep the snake_case the documents use.
"""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from inventory.models import Provider
from orbit_numbers.api.openapi import schema_field
from orbit_numbers.api.serializers import CountryField, E164Field, OutputSerializer, StrictSerializer, parse_e164
from orbit_numbers.validators import FullMatchValidator

from .models import PORT_IN_STAGES, LoaSignatureStatus, PortOutStatus, PortRequest, PortStatus
from .portability import CHECK_STATUSES
from .selectors import STAGE_STATES, port_out_rejection
from .services import reject_details

MAX_PORT_IN_NUMBERS = 100
MAX_PORT_OUT_NUMBERS = 50
MAX_CHECK_NUMBERS = 50


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


_LOA_URL_HELP = ("The url POST /api/v1/files/upload returned for the signed LoA; any other URL is 422 "
                 "LOA_URL_INVALID_ORIGIN. Without it the request is in manual mode.")


class PortInSubmitSerializer(StrictSerializer):
    aliases = _PORT_IN_ALIASES
    numbers = E164ListField(max_items=MAX_PORT_IN_NUMBERS)
    currentCarrier = serializers.CharField(max_length=200)
    country = CountryField(required=False)
    loaFileUrl = serializers.CharField(max_length=4000, required=False, help_text=_LOA_URL_HELP)
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
    acknowledgement = schema_field({"type": "boolean", "enum": [True], "description": (
        "Must be true: the signer confirms they may authorise this port.")}, base=serializers.BooleanField)()

    def validate_acknowledgement(self, value):
        if value is not True:
            raise serializers.ValidationError("must be true: the signer confirms they may authorise this port")
        return value


class LoaUploadSerializer(StrictSerializer):
    """multipart/form-data body of POST …/loa: only ``file`` (the service checks the file itself)."""

    file = schema_field(OpenApiTypes.BINARY, base=serializers.FileField)(help_text=(
        "The LoA: PDF, JPEG, PNG or HEIC (read from its content), at most 25 MB."))


class PortabilityCheckSerializer(StrictSerializer):
    aliases = {"phoneNumber": "phone_number"}
    phone_number = E164Field(required=False)
    numbers = E164ListField(max_items=MAX_CHECK_NUMBERS, allow_single=False, required=False)

    def validate(self, attrs):
        if ("phone_number" in attrs) == ("numbers" in attrs):
            raise serializers.ValidationError({"phone_number": "give phone_number or numbers[] (one of them)"})
        return attrs


_OCN_MESSAGE = "must be a 4-character Operating Company Number, e.g. 6529"
_PIN_HELP = ("Required when a number has Port-Out Protection: a missing or wrong PIN is 401 PORT_OUT_PIN_MISMATCH "
             "before any carrier call.")


class PortOutSingleSerializer(StrictSerializer):
    aliases = {"losingCarrierAccountNumber": "losing_carrier_account_number",
               "authorizedPerson": "authorized_person", "targetCarrierOcn": "target_carrier_ocn",
               "portOutPin": "port_out_pin"}
    losing_carrier_account_number = serializers.CharField(max_length=100)
    authorized_person = serializers.CharField(max_length=200)
    target_carrier_ocn = serializers.CharField(
        max_length=8, validators=[FullMatchValidator(r"^[A-Za-z0-9]{4}$", _OCN_MESSAGE)],
        help_text="Operating Company Number of the winning carrier, e.g. 6529.")
    port_out_pin = SecretField(max_length=64, required=False, allow_blank=True, help_text=_PIN_HELP)

    def validate_target_carrier_ocn(self, value):
        return value.upper()


class PortOutBatchSerializer(StrictSerializer):
    aliases = {"destination_carrier": "destinationCarrier", "new_owner_info": "newOwnerInfo",
               "portOutPin": "port_out_pin"}
    numbers = E164ListField(max_items=MAX_PORT_OUT_NUMBERS, allow_single=False)
    destinationCarrier = serializers.CharField(max_length=200)
    newOwnerInfo = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    port_out_pin = SecretField(max_length=64, required=False, allow_blank=True, help_text=_PIN_HELP)


class ProtectionSetSerializer(StrictSerializer):
    aliases = {"portOutPin": "port_out_pin", "pin": "port_out_pin", "currentPortOutPin": "current_port_out_pin"}
    port_out_pin = SecretField(min_length=4, max_length=32, help_text=(
        "The new PIN: 4-32 characters, stored scrypt-hashed and never returned."))
    current_port_out_pin = SecretField(max_length=64, required=False, allow_blank=True, help_text=(
        "Required to rotate a PIN that is already set (not for the first one): a missing or wrong value is 401 "
        "PORT_OUT_PIN_MISMATCH and counts towards the wrong-PIN lockout."))


class ProtectionDisableSerializer(StrictSerializer):
    aliases = {"portOutPin": "port_out_pin", "pin": "port_out_pin"}
    port_out_pin = SecretField(max_length=64, required=False, allow_blank=True, help_text=(
        "The current PIN, required while protection is enabled: a missing or wrong value is 401 "
        "PORT_OUT_PIN_MISMATCH and counts towards the wrong-PIN lockout."))


# --- schema of the request bodies the generic strict-body schema cannot say ------------------------

class PortabilityCheckSchema(OpenApiSerializerExtension):
    """The check takes ``phone_number`` (or its alias ``phoneNumber``) or ``numbers[]``: exactly one."""

    target_class = PortabilityCheckSerializer
    priority = 1  # over the generic strict-body extension

    def map_serializer(self, auto_schema, direction):
        fields = self.target.fields
        shapes = []
        for name, field_name in (("phone_number", "phone_number"), ("phoneNumber", "phone_number"),
                                 ("numbers", "numbers")):
            schema = auto_schema._map_serializer_field(fields[field_name], direction)
            shapes.append({"type": "object", "properties": {name: schema}, "required": [name],
                           "additionalProperties": False})
        return {"anyOf": shapes, "description": (
            "One number (phone_number; the answer's data is that number's verdict) or up to "
            f"{MAX_CHECK_NUMBERS} (numbers[]; data.results[] holds one verdict per number, in request order).")}


class E164ListFieldSchema(OpenApiSerializerFieldExtension):
    target_class = E164ListField

    def map_serializer_field(self, auto_schema, direction):
        number = {"type": "string", "pattern": r"^\+[1-9][0-9]{5,14}$", "example": "+14155550100",
                  "description": "E.164, validated against the numbering plan."}
        many = {"type": "array", "items": number, "minItems": 1, "maxItems": self.target.max_items,
                "uniqueItems": True}
        if not self.target.allow_single:
            return many
        return {"anyOf": [number, many], "description": "One E.164 number or an array of them."}


# ------------------------------------------------------------------------------------ responses

class NullIfBlankField(serializers.Field):
    """A text attribute that is stored blank when absent: rendered as null then."""

    def to_representation(self, value):
        return value or None


NullableText = schema_field({"type": "string", "nullable": True}, base=NullIfBlankField)
NullableProvider = schema_field(serializers.ChoiceField(
    choices=Provider.choices, allow_null=True,
    help_text="Telnyx for US/CA numbers, DIDWW elsewhere; null until a country is known."), base=NullIfBlankField)


class PortabilityResultSerializer(OutputSerializer):
    """The verdict for one number (numbers-overview, "Check portability")."""

    phone_number = serializers.CharField(help_text="The number checked (E.164).")
    eligible = serializers.BooleanField(help_text="Whether the number can be ported to Orbit.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text=(
        "Human-readable blockers when eligible is false; empty when eligible."))
    splittable = serializers.BooleanField(help_text=(
        "true when the carrier may port voice but leave SMS behind: include explicit SMS instructions in your LoA."))
    estimated_foc_date = serializers.DateField(allow_null=True, help_text=(
        "The carrier's estimated Firm Order Commitment date (ISO 8601), when it can pre-compute one."))
    fast_portable = serializers.BooleanField(allow_null=True, help_text=(
        "true when the carrier flags a fast port; null when it does not say."))
    check_status = serializers.ChoiceField(choices=CHECK_STATUSES, help_text=(
        "checked: a live carrier verdict; check-not-supported: the carrier has no synchronous check (verify "
        "eligibility manually); check-skipped: the carrier did not answer (eligible is optimistic)."))
    provider = serializers.ChoiceField(choices=Provider.choices, help_text=(
        "The carrier selected for the check by the number's country."))


class PortabilityResultsSerializer(OutputSerializer):
    results = PortabilityResultSerializer(many=True, help_text="One verdict per number, in request order.")


class StoredServiceAddressSerializer(OutputSerializer):
    line1 = serializers.CharField()
    line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField()
    state = serializers.CharField(required=False, allow_blank=True)
    postalCode = serializers.CharField()
    countryCode = serializers.CharField(help_text="ISO 3166-1 alpha-2.")

    def to_representation(self, instance):
        # Stored as it was given: line2 and state only when given.
        return super().to_representation({"line2": None, "state": None, **instance})


class PortRejectionSerializer(OutputSerializer):
    """Why a port-in was rejected, rendered from the request (null while it is not rejected)."""

    code = serializers.CharField(help_text="The carrier's or the LoA review's reject code, e.g. "
                                           "ACCOUNT_NUMBER_MISMATCH.")
    explanation = serializers.CharField(help_text="What the code means, in plain English.")
    recommendedAction = serializers.CharField(help_text="What to correct before supplementing.")
    carrierNote = serializers.CharField(allow_blank=True, help_text="The carrier's (or reviewer's) own note.")
    rejectedBy = serializers.ChoiceField(choices=PortRequest.RejectedBy.choices)
    rejectedAt = serializers.DateTimeField(allow_null=True)
    supplementDeadline = serializers.DateTimeField(allow_null=True, help_text=(
        "POST …/supplement until then; after it, submit a new request."))
    canSupplement = serializers.BooleanField()

    def to_representation(self, port_request: PortRequest):
        details = reject_details(port_request)
        return None if details is None else super().to_representation(details)


class PortRequestSerializer(OutputSerializer):
    """A port-in request (numbers-overview, "Number Porting")."""

    id = serializers.CharField(help_text="port_…")
    status = serializers.ChoiceField(choices=PortStatus.choices)
    numbers = serializers.ListField(child=serializers.CharField(), help_text="E.164 numbers to port in.")
    country = NullableText(help_text="ISO 3166-1 alpha-2; null: stored without one for hand-processing.")
    provider = NullableProvider()
    currentCarrier = serializers.CharField(source="current_carrier")
    accountNumber = NullableText(source="account_number")
    accountPinProvided = serializers.BooleanField(source="account_pin_provided", help_text=(
        "Whether an account PIN was given; the PIN itself is never returned."))
    authorizedSigner = NullableText(source="authorized_signer")
    serviceAddress = StoredServiceAddressSerializer(source="service_address", allow_null=True)
    mode = serializers.ChoiceField(source="loa_mode", choices=PortRequest.LoaMode.choices, help_text=(
        "loa_url: a signed LoA URL came with the submission; manual: attach and sign the LoA afterwards."))
    handProcessing = serializers.SerializerMethodField(help_text=(
        "true when stored without a country: operations pick it and dispatch the port by hand."))
    carrierHandling = serializers.ChoiceField(source="handling", choices=PortRequest.Handling.choices)
    loaFileId = serializers.CharField(source="loa_file_id", allow_null=True)
    loaSignatureStatus = serializers.ChoiceField(source="loa_signature_status", choices=LoaSignatureStatus.choices)
    loaSignedBy = NullableText(source="loa_signer_name")
    loaSignedAt = serializers.DateTimeField(source="loa_signed_at", allow_null=True)
    providerOrderId = NullableText(source="provider_order_id")
    providerStatus = NullableText(source="provider_status", help_text="The carrier's own status word.")
    focDate = serializers.DateField(source="foc_date", allow_null=True, help_text="Firm Order Commitment date.")
    rejection = PortRejectionSerializer(source="*", allow_null=True, help_text="Set while the request is rejected.")
    supplementCount = serializers.IntegerField(source="supplement_count", min_value=0)
    submittedAt = serializers.DateTimeField(source="submitted_at", help_text=(
        "Starts the FOC clock; a supplement does not restart it."))
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    cancelledAt = serializers.DateTimeField(source="cancelled_at", allow_null=True)

    def get_handProcessing(self, port_request: PortRequest) -> bool:
        return not port_request.country



class TimelineStageSerializer(OutputSerializer):
    stage = serializers.ChoiceField(choices=[(s.value, s.label) for s in PORT_IN_STAGES])
    state = serializers.ChoiceField(choices=STAGE_STATES)
    enteredAt = serializers.DateTimeField(source="entered_at", allow_null=True)


class TimelineEventSerializer(OutputSerializer):
    status = serializers.ChoiceField(choices=PortStatus.choices)
    at = serializers.DateTimeField(source="created_at")
    note = serializers.CharField(allow_blank=True)


class PortTimelineSerializer(OutputSerializer):
    """Per-stage timeline: submitted → validating_loa → carrier_review → foc_assigned → foc_scheduled →
    completed, the elapsed days, the FOC date and, on rejection, the reject code explained."""

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=PortStatus.choices)
    stages = TimelineStageSerializer(many=True)
    elapsedDays = serializers.IntegerField(source="elapsed_days", min_value=0, help_text=(
        "Whole days since submission (until completion or cancellation)."))
    submittedAt = serializers.DateTimeField(source="submitted_at")
    focDate = serializers.DateField(source="foc_date", allow_null=True)
    rejection = PortRejectionSerializer(source="port_request", allow_null=True, help_text=(
        "Set while the request is rejected: the reject code in plain English and what to do about it."))
    history = TimelineEventSerializer(many=True, help_text="Every status the request entered, oldest first.")


class PortOutLineSerializer(OutputSerializer):
    number_id = serializers.CharField(source="owned_number_id")
    phone_number = serializers.CharField(source="e164")


class PortOutRejectionSerializer(OutputSerializer):
    """Why the carrier rejected a port-out, rendered from the port-out (null unless it is rejected)."""

    code = serializers.CharField()
    explanation = serializers.CharField()
    recommended_action = serializers.CharField()
    carrier_note = serializers.CharField(allow_blank=True)

    def to_representation(self, port_out):
        details = port_out_rejection(port_out)
        return None if details is None else super().to_representation(details)


class PortOutSerializer(OutputSerializer):
    """A port-out request (one number or a batch on one provider)."""

    id = serializers.CharField(help_text="pout_…")
    status = serializers.ChoiceField(choices=PortOutStatus.choices)
    numbers = PortOutLineSerializer(source="lines.all", many=True)  # a related manager itself is callable
    provider = serializers.ChoiceField(choices=Provider.choices)
    provider_order_id = NullableText()
    provider_status = NullableText(help_text="The carrier's own status word.")
    foc_date = serializers.DateField(allow_null=True)
    destination_carrier = NullableText()
    target_carrier_ocn = NullableText()
    authorized_person = NullableText()
    losing_carrier_account_number = NullableText()
    new_owner_info = NullableText()
    rejection = PortOutRejectionSerializer(source="*", allow_null=True, help_text="Set when the carrier rejected it.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


class NumberPortOutSerializer(PortOutSerializer):
    """A single-number port-out: the port-out, plus the number it moves."""

    number_id = serializers.SerializerMethodField()
    phone_number = serializers.SerializerMethodField()

    def get_number_id(self, port_out) -> str:
        return port_out.lines.all()[0].owned_number_id

    def get_phone_number(self, port_out) -> str:
        return port_out.lines.all()[0].e164


class PortOutProtectionSerializer(OutputSerializer):
    """Port-Out Protection of a number: { enabled, set_at }. The PIN is never returned."""

    enabled = serializers.BooleanField()
    set_at = serializers.DateTimeField(allow_null=True, help_text="When the current PIN was set; null when disabled.")
