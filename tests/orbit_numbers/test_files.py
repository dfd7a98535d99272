"""POST /api/v1/files/upload, the signed download URL, and the LoA URL origin check."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core import signing
from django.test import override_settings
from rest_framework.test import APIClient

from orbit_numbers.errors import LoaUrlInvalidOrigin
from orbit_numbers.files import services
from orbit_numbers.files.models import StoredFile
from orbit_numbers.models import AuditLog
from tests.bodies import post_unread

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str = "loa.pdf", **extra):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post("/api/v1/files/upload", {"file": handle, **extra}, format="multipart")


@pytest.mark.parametrize("data,content_type", [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png"),
                                               (HEIC, "image/heic")])
def test_upload_sniffs_type_from_content_and_returns_signed_url(client, org, data, content_type):
    response = upload(client, data, name="whatever.bin")
    assert response.status_code == 201
    body = response.json()["data"]
    assert body["content_type"] == content_type
    assert body["purpose"] == "loa"
    assert body["size"] == len(data)
    assert body["id"].startswith("file_")
    assert body["expires_at"].endswith("Z")
    assert "/api/v1/files/" in body["url"] and "token=" in body["url"]
    stored = StoredFile.objects.get(pk=body["id"])
    assert stored.organization == org and stored.original_name == "whatever.bin"
    assert AuditLog.objects.filter(action="file.upload", object_id=stored.id).exists()


def test_name_does_not_decide_the_type(client):
    response = upload(client, b"MZ\x90\x00 this is an exe pretending", name="loa.pdf")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "file" in response.json()["error"]["details"]


def test_missing_file_empty_file_and_unknown_fields(client):
    missing = client.post("/api/v1/files/upload", {"purpose": "loa"}, format="multipart")
    assert missing.status_code == 422 and "file" in missing.json()["error"]["details"]
    assert upload(client, b"").status_code == 422
    unknown = upload(client, PDF, colour="blue")
    assert unknown.status_code == 422 and unknown.json()["error"]["details"] == {"colour": "unknown field"}


def test_unknown_purpose_is_422(client):
    response = upload(client, PDF, purpose="selfie")
    assert response.status_code == 422 and "purpose" in response.json()["error"]["details"]


def test_invoice_purpose_is_accepted(client):
    assert upload(client, PNG, purpose="invoice").json()["data"]["purpose"] == "invoice"


def test_compliance_documents_are_uploaded_with_a_numbers_key(make_client, org):
    numbers_only = make_client(org, scopes=["numbers:write"])
    response = upload(numbers_only, PDF, name="registration.pdf", purpose="compliance")
    assert response.status_code == 201 and response.json()["data"]["purpose"] == "compliance"


@pytest.mark.parametrize("purpose", ["loa", "invoice", None])
def test_porting_documents_still_need_a_porting_key(make_client, org, purpose):
    numbers_only = make_client(org, scopes=["numbers:write"])
    response = upload(numbers_only, PDF, **({"purpose": purpose} if purpose else {}))
    assert response.status_code == 403 and "porting:write" in response.json()["error"]["message"]


def test_compliance_documents_need_a_numbers_key(make_client, org):
    porting_only = make_client(org, scopes=["porting:write"])
    response = upload(porting_only, PDF, purpose="compliance")
    assert response.status_code == 403 and "numbers:write" in response.json()["error"]["message"]


def test_a_key_with_neither_scope_is_refused_before_the_body_is_read(make_client, org):
    response = upload(make_client(org, scopes=["numbers:read", "billing:read"]), PDF, purpose="compliance")
    assert response.status_code == 403 and "porting:write or numbers:write" in response.json()["error"]["message"]


def test_over_25_mb_is_422(client, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1024)
    response = upload(client, PDF + b"\x00" * 2048)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["file"] == "must be at most 25 MB"


def test_a_body_over_the_upload_limit_is_413_before_it_is_read(client):
    response = post_unread(client, "/api/v1/files/upload", content_length=27 * 1024 * 1024)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.json()["error"]["request_id"] == response["X-Request-Id"]


def test_an_upload_may_be_larger_than_the_json_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # file parts do not count against it
    response = upload(client, PDF + b"\x00" * (256 * 1024))
    assert response.status_code == 201, response.json()


def test_non_file_fields_are_held_to_the_json_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = upload(client, PDF, purpose="x" * 2048)
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_content_length_that_is_no_number_is_400(client):
    response = client.generic("POST", "/api/v1/files/upload", b"x", content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH="lots")
    assert response.status_code == 400 and response.json()["error"]["code"] == "BAD_REQUEST"


def test_requires_porting_write_and_a_key(make_client, org):
    reader = make_client(org, ["porting:read", "numbers:write"])
    assert upload(reader, PDF).status_code == 403
    assert upload(APIClient(), PDF).status_code == 401


def test_json_body_is_refused(client):
    response = client.post("/api/v1/files/upload", {"file": "x"}, format="json")
    assert response.status_code == 415


def test_signed_url_downloads_the_file_without_a_key(client):
    url = upload(client, PDF).json()["data"]["url"]
    parts = urlsplit(url)
    response = APIClient().get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_download_whatever_the_client_accepts_and_errors_are_always_json(client):
    url = upload(client, PDF).json()["data"]["url"]
    parts = urlsplit(url)
    anonymous = APIClient()
    pdf = anonymous.get(f"{parts.path}?{parts.query}", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == PDF
    assert pdf["Cache-Control"] == "private, no-store" and "attachment" in pdf["Content-Disposition"]
    for response in (anonymous.get(parts.path, HTTP_ACCEPT="text/html"),
                     anonymous.post(f"{parts.path}?{parts.query}"),
                     anonymous.delete(f"{parts.path}?{parts.query}", HTTP_ACCEPT="text/html")):
        assert response["Content-Type"] == "application/json", response.content
        assert response.json()["error"]["code"] in ("FORBIDDEN", "METHOD_NOT_ALLOWED")
        assert response.json()["error"]["request_id"] == response["X-Request-Id"]
    assert anonymous.post(f"{parts.path}?{parts.query}").status_code == 405


def test_an_api_key_is_neither_needed_nor_used_to_download(client, make_client, make_org):
    url = upload(client, PDF).json()["data"]["url"]
    parts = urlsplit(url)
    stranger = make_client(make_org("Stranger"))  # a valid key of another organisation changes nothing
    assert stranger.get(f"{parts.path}?{parts.query}").status_code == 200
    broken = APIClient()
    broken.credentials(HTTP_X_API_KEY="orb_live_not_a_key")  # nor does an invalid one
    assert broken.get(f"{parts.path}?{parts.query}").status_code == 200


def test_a_text_field_named_file_is_no_file(client):
    response = client.post("/api/v1/files/upload", {"file": "not a file part"}, format="multipart")
    assert response.status_code == 422 and "file" in response.json()["error"]["details"]


def test_tampered_or_foreign_tokens_do_not_download(client, make_org, make_client):
    url = upload(client, PDF).json()["data"]["url"]
    parts = urlsplit(url)
    token = parse_qs(parts.query)["token"][0]
    anonymous = APIClient()
    tampered = anonymous.get(f"{parts.path}?{urlencode({'token': token[:-2] + 'xx'})}")
    assert tampered.status_code == 403 and tampered.json()["error"]["code"] == "FORBIDDEN"
    assert anonymous.get(parts.path).status_code == 403
    # A valid token for another file does not open this one.
    other_url = upload(client, PNG).json()["data"]["url"]
    other_token = parse_qs(urlsplit(other_url).query)["token"][0]
    assert anonymous.get(f"{parts.path}?{urlencode({'token': other_token})}").status_code == 403
    # A token naming another organisation (forged with our key, as an attacker cannot) is refused too.
    stored_id = parts.path.split("/")[-2]
    forged = signing.TimestampSigner(salt="orbit.files.url").sign_object({"f": stored_id, "o": "org_other"})
    assert anonymous.get(f"{parts.path}?{urlencode({'token': forged})}").status_code == 403


def test_expired_url_does_not_download(client, settings):
    url = upload(client, PDF).json()["data"]["url"]
    parts = urlsplit(url)
    settings.ORBIT = {**settings.ORBIT, "FILE_URL_TTL_SECONDS": -1}
    assert APIClient().get(f"{parts.path}?{parts.query}").status_code == 403


def test_resolve_signed_url_accepts_own_and_refuses_everything_else(client, org, make_org, make_client, settings):
    url = upload(client, PDF).json()["data"]["url"]
    stored = services.file_resolve_signed_url(url=url, organization=org)
    assert stored.organization == org

    other = make_org("Other")
    with pytest.raises(LoaUrlInvalidOrigin):
        services.file_resolve_signed_url(url=url, organization=other)  # another tenant's file
    parts = urlsplit(url)
    bad_urls = [
        "https://storage.googleapis.com/bucket/loa.pdf?X-Goog-Signature=abc",
        url.replace(parts.netloc, "evil.example.com"),
        url.replace("token=", "token=x"),
        url.replace("/content", "/other"),
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        "ftp://testserver/api/v1/files/file_x/content?token=a",
        "not a url",
        "",
    ]
    for bad in bad_urls:
        with pytest.raises(LoaUrlInvalidOrigin):
            services.file_resolve_signed_url(url=bad, organization=org)
    settings.ORBIT = {**settings.ORBIT, "FILE_URL_TTL_SECONDS": -1}
    with pytest.raises(LoaUrlInvalidOrigin):
        services.file_resolve_signed_url(url=url, organization=org)


@override_settings(ALLOWED_HOSTS=["api.orbit.test", "testserver"])
def test_public_base_url_is_used_and_enforced(client, org, settings):
    settings.ORBIT = {**settings.ORBIT, "PUBLIC_BASE_URL": "https://api.orbit.test"}
    url = upload(client, PDF).json()["data"]["url"]
    assert url.startswith("https://api.orbit.test/api/v1/files/")
    assert services.file_resolve_signed_url(url=url, organization=org)
    with pytest.raises(LoaUrlInvalidOrigin):
        services.file_resolve_signed_url(url=url.replace("api.orbit.test", "testserver"), organization=org)


def test_signed_urls_use_the_configured_base_whatever_the_host_header(client, settings):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]  # even a Host that Django accepts
    handle = io.BytesIO(PDF)
    handle.name = "loa.pdf"
    response = client.post("/api/v1/files/upload", {"file": handle}, format="multipart", HTTP_HOST="evil.example",
                           HTTP_X_FORWARDED_HOST="evil.example")
    url = response.json()["data"]["url"]
    assert url.startswith("http://127.0.0.1:8000/api/v1/files/") and "evil" not in url  # the default base


def test_the_default_base_is_where_make_run_serves(client):
    assert upload(client, PDF).json()["data"]["url"].startswith("http://127.0.0.1:8000/api/v1/files/")


def test_only_urls_on_the_configured_origin_resolve(client, org, settings):
    settings.ORBIT = {**settings.ORBIT, "PUBLIC_BASE_URL": "https://files.orbit.test"}
    url = upload(client, PDF).json()["data"]["url"]
    assert services.file_resolve_signed_url(url=url, organization=org)
    for other in ("http://files.orbit.test", "https://files.orbit.test:8443", "https://files.orbit.test:x"):
        with pytest.raises(LoaUrlInvalidOrigin):
            services.file_resolve_signed_url(url=url.replace("https://files.orbit.test", other), organization=org)


def test_sniffer_table():
    assert services.sniff_content_type(PDF) == "application/pdf"
    assert services.sniff_content_type(JPEG) == "image/jpeg"
    assert services.sniff_content_type(PNG) == "image/png"
    assert services.sniff_content_type(HEIC) == "image/heic"
    assert services.sniff_content_type(b"\x00\x00\x00\x18ftypmp42") is None  # an MP4, not HEIF
    assert services.sniff_content_type(b"GIF89a") is None
    assert services.sniff_content_type(b"") is None


def test_resolve_signed_url_refuses_a_file_of_another_purpose(client, org):
    invoice = upload(client, PDF, purpose="invoice").json()["data"]["url"]
    with pytest.raises(LoaUrlInvalidOrigin, match="purpose 'invoice'"):
        services.file_resolve_signed_url(url=invoice, organization=org, purpose="loa")
    assert services.file_resolve_signed_url(url=invoice, organization=org, purpose="invoice").purpose == "invoice"
