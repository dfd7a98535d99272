"""POST /api/v1/files/upload and the signed download URL it returns."""
from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from django.views.decorators.http import require_GET
from rest_framework.parsers import FormParser, MultiPartParser

from ..api.responses import error_json_response, iso, ok
from ..api.views import OrbitAPIView
from ..errors import Forbidden, ValidationFailed
from . import services
from .models import StoredFile

# The multipart envelope around a 25 MB file: anything far larger is refused before parsing.
_BODY_SLACK = 1024 * 1024


def file_payload(stored: StoredFile, request=None) -> dict:
    signed = services.file_signed_url(stored_file=stored, request=request)
    return {
        "id": stored.id, "purpose": stored.purpose, "filename": stored.original_name,
        "content_type": stored.content_type, "size": stored.size, "sha256": stored.sha256,
        "url": signed.url, "expires_at": iso(signed.expires_at), "created_at": iso(stored.created_at),
    }


class FileUploadView(OrbitAPIView):
    """Multipart ``file`` (+ optional ``purpose``: loa | invoice). The only purposes today are
    porting documents, so the scope is porting:write."""

    required_scopes = {"POST": "porting:write"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": inline_serializer("FileUpload", {
        "file": serializers.FileField(help_text="At most 25 MB; the type is read from the content"),
        "purpose": serializers.ChoiceField(choices=["loa", "invoice"], required=False)})},
        responses={201: OpenApiTypes.OBJECT}, operation_id="files_upload",
        summary="Upload a file; returns a signed, expiring URL (use it as loaFileUrl)")
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > services.MAX_UPLOAD_BYTES + _BODY_SLACK:
            raise ValidationFailed.field("file", "must be at most 25 MB")
        unknown = sorted(set(request.data.keys()) - {"file", "purpose"})
        if unknown:
            raise ValidationFailed("Unknown field(s).", details={name: "unknown field" for name in unknown})
        purpose = request.data.get("purpose") or StoredFile.Purpose.LOA
        stored = services.file_store(organization=self.organization, upload=request.FILES.get("file"),
                                     purpose=purpose, **self.actor())
        return ok(request, file_payload(stored, request), status=201)


@require_GET
def file_content(request, file_id: str):
    """The signed URL itself is the credential (like a cloud-storage signed URL): no API key,
    but the token must be ours, unexpired, and bound to this file and its organisation."""
    token = request.GET.get("token", "")
    stored = services.file_token_verify(file_id=file_id, token=token) if token else None
    if stored is None:
        return error_json_response(Forbidden("This file URL is invalid or has expired."),
                                   getattr(request, "request_id", ""))
    response = FileResponse(services.file_open(stored), content_type=stored.content_type,
                            as_attachment=True, filename=f"{stored.id}.{services.EXTENSIONS[stored.content_type]}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
