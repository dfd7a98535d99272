"""File writes and the signed-URL scheme.

A download URL carries a TimestampSigner token over {file id, organisation id}: only this
system can mint one (SECRET_KEY), it expires (FILE_URL_TTL_SECONDS), and it names the tenant,
so a URL is useless to another organisation and cannot be forged or extended.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from ..errors import LoaUrlInvalidOrigin, ValidationFailed
from ..models import ApiKey, Organization
from ..services import audit_record
from .models import StoredFile

_URL_SALT = "orbit.files.url"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

# Content types recognised from the first bytes of a file.
PDF, JPEG, PNG, HEIC = "application/pdf", "image/jpeg", "image/png", "image/heic"
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
ALLOWED_TYPES = {
    StoredFile.Purpose.LOA: (PDF, JPEG, PNG, HEIC),
    StoredFile.Purpose.INVOICE: (PDF, JPEG, PNG, HEIC),
    StoredFile.Purpose.COMPLIANCE: (PDF, JPEG, PNG, HEIC),
}
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", HEIC: "heic"}


def sniff_content_type(head: bytes) -> str | None:
    """The real type of a file from its magic bytes, or None when it is none we know."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime


def _ttl() -> int:
    return int(settings.ORBIT["FILE_URL_TTL_SECONDS"])


def _base_url() -> str:
    """ORBIT["PUBLIC_BASE_URL"]: never the request's Host, which a client chooses."""
    return settings.ORBIT["PUBLIC_BASE_URL"].rstrip("/")


def file_signed_url(*, stored_file: StoredFile) -> SignedUrl:
    token = signing.TimestampSigner(salt=_URL_SALT).sign_object(
        {"f": stored_file.id, "o": stored_file.organization_id}, compress=True)
    path = reverse("file-content", kwargs={"file_id": stored_file.id})
    return SignedUrl(url=f"{_base_url()}{path}?{urlencode({'token': token})}",
                     expires_at=timezone.now() + timedelta(seconds=_ttl()))


def file_token_verify(*, file_id: str, token: str) -> StoredFile | None:
    """The file a download token grants, or None if the token is forged, tampered, expired,
    or names another file or another organisation than the file's own."""
    try:
        payload = signing.TimestampSigner(salt=_URL_SALT).unsign_object(token, max_age=_ttl())
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(payload, dict) or payload.get("f") != file_id:
        return None
    return StoredFile.objects.filter(pk=file_id, organization_id=payload.get("o")).first()


def _is_our_origin(parts) -> bool:
    """Scheme, host and port of the URLs this system signs (PUBLIC_BASE_URL)."""
    ours = urlsplit(_base_url())
    return (parts.scheme, parts.hostname, parts.port) == (ours.scheme, ours.hostname, ours.port)


def file_resolve_signed_url(*, url: str, organization: Organization,
                            purpose: str = StoredFile.Purpose.LOA) -> StoredFile:
    """The file behind a URL this system signed for ``organization``, uploaded for ``purpose``;
    anything else — a foreign host, another path, a forged, tampered or expired token, another
    tenant's file, a file uploaded for another purpose — is LOA_URL_INVALID_ORIGIN."""
    if not isinstance(url, str) or not url:
        raise LoaUrlInvalidOrigin()
    parts = urlsplit(url)
    try:
        ours = _is_our_origin(parts)
    except ValueError:  # a port that is no number
        ours = False
    if not ours:
        raise LoaUrlInvalidOrigin()
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise LoaUrlInvalidOrigin() from None
    if match.url_name != "file-content":
        raise LoaUrlInvalidOrigin()
    tokens = parse_qs(parts.query).get("token", [])
    stored = file_token_verify(file_id=match.kwargs["file_id"], token=tokens[0]) if len(tokens) == 1 else None
    if stored is None or stored.organization_id != organization.pk:
        raise LoaUrlInvalidOrigin()
    if stored.purpose != purpose:
        # e.g. an invoice copy passed as the LoA: its type was checked for another purpose.
        raise LoaUrlInvalidOrigin(f"The file was uploaded with purpose {stored.purpose!r}; upload it with purpose "
                                  f"{purpose!r}.")
    return stored


@transaction.atomic
def file_store(*, organization: Organization, upload, purpose: str = StoredFile.Purpose.LOA,
               acting_key: ApiKey | None = None, acting_user=None) -> StoredFile:
    """Validate (size, real type for the purpose) and store an uploaded file."""
    if purpose not in ALLOWED_TYPES:
        raise ValidationFailed.field("purpose", f"must be one of {', '.join(ALLOWED_TYPES)}")
    if upload is None:
        raise ValidationFailed.field("file", "is required (multipart field 'file')")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed.field("file", "must be at most 25 MB")
    if upload.size == 0:
        raise ValidationFailed.field("file", "is empty")
    upload.seek(0)
    content_type = sniff_content_type(upload.read(32))
    allowed = ALLOWED_TYPES[purpose]
    if content_type not in allowed:
        raise ValidationFailed.field("file", "must be a PDF, JPEG, PNG or HEIC file (checked by content, not name)")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = StoredFile(organization=organization, purpose=purpose, content_type=content_type, size=upload.size,
                        sha256=digest.hexdigest(), original_name=(upload.name or "")[:255],
                        uploaded_by_key=acting_key)
    # The storage name is ours: never the caller's file name, which may carry paths or lies.
    name = f"files/{organization.pk}/{stored.id}.{EXTENSIONS[content_type]}"
    # Written before the row commits: a rolled-back upload leaves an orphan blob, never a row
    # pointing at nothing.
    stored.storage_name = default_storage.save(name, upload)
    stored.save(force_insert=True)
    audit_record(action="file.upload", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=stored, after={"purpose": purpose, "content_type": content_type, "size": stored.size,
                                       "sha256": stored.sha256})
    return stored


def file_open(stored_file: StoredFile):
    return default_storage.open(stored_file.storage_name, "rb")


def file_read(stored_file: StoredFile) -> bytes:
    with file_open(stored_file) as handle:
        return handle.read()
