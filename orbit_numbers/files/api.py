"""POST /api/v1/files/upload and the signed download URL it returns.

- ``FileViewSet.upload``: an API-key endpoint (porting:write) like every other.
- ``FileContentViewSet.content``: GET files/{file_id}/content?token=… The signed URL itself is the
  credential (like a cloud-storage signed URL), so it takes no API key and is not rate limited per key;
  it is in the schema (no security requirement) so generated clients can download. Its failures are
  the JSON error envelope like the rest of /api/, never an HTML page.
"""
from __future__ import annotations

from typing import NamedTuple

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny

from ..api.openapi import RESPONSE_HEADERS, envelope, error_response, errors, schema_field
from ..api.serializers import OutputSerializer, StrictSerializer
from ..api.viewsets import OrbitViewSet
from ..errors import BadRequest, Forbidden, PayloadTooLarge, ValidationFailed
from . import services
from .models import StoredFile

# The multipart envelope around a 25 MB file: a body larger than both is refused before it is read.
_BODY_SLACK = 1024 * 1024

UNSUPPORTED_MEDIA_TYPE = error_response(415, "The body must be multipart/form-data.", codes=["UNSUPPORTED_MEDIA_TYPE"])
UPLOAD_TOO_LARGE = error_response(413, (
    "The body is over 25 MB plus its multipart envelope (refused from Content-Length before it is read), or "
    "its non-file fields are over 1 MB."))


def refuse_oversized_upload(request) -> None:
    """413 from the Content-Length header alone, before a byte of the body is read (the JSON limit,
    DATA_UPLOAD_MAX_MEMORY_SIZE, does not count file parts, so an upload needs its own)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Content-Length must be a number of bytes.") from None
    if length > services.MAX_UPLOAD_BYTES + _BODY_SLACK:
        raise PayloadTooLarge("The body is over the 25 MB upload limit.")


def multipart_body(request, body_class: type[serializers.Serializer]) -> dict:
    """The fields of a multipart body that ``body_class`` declares; any other field is 422. The
    values are checked by the service that stores the file. An oversized body is 413 unread."""
    refuse_oversized_upload(request)
    declared = body_class().fields
    unknown = sorted(set(request.data.keys()) - set(declared))
    if unknown:
        raise ValidationFailed("Unknown field(s).", details={name: "unknown field" for name in unknown})
    body = {}
    for name, field in declared.items():
        # A file only counts as a file part: a text field named "file" is no file.
        value = (request.FILES if isinstance(field, serializers.FileField) else request.data).get(name)
        if value not in (None, ""):
            body[name] = value
    return body


class FileUploadSerializer(StrictSerializer):
    """multipart/form-data body of POST /api/v1/files/upload."""

    file = schema_field(OpenApiTypes.BINARY, base=serializers.FileField)(help_text=(
        "At most 25 MB; the type is read from the content (PDF, JPEG, PNG, HEIC)."))
    purpose = serializers.ChoiceField(choices=StoredFile.Purpose.choices, required=False, help_text=(
        "What the file is for (default loa). loa and invoice (porting documents) need porting:write; "
        "compliance (documents of a compliance profile) needs numbers:write."))


class UploadedFile(NamedTuple):
    file: StoredFile
    signed: services.SignedUrl


class UploadedFileSerializer(OutputSerializer):
    id = serializers.CharField(source="file.id", help_text="file_…")
    purpose = serializers.ChoiceField(source="file.purpose", choices=StoredFile.Purpose.choices)
    filename = serializers.CharField(source="file.original_name", allow_blank=True, help_text="As uploaded.")
    content_type = serializers.ChoiceField(source="file.content_type", choices=list(services.EXTENSIONS), help_text=(
        "Read from the content, not the name."))
    size = serializers.IntegerField(source="file.size", min_value=1, help_text="Bytes.")
    sha256 = serializers.CharField(source="file.sha256")
    url = serializers.CharField(source="signed.url", help_text=(
        "Signed download URL; pass it as loaFileUrl when you submit a port-in. Expires at expires_at."))
    expires_at = serializers.DateTimeField(source="signed.expires_at")
    created_at = serializers.DateTimeField(source="file.created_at")


# Who may upload what: porting documents with a porting key, compliance documents with a numbers key.
PURPOSE_SCOPES = {StoredFile.Purpose.LOA: "porting:write", StoredFile.Purpose.INVOICE: "porting:write",
                  StoredFile.Purpose.COMPLIANCE: "numbers:write"}


class FileViewSet(OrbitViewSet):
    """Uploads of porting documents (LoAs, bill copies) and compliance documents; the scope follows the purpose."""

    queryset = StoredFile.objects.all()
    required_scopes = {"upload": tuple(dict.fromkeys(PURPOSE_SCOPES.values()))}
    serializer_class = UploadedFileSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="files_upload", tags=["files"], parameters=RESPONSE_HEADERS,
        summary="Upload a file; returns a signed, expiring URL (use it as loaFileUrl)",
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: envelope(UploadedFileSerializer), **errors(400, 401, 403, 422, 429, notes={
            400: "Malformed multipart body.",
            422: "No file, an empty file, a file over 25 MB, a type that is not allowed (read from the content), "
                 "an unknown purpose or an unknown field."}), 413: UPLOAD_TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE},
    )
    @action(detail=False, methods=["post"])
    def upload(self, request):
        body = multipart_body(request, FileUploadSerializer)
        purpose = body.get("purpose") or StoredFile.Purpose.LOA
        needed = PURPOSE_SCOPES.get(purpose)  # an unknown purpose is file_store's 422
        if needed and not self.api_key.has_scope(needed):
            raise Forbidden(f"Missing required scope: {needed} (to upload a {purpose} file).")
        stored = services.file_store(organization=self.organization, upload=body.get("file"), purpose=purpose,
                                     **self.actor())
        signed = services.file_signed_url(stored_file=stored)
        return self.respond(UploadedFile(stored, signed), status=201)


class IgnoreAccept(BaseContentNegotiation):
    """A download answers its file whatever Accept says; its errors are always JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileContentViewSet(viewsets.GenericViewSet):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = IgnoreAccept
    lookup_url_kwarg = "file_id"
    lookup_value_converter = "str"

    @extend_schema(
        operation_id="files_content", tags=["files"], auth=[],
        summary="Download a file through its signed URL (no API key: the URL is the credential)",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True, description=(
                        "The token of the signed URL returned by the upload.")),
                    *(p for p in RESPONSE_HEADERS if p.name == "X-Request-Id")],
        responses={**{(200, content_type): OpenApiTypes.BINARY for content_type in services.EXTENSIONS},
                   403: error_response(403, "The URL is invalid, tampered with, expired, or not this file's.",
                                       codes=["FORBIDDEN"])},
    )
    @action(detail=True, methods=["get"])
    def content(self, request, file_id: str):
        token = request.query_params.get("token", "")
        stored = services.file_token_verify(file_id=file_id, token=token) if token else None
        if stored is None:
            raise Forbidden("This file URL is invalid or has expired.")
        response = FileResponse(services.file_open(stored), content_type=stored.content_type, as_attachment=True,
                                filename=f"{stored.id}.{services.EXTENSIONS[stored.content_type]}")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
