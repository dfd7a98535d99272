"""Porting endpoints. Thin: parse, call a service or selector, render.

Scopes: reads (including the portability check, which orders nothing) need porting:read;
anything that submits, changes or cancels a port — and Port-Out Protection, a porting
security control — needs porting:write.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.pagination import keyset_page, parse_limit
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import ok
from orbit_numbers.api.views import OrbitAPIView
from orbit_numbers.errors import ValidationFailed

from . import portability, selectors, services
from .models import PortOutStatus, PortStatus
from .serializers import (LoaSignSerializer, PortabilityCheckSerializer, PortInSubmitSerializer,
                          PortInSupplementSerializer, PortOutBatchSerializer, PortOutSingleSerializer,
                          ProtectionSetSerializer, port_out_data, port_request_data, port_request_timeline,
                          protection_data)

READ_WRITE = {"GET": "porting:read", "POST": "porting:write", "DELETE": "porting:write"}
LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="Only requests in this status."),
    OpenApiParameter("cursor", str, description="Opaque cursor from meta.pagination.cursor."),
    OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)."),
]
LOA_UPLOAD = inline_serializer("LoaUpload", {"file": serializers.FileField(help_text="PDF, JPEG, PNG or HEIC")})


def _status_filter(request, choices) -> str | None:
    status = request.query_params.get("status")
    if status and status not in choices.values:
        raise ValidationFailed.field("status", f"must be one of {', '.join(choices.values)}")
    return status or None


class PortabilityCheckView(OrbitAPIView):
    required_scopes = {"POST": "porting:read"}
    rate_limits = {"POST": RateLimit("portability_check", 20)}

    @extend_schema(request=PortabilityCheckSerializer, responses=OpenApiTypes.OBJECT, operation_id="porting_check",
                   summary="Check portability (read-only pre-flight; 20/min per organisation)")
    def post(self, request):
        body = self.validated(PortabilityCheckSerializer)
        numbers = body.get("numbers") or [body["phone_number"]]
        return ok(request, {"results": portability.portability_check(numbers=numbers)})


class PortRequestListView(OrbitAPIView):
    required_scopes = READ_WRITE

    @extend_schema(parameters=LIST_PARAMETERS, responses=OpenApiTypes.OBJECT, operation_id="porting_list",
                   summary="List port-in requests")
    def get(self, request):
        query = selectors.port_requests_for(organization=self.organization,
                                            status=_status_filter(request, PortStatus))
        page = keyset_page(query, cursor=request.query_params.get("cursor"),
                           limit=parse_limit(request.query_params.get("limit"), default=25, maximum=100),
                           scope="port_requests")
        return ok(request, [port_request_data(p) for p in page.items], pagination=page.pagination)

    @extend_schema(request=PortInSubmitSerializer, responses={201: OpenApiTypes.OBJECT}, operation_id="porting_submit",
                   summary="Submit a port-in request")
    @idempotent
    def post(self, request):
        body = self.validated(PortInSubmitSerializer)
        port_request = services.port_request_submit(
            organization=self.organization, numbers=body["numbers"], current_carrier=body["currentCarrier"],
            country=body.get("country", ""), loa_file_url=body.get("loaFileUrl", ""),
            account_number=body.get("accountNumber", ""), account_pin=body.get("accountPin", ""),
            authorized_signer=body.get("authorizedSigner", ""), service_address=body.get("serviceAddress"),
            **self.actor())
        return ok(request, port_request_data(port_request), status=201)


class PortRequestDetailView(OrbitAPIView):
    required_scopes = READ_WRITE

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="porting_get", summary="Get a port-in request")
    def get(self, request, port_request_id: str):
        return ok(request, port_request_data(selectors.port_request_get(
            organization=self.organization, port_request_id=port_request_id)))

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="porting_cancel", summary="Cancel a port-in request")
    @idempotent
    def delete(self, request, port_request_id: str):
        port_request = services.port_request_cancel(organization=self.organization, port_request_id=port_request_id,
                                                    **self.actor())
        return ok(request, port_request_data(port_request))


class PortRequestLoaView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": LOA_UPLOAD}, responses={201: OpenApiTypes.OBJECT},
                   operation_id="porting_loa_upload", summary="Upload the LoA (loaSignatureStatus → draft)")
    def post(self, request, port_request_id: str):
        unknown = sorted(set(request.data.keys()) - {"file"})
        if unknown:
            raise ValidationFailed("Unknown field(s).", details={name: "unknown field" for name in unknown})
        port_request = services.port_request_loa_upload(
            organization=self.organization, port_request_id=port_request_id, upload=request.FILES.get("file"),
            **self.actor())
        return ok(request, port_request_data(port_request), status=201)


class PortRequestLoaSignView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}

    @extend_schema(request=LoaSignSerializer, responses=OpenApiTypes.OBJECT, operation_id="porting_loa_sign",
                   summary="Sign the LoA (loaSignatureStatus → signed)")
    def post(self, request, port_request_id: str):
        body = self.validated(LoaSignSerializer)
        port_request = services.port_request_loa_sign(
            organization=self.organization, port_request_id=port_request_id, signer_name=body["signerName"],
            signer_email=body["signerEmail"], **self.actor())
        return ok(request, port_request_data(port_request))


class PortRequestTimelineView(OrbitAPIView):
    required_scopes = {"GET": "porting:read"}

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="porting_timeline",
                   summary="Per-stage timeline, elapsed days, FOC date and reject explanation")
    def get(self, request, port_request_id: str):
        return ok(request, port_request_timeline(selectors.port_request_get(
            organization=self.organization, port_request_id=port_request_id)))


class PortRequestRefreshView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, operation_id="porting_refresh",
                   summary="Re-poll the carrier")
    def post(self, request, port_request_id: str):
        port_request = services.port_request_refresh(organization=self.organization,
                                                      port_request_id=port_request_id, **self.actor())
        return ok(request, port_request_data(port_request))


class PortRequestSupplementView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}

    @extend_schema(request=PortInSupplementSerializer, responses=OpenApiTypes.OBJECT, operation_id="porting_supplement",
                   summary="Supplement a rejected request (within 7 days of the rejection)")
    @idempotent
    def post(self, request, port_request_id: str):
        body = self.validated(PortInSupplementSerializer)
        port_request = services.port_request_supplement(
            organization=self.organization, port_request_id=port_request_id,
            changes=PortInSupplementSerializer.changes(body), **self.actor())
        return ok(request, port_request_data(port_request))


class PortOutListView(OrbitAPIView):
    required_scopes = READ_WRITE

    @extend_schema(parameters=LIST_PARAMETERS, responses=OpenApiTypes.OBJECT, operation_id="porting_out_list",
                   summary="List port-out requests")
    def get(self, request):
        query = selectors.port_outs_for(organization=self.organization, status=_status_filter(request, PortOutStatus))
        page = keyset_page(query, cursor=request.query_params.get("cursor"),
                           limit=parse_limit(request.query_params.get("limit"), default=25, maximum=100),
                           scope="port_outs")
        return ok(request, [port_out_data(p) for p in page.items], pagination=page.pagination)

    @extend_schema(request=PortOutBatchSerializer, responses={201: OpenApiTypes.OBJECT},
                   operation_id="porting_out_submit", summary="Submit a batch port-out (1-50 numbers, one provider)")
    @idempotent
    def post(self, request):
        body = self.validated(PortOutBatchSerializer)
        numbers, missing = selectors.owned_numbers_by_e164(organization=self.organization, numbers=body["numbers"])
        if missing:
            raise ValidationFailed.field("numbers", f"not numbers of your organisation: {', '.join(missing)}")
        port_out = services.port_out_submit(
            organization=self.organization, numbers=numbers, port_out_pin=body.get("port_out_pin") or None,
            destination_carrier=body["destinationCarrier"], new_owner_info=body.get("newOwnerInfo", ""),
            **self.actor())
        return ok(request, port_out_data(port_out), status=201)


class PortOutDetailView(OrbitAPIView):
    required_scopes = READ_WRITE

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="porting_out_get", summary="Get a port-out request")
    def get(self, request, port_out_id: str):
        return ok(request, port_out_data(selectors.port_out_get(organization=self.organization,
                                                                port_out_id=port_out_id)))

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="porting_out_cancel",
                   summary="Cancel a port-out (numbers go back to their earlier status)")
    @idempotent
    def delete(self, request, port_out_id: str):
        port_out = services.port_out_cancel(organization=self.organization, port_out_id=port_out_id, **self.actor())
        return ok(request, port_out_data(port_out))


class PortOutRefreshView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, operation_id="porting_out_refresh",
                   summary="Re-poll the carrier for a port-out")
    def post(self, request, port_out_id: str):
        port_out = services.port_out_refresh(organization=self.organization, port_out_id=port_out_id,
                                             **self.actor())
        return ok(request, port_out_data(port_out))


class NumberPortOutView(OrbitAPIView):
    required_scopes = {"POST": "porting:write"}

    @extend_schema(request=PortOutSingleSerializer, responses={201: OpenApiTypes.OBJECT},
                   operation_id="number_port_out", summary="Port one number out")
    @idempotent
    def post(self, request, number_id: str):
        body = self.validated(PortOutSingleSerializer)
        number = selectors.owned_number_get(organization=self.organization, number_id=number_id)
        port_out = services.port_out_submit(
            organization=self.organization, numbers=[number], port_out_pin=body.get("port_out_pin") or None,
            target_carrier_ocn=body["target_carrier_ocn"], authorized_person=body["authorized_person"],
            losing_carrier_account_number=body["losing_carrier_account_number"], **self.actor())
        return ok(request, {**port_out_data(port_out), "number_id": number.id, "phone_number": number.e164},
                  status=201)


class PortOutProtectionView(OrbitAPIView):
    required_scopes = READ_WRITE

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="number_port_out_protection_get",
                   summary="Port-Out Protection status ({enabled, set_at})")
    def get(self, request, number_id: str):
        number = selectors.owned_number_get(organization=self.organization, number_id=number_id)
        return ok(request, protection_data(selectors.port_out_protection_for(number=number)))

    @extend_schema(request=ProtectionSetSerializer, responses={201: OpenApiTypes.OBJECT},
                   operation_id="number_port_out_protection_set", summary="Set or rotate the port-out PIN")
    def post(self, request, number_id: str):
        body = self.validated(ProtectionSetSerializer)
        protection = services.port_out_protection_set(organization=self.organization, number_id=number_id,
                                                      pin=body["port_out_pin"], **self.actor())
        return ok(request, protection_data(protection), status=201)

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="number_port_out_protection_disable",
                   summary="Disable Port-Out Protection")
    def delete(self, request, number_id: str):
        services.port_out_protection_disable(organization=self.organization, number_id=number_id, **self.actor())
        return ok(request, {"enabled": False, "set_at": None})
