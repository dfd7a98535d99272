"""API keys: both header styles, every way to be refused, scope checks, hashing at rest."""
from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orbit_numbers.models import ApiKey
from orbit_numbers.services import api_key_create, api_key_revoke

BALANCE = "/api/v1/billing/balance"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response["X-Request-Id"]
    return error


def test_x_api_key_header_authenticates(org):
    _, raw = api_key_create(organization=org, scopes=["billing:read"])
    response = APIClient().get(BALANCE, HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert response.json()["data"]["balance_cents"] == 100_00


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_bearer_authorization_authenticates(org, scheme):
    _, raw = api_key_create(organization=org, scopes=["billing:read"])
    response = APIClient().get(BALANCE, HTTP_AUTHORIZATION=f"{scheme} {raw}")
    assert response.status_code == 200


def test_missing_key_is_401(db):
    response = APIClient().get(BALANCE)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [
    {"HTTP_X_API_KEY": "not-a-key"},
    {"HTTP_X_API_KEY": "orb_live_"},
    {"HTTP_X_API_KEY": "orb_live_abcdef123456"},
    {"HTTP_X_API_KEY": "orb_live_abcdef123456_wrongsecret"},
    {"HTTP_AUTHORIZATION": "Bearer nope"},
    {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
    {"HTTP_AUTHORIZATION": "Bearer "},
])
def test_invalid_key_is_401(db, headers):
    assert_error(APIClient().get(BALANCE, **headers), 401, "UNAUTHORIZED")


def test_right_prefix_wrong_secret_is_401(org):
    _, raw = api_key_create(organization=org, scopes=["billing:read"])
    tampered = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert_error(APIClient().get(BALANCE, HTTP_X_API_KEY=tampered), 401, "UNAUTHORIZED")


def test_revoked_key_is_401(org):
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    client = APIClient()
    assert client.get(BALANCE, HTTP_X_API_KEY=raw).status_code == 200
    api_key_revoke(api_key=api_key)
    assert_error(client.get(BALANCE, HTTP_X_API_KEY=raw), 401, "UNAUTHORIZED")


def test_key_of_deactivated_organisation_is_401(org):
    _, raw = api_key_create(organization=org, scopes=["billing:read"])
    org.is_active = False
    org.save(update_fields=["is_active"])
    assert_error(APIClient().get(BALANCE, HTTP_X_API_KEY=raw), 401, "UNAUTHORIZED")


def test_missing_scope_is_403(org, make_client):
    client = make_client(org, scopes=["numbers:read", "numbers:write"])
    error = assert_error(client.get(BALANCE), 403, "FORBIDDEN")
    assert "billing:read" in error["message"]


@pytest.mark.urls("tests.orbit_numbers.testing_urls")
def test_view_without_declared_scopes_refuses_every_key(org, make_client):
    assert_error(make_client(org).get("/api/v1/_test/unscoped"), 403, "FORBIDDEN")


def test_last_used_at_is_recorded(org):
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    assert api_key.last_used_at is None
    APIClient().get(BALANCE, HTTP_X_API_KEY=raw)
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_key_is_stored_hashed_and_never_in_plain_text(org):
    api_key, raw = api_key_create(organization=org, scopes=["billing:read"])
    secret = raw[len("orb_live_") + len(api_key.prefix) + 1:]
    assert len(secret) >= 32
    api_key.refresh_from_db()
    assert api_key.hashed_secret.startswith("hmac_sha256$")
    assert secret not in api_key.hashed_secret
    # Nothing in the key table nor the audit log holds the plaintext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(k)::text FROM orbit_numbers_apikey k")
        key_rows = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT row_to_json(a)::text FROM orbit_numbers_auditlog a")
        audit_rows = " ".join(row[0] for row in cursor.fetchall())
    assert api_key.prefix in key_rows
    assert secret not in key_rows and raw not in key_rows
    assert secret not in audit_rows and raw not in audit_rows
    assert ApiKey.objects.filter(pk=api_key.pk).count() == 1
