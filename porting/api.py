"""Porting endpoints, as viewsets. Thin: parse, call a service or selector, render.

- ``PortRequestViewSet``: numbers/porting (list, submit), …/check (the pre-flight portability
  check), numbers/porting/{port_request_id} (get, cancel) and its loa, loa/sign, timeline,
  refresh and supplement actions.
- ``PortOutViewSet``: numbers/porting/out (list, submit a batch), …/{port_out_id} (get, cancel),
  …/refresh.
- ``NumberPortingViewSet``: numbers/{number_id}/port-out and …/port-out-protection.

Scopes: reads (including the portability check, which orders nothing) need porting:read;
anything that submits, changes or cancels a port — and Port-Out Protection, a porting
security control — needs porting:write.
"""
from __future__ import annotations

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser

from inventory.models import OwnedNumber
from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import (IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, AnyOfSerializer,
                                       DeleteBodyAutoSchema, envelope, error_response, errors)
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.viewsets import OrbitViewSet
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.files.api import UNSUPPORTED_MEDIA_TYPE, UPLOAD_TOO_LARGE, multipart_body

from . import portability, selectors, services
from .filters import PortOutFilterSet, PortRequestFilterSet
from .models import PortOutRequest, PortRequest
from .serializers import (LoaSignSerializer, LoaUploadSerializer, NumberPortOutSerializer, PortabilityCheckSerializer,
                          PortabilityResultSerializer, PortabilityResultsSerializer, PortInSubmitSerializer,
                          PortInSupplementSerializer, PortOutBatchSerializer, PortOutProtectionSerializer,
                          PortOutSerializer, PortOutSingleSerializer, PortRequestSerializer, PortTimelineSerializer,
                          ProtectionDisableSerializer, ProtectionSetSerializer)

READ, WRITE = "porting:read", "porting:write"
TAGS = ["porting"]

# --- the responses only porting gives ---------------------------------------------------------------

PIN_MISMATCH = error_response(401, (
    "The API key is missing, invalid or revoked (UNAUTHORIZED); or a number has Port-Out Protection and "
    "port_out_pin is missing or does not match (PORT_OUT_PIN_MISMATCH, before any carrier call)."),
    codes=["UNAUTHORIZED", "PORT_OUT_PIN_MISMATCH"])
CURRENT_PIN_MISMATCH = error_response(401, (
    "The API key is missing, invalid or revoked (UNAUTHORIZED); or the number's PIN is set and the current PIN is "
    "missing or does not match (PORT_OUT_PIN_MISMATCH; counts towards the lockout)."),
    codes=["UNAUTHORIZED", "PORT_OUT_PIN_MISMATCH"])
PIN_LOCKOUT = error_response(429, (
    "Rate limited; or port-outs of a protected number are locked after 5 wrong PINs within 15 minutes, for 30 "
    "minutes (even with the right PIN). Retry after Retry-After seconds."))
LOA_URL_INVALID = error_response(422, (
    "Validation failed: error.details maps each field to its message (VALIDATION_ERROR); or loaFileUrl is not a "
    "URL that POST /api/v1/files/upload issued to your organisation, or it has expired (LOA_URL_INVALID_ORIGIN)."),
    codes=["VALIDATION_ERROR", "LOA_URL_INVALID_ORIGIN"])
CHECK_LIMITED = error_response(429, "More than 20 portability checks a minute for your organisation, or the "
                                    "per-key budget is spent; retry after Retry-After seconds.")
CHECK_RESULT = AnyOfSerializer("PortabilityCheckResult", [PortabilityResultSerializer, PortabilityResultsSerializer])
IDEMPOTENCY_KEY_422 = "A malformed Idempotency-Key header (it must be 1-255 characters)."


class PortRequestPagination(KeysetPagination):
    default_limit, max_limit = 25, 100


class PortRequestViewSet(OrbitViewSet):
    queryset = PortRequest.objects.all()
    lookup_url_kwarg = "port_request_id"
    lookup_value_converter = "port_request_id"
    serializer_class = PortRequestSerializer
    filterset_class = PortRequestFilterSet
    pagination_class = PortRequestPagination
    required_scopes = {"list": READ, "retrieve": READ, "timeline": READ, "check": READ, "create": WRITE,
                       "destroy": WRITE, "loa": WRITE, "loa_sign": WRITE, "refresh": WRITE, "supplement": WRITE}
    rate_limits = {"check": RateLimit("portability_check", 20)}

    @extend_schema(
        operation_id="porting_check", tags=TAGS, parameters=RESPONSE_HEADERS,
        summary="Check portability (read-only pre-flight; 20/min per organisation)",
        description=("Asks the carrier that would port each number (Telnyx for US/CA, DIDWW elsewhere) and adds "
                     "Orbit's own blockers. No order, no charge. With `phone_number`, `data` is that number's "
                     "verdict; with `numbers[]`, `data.results[]` holds one verdict per number, in request order."),
        request=PortabilityCheckSerializer,
        responses={200: envelope(CHECK_RESULT, name="PortabilityCheckEnvelope"), **errors(400, 401, 403, 422),
                   429: CHECK_LIMITED},
    )
    @action(detail=False, methods=["post"])
    def check(self, request):
        body = self.validated(PortabilityCheckSerializer)
        if "numbers" in body:
            results = portability.portability_check(organization=self.organization, numbers=body["numbers"])
            return self.respond({"results": results}, serializer_class=PortabilityResultsSerializer)
        [verdict] = portability.portability_check(organization=self.organization,
                                                       numbers=[body["phone_number"]])
        return self.respond(verdict, serializer_class=PortabilityResultSerializer)

    @extend_schema(
        operation_id="porting_list", summary="List port-in requests (newest first)", tags=TAGS,
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(PortRequestSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="porting_submit", summary="Submit a port-in request", tags=TAGS,
        description=("With `loaFileUrl` (from POST /api/v1/files/upload) the request waits for LoA review "
                     "(validating_loa); without it, it is in manual mode: upload and sign the LoA afterwards. "
                     "Without `country` it is stored for hand-processing."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        request=PortInSubmitSerializer,
        responses={201: envelope(PortRequestSerializer), **errors(400, 401, 403, 409, 429, notes={
            409: "A number cannot be ported in: error.details.reasons maps it to YOUR_NUMBER (already one of "
                 "your numbers), YOUR_OPEN_PORT_IN or NOT_ELIGIBLE; or the Idempotency-Key was used with a "
                 "different request."}), 422: LOA_URL_INVALID},
    )
    @idempotent
    def create(self, request):
        body = self.validated(PortInSubmitSerializer)
        port_request = services.port_request_submit(
            organization=self.organization, numbers=body["numbers"], current_carrier=body["currentCarrier"],
            country=body.get("country", ""), loa_file_url=body.get("loaFileUrl", ""),
            account_number=body.get("accountNumber", ""), account_pin=body.get("accountPin", ""),
            authorized_signer=body.get("authorizedSigner", ""), service_address=body.get("serviceAddress"),
            **self.actor())
        return self.respond(port_request, status=201)

    @extend_schema(
        operation_id="porting_get", summary="Get a port-in request", tags=TAGS, parameters=RESPONSE_HEADERS,
        responses={200: envelope(PortRequestSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, port_request_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="porting_cancel", summary="Cancel a port-in request", tags=TAGS,
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=None,
        responses={200: envelope(PortRequestSerializer), **errors(401, 403, 404, 409, 422, 429, notes={
            409: "Already completed or cancelled, or the carrier refused the cancellation; or the Idempotency-Key "
                 "was used with a different request.",
            422: IDEMPOTENCY_KEY_422})},
    )
    @idempotent(render="rendered")
    def destroy(self, request, port_request_id: str):
        port_request = services.port_request_cancel(organization=self.organization, port_request_id=port_request_id,
                                                    **self.actor())
        return self.rendered(port_request)

    def rendered(self, port_request: PortRequest):
        """The response of a phased write (cancel, supplement), stored with its effect."""
        return self.respond(port_request)

    @extend_schema(
        operation_id="porting_loa_upload", summary="Upload the LoA (loaSignatureStatus → draft)", tags=TAGS,
        parameters=RESPONSE_HEADERS, request={"multipart/form-data": LoaUploadSerializer},
        responses={201: envelope(PortRequestSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            400: "Malformed multipart body.",
            409: "The LoA cannot change once the request is with the carrier (or completed or cancelled).",
            422: "No file, an empty file, a file over 25 MB or not a PDF, JPEG, PNG or HEIC (read from its content), "
                 "or an unknown field."}), 413: UPLOAD_TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def loa(self, request, port_request_id: str):
        body = multipart_body(request, LoaUploadSerializer)
        port_request = services.port_request_loa_upload(
            organization=self.organization, port_request_id=port_request_id, upload=body.get("file"),
            **self.actor())
        return self.respond(port_request, status=201)

    @extend_schema(
        operation_id="porting_loa_sign", summary="Sign the LoA (loaSignatureStatus → signed)", tags=TAGS,
        parameters=RESPONSE_HEADERS, request=LoaSignSerializer,
        responses={200: envelope(PortRequestSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "No LoA uploaded yet, the LoA is already signed, or the request is with the carrier."})},
    )
    @action(detail=True, methods=["post"], url_path="loa/sign", url_name="loa-sign")
    def loa_sign(self, request, port_request_id: str):
        body = self.validated(LoaSignSerializer)
        port_request = services.port_request_loa_sign(
            organization=self.organization, port_request_id=port_request_id, signer_name=body["signerName"],
            signer_email=body["signerEmail"], **self.actor())
        return self.respond(port_request)

    @extend_schema(
        operation_id="porting_timeline", tags=TAGS, parameters=RESPONSE_HEADERS,
        summary="Per-stage timeline, elapsed days, FOC date and reject explanation",
        responses={200: envelope(PortTimelineSerializer), **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, port_request_id: str):
        timeline = selectors.port_request_timeline(port_request=self.get_object())
        return self.respond(timeline, serializer_class=PortTimelineSerializer)

    @extend_schema(
        operation_id="porting_refresh", summary="Re-poll the carrier", tags=TAGS, parameters=RESPONSE_HEADERS,
        request=None,
        responses={200: envelope(PortRequestSerializer), **errors(401, 403, 404, 409, 429, notes={
            409: "The request is not with the carrier, is handled by hand, or the carrier did not answer."})},
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, port_request_id: str):
        port_request = services.port_request_refresh(organization=self.organization,
                                                      port_request_id=port_request_id, **self.actor())
        return self.respond(port_request)

    @extend_schema(
        operation_id="porting_supplement", tags=TAGS, parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],
        summary="Supplement a rejected request (within 7 days of the rejection)",
        request=PortInSupplementSerializer,
        responses={200: envelope(PortRequestSerializer), **errors(400, 401, 403, 404, 409, 429, notes={
            409: "The request is not rejected, its supplement window has closed, or the carrier refused the "
                 "supplement; or the Idempotency-Key was used with a different request."}), 422: LOA_URL_INVALID},
    )
    @action(detail=True, methods=["post"])
    @idempotent(render="rendered")
    def supplement(self, request, port_request_id: str):
        body = self.validated(PortInSupplementSerializer)
        port_request = services.port_request_supplement(
            organization=self.organization, port_request_id=port_request_id,
            changes=PortInSupplementSerializer.changes(body), **self.actor())
        return self.rendered(port_request)


class PortOutViewSet(OrbitViewSet):
    queryset = PortOutRequest.objects.prefetch_related("lines")
    lookup_url_kwarg = "port_out_id"
    lookup_value_converter = "port_out_id"
    serializer_class = PortOutSerializer
    filterset_class = PortOutFilterSet
    pagination_class = PortRequestPagination
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE, "destroy": WRITE, "refresh": WRITE}

    @extend_schema(
        operation_id="porting_out_list", summary="List port-out requests (newest first)", tags=TAGS,
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(PortOutSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="porting_out_submit", summary="Submit a batch port-out (1-50 numbers, one provider)", tags=TAGS,
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=PortOutBatchSerializer,
        responses={201: envelope(PortOutSerializer), **errors(400, 403, 409, 422, notes={
            409: "A number is already porting out, or the carrier refused the port-out; or the Idempotency-Key was "
                 "used with a different request.",
            422: "Validation failed (error.details maps each field to its message), e.g. a number that is not "
                 "yours or numbers on different providers."}), 401: PIN_MISMATCH, 429: PIN_LOCKOUT},
    )
    @idempotent(render="created")
    def create(self, request):
        body = self.validated(PortOutBatchSerializer)
        numbers, missing = selectors.owned_numbers_by_e164(organization=self.organization, numbers=body["numbers"])
        if missing:
            raise ValidationFailed.field("numbers", f"not numbers of your organisation: {', '.join(missing)}")
        port_out = services.port_out_submit(
            organization=self.organization, numbers=numbers, port_out_pin=body.get("port_out_pin") or None,
            destination_carrier=body["destinationCarrier"], new_owner_info=body.get("newOwnerInfo", ""),
            **self.actor())
        return self.created(port_out)

    def created(self, port_out: PortOutRequest):
        """The submission's response, stored with its effect (the order recorded)."""
        return self.respond(port_out, status=201)

    def rendered(self, port_out: PortOutRequest):
        return self.respond(port_out)

    @extend_schema(
        operation_id="porting_out_get", summary="Get a port-out request", tags=TAGS, parameters=RESPONSE_HEADERS,
        responses={200: envelope(PortOutSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, port_out_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="porting_out_cancel", summary="Cancel a port-out (numbers go back to their earlier status)",
        tags=TAGS, parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=None,
        responses={200: envelope(PortOutSerializer), **errors(401, 403, 404, 409, 422, 429, notes={
            409: "Already completed, rejected or cancelled, or the carrier refused the cancellation; or the "
                 "Idempotency-Key was used with a different request.",
            422: IDEMPOTENCY_KEY_422})},
    )
    @idempotent(render="rendered")
    def destroy(self, request, port_out_id: str):
        port_out = services.port_out_cancel(organization=self.organization, port_out_id=port_out_id, **self.actor())
        return self.rendered(port_out)

    @extend_schema(
        operation_id="porting_out_refresh", summary="Re-poll the carrier for a port-out", tags=TAGS,
        parameters=RESPONSE_HEADERS, request=None,
        responses={200: envelope(PortOutSerializer), **errors(401, 403, 404, 409, 429, notes={
            409: "The port-out is no longer open, or the carrier did not answer."})},
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, port_out_id: str):
        port_out = services.port_out_refresh(organization=self.organization, port_out_id=port_out_id,
                                             **self.actor())
        return self.respond(port_out)


class NumberPortingViewSet(OrbitViewSet):
    """The porting actions of one owned number: port it out, and its Port-Out Protection."""

    queryset = OwnedNumber.objects.live().select_related("phone_number")
    lookup_url_kwarg = "number_id"
    lookup_value_converter = "number_id"
    serializer_class = PortOutProtectionSerializer
    schema = DeleteBodyAutoSchema()  # DELETE …/port-out-protection takes the current PIN
    required_scopes = {"port_out": WRITE, "port_out_protection": READ, "port_out_protection_set": WRITE,
                       "port_out_protection_disable": WRITE}

    @extend_schema(
        operation_id="number_port_out", summary="Port one number out", tags=TAGS,
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=PortOutSingleSerializer,
        responses={201: envelope(NumberPortOutSerializer), **errors(400, 403, 404, 409, 422, notes={
            409: "The number is already porting out, or the carrier refused the port-out; or the Idempotency-Key "
                 "was used with a different request."}), 401: PIN_MISMATCH, 429: PIN_LOCKOUT},
    )
    @action(detail=True, methods=["post"], url_path="port-out", url_name="port-out")
    @idempotent(render="port_out_created")
    def port_out(self, request, number_id: str):
        body = self.validated(PortOutSingleSerializer)
        number = self.get_object()
        port_out = services.port_out_submit(
            organization=self.organization, numbers=[number], port_out_pin=body.get("port_out_pin") or None,
            target_carrier_ocn=body["target_carrier_ocn"], authorized_person=body["authorized_person"],
            losing_carrier_account_number=body["losing_carrier_account_number"], **self.actor())
        return self.port_out_created(port_out)

    def port_out_created(self, port_out: PortOutRequest):
        """The port-out's response, stored with its effect (the order recorded)."""
        prefetch_related_objects([port_out], "lines")
        return self.respond(port_out, status=201, serializer_class=NumberPortOutSerializer)

    @extend_schema(
        operation_id="number_port_out_protection_get", summary="Port-Out Protection status ({enabled, set_at})",
        tags=TAGS, parameters=RESPONSE_HEADERS,
        responses={200: envelope(PortOutProtectionSerializer), **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"], url_path="port-out-protection", url_name="port-out-protection")
    def port_out_protection(self, request, number_id: str):
        return self.respond(selectors.port_out_protection_status(number=self.get_object()))

    @extend_schema(
        operation_id="number_port_out_protection_set", summary="Set or rotate the port-out PIN", tags=TAGS,
        description=("The first PIN needs no other. Rotating a PIN that is set presents it as "
                     "`current_port_out_pin`; a missing or wrong one is 401 and counts towards the lockout, and "
                     "while the number is locked rotation is refused (429) too."),
        parameters=RESPONSE_HEADERS, request=ProtectionSetSerializer,
        responses={201: envelope(PortOutProtectionSerializer), **errors(400, 403, 404, 422),
                   401: CURRENT_PIN_MISMATCH, 429: PIN_LOCKOUT},
    )
    @port_out_protection.mapping.post
    def port_out_protection_set(self, request, number_id: str):
        body = self.validated(ProtectionSetSerializer)
        protection = services.port_out_protection_set(
            organization=self.organization, number_id=number_id, pin=body["port_out_pin"],
            current_pin=body.get("current_port_out_pin") or None, **self.actor())
        return self.respond(selectors.port_out_protection_status(protection=protection), status=201)

    @extend_schema(
        operation_id="number_port_out_protection_disable", summary="Disable Port-Out Protection", tags=TAGS,
        description=("Presents the current PIN as `port_out_pin`; a missing or wrong one is 401 and counts towards "
                     "the lockout, and while the number is locked removal is refused (429) too. A number without a "
                     "PIN answers {enabled: false} with or without a body."),
        parameters=RESPONSE_HEADERS, request=ProtectionDisableSerializer,
        responses={200: envelope(PortOutProtectionSerializer), **errors(400, 403, 404, 422),
                   401: CURRENT_PIN_MISMATCH, 429: PIN_LOCKOUT},
    )
    @port_out_protection.mapping.delete
    def port_out_protection_disable(self, request, number_id: str):
        body = self.validated(ProtectionDisableSerializer)
        protection = services.port_out_protection_disable(organization=self.organization, number_id=number_id,
                                                          pin=body.get("port_out_pin") or None, **self.actor())
        return self.respond(selectors.port_out_protection_status(protection=protection))
