"""The response envelope, request ids, and JSON (never HTML, never a stack trace) on /api/."""
from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from .testing_urls import SECRET_DETAIL

TEST_URLS = "tests.orbit_numbers.testing_urls"
ECHO = "/api/v1/_test/echo"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response["X-Request-Id"]
    text = response.content.decode()
    assert "<html" not in text.lower() and "Traceback" not in text
    return body


def test_success_envelope_has_meta(client):
    response = client.get("/api/v1/billing/balance")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert body["meta"]["request_id"] == response["X-Request-Id"]
    assert response["X-Request-Id"].startswith("req_")
    assert ISO_UTC.match(body["meta"]["timestamp"])


def test_a_safe_incoming_request_id_is_echoed(client):
    response = client.get("/api/v1/billing/balance", HTTP_X_REQUEST_ID="client-trace-0001")
    assert response["X-Request-Id"] == "client-trace-0001"
    assert response.json()["meta"]["request_id"] == "client-trace-0001"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it!", "x" * 65, "<script>alert(1)</script>",
                                      "client-trace-0001\n"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/api/v1/billing/balance", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-Id"] != incoming
    assert response["X-Request-Id"].startswith("req_")


def test_every_request_gets_a_fresh_id(client):
    first = client.get("/api/v1/billing/balance")["X-Request-Id"]
    second = client.get("/api/v1/billing/balance")["X-Request-Id"]
    assert first != second


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/numbers/num_00000000000000000000/nope",
                                  "/api/nothing"])
def test_unknown_api_path_is_json_404(db, path):
    body = assert_json_error(APIClient().get(path), 404, "NOT_FOUND")
    assert "data" not in body


def test_non_api_404_keeps_django_page_but_has_request_id(db):
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert response["X-Request-Id"]
    assert not response["Content-Type"].startswith("application/json")


def test_admin_responses_carry_request_id(db):
    response = APIClient().get("/admin/login/")
    assert response.status_code == 200
    assert response["X-Request-Id"]
    assert APIClient().get("/admin/")["X-Request-Id"]  # the redirect to login too


def test_unimplemented_method_is_json_405(client):
    assert_json_error(client.post("/api/v1/billing/balance", {}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_json_error(client.delete("/api/v1/billing/transactions"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.urls(TEST_URLS)
def test_crash_in_api_view_is_json_500_without_details(org, make_client):
    client = make_client(org)
    client.raise_request_exception = False
    body = assert_json_error(client.get("/api/v1/_test/crash"), 500, "INTERNAL")
    assert SECRET_DETAIL not in str(body)


@pytest.mark.urls(TEST_URLS)
def test_crash_outside_drf_under_api_is_json_500(db):
    client = APIClient(raise_request_exception=False)
    body = assert_json_error(client.get("/api/v1/_test/django-crash"), 500, "INTERNAL")
    assert SECRET_DETAIL not in str(body)


@pytest.mark.urls(TEST_URLS)
def test_crash_inside_idempotent_post_is_json_500(org, make_client):
    client = make_client(org)
    client.raise_request_exception = False
    response = client.post(ECHO, {"phone_number": "+14155552671", "note": "crash"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="crash-1")
    assert SECRET_DETAIL not in str(assert_json_error(response, 500, "INTERNAL"))


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("raw", [b"{", b'{"phone_number": "+14155552671",}', b"not json", b'{"a": 1} trailing'])
def test_malformed_json_is_400(org, make_client, raw):
    response = make_client(org).post(ECHO, raw, content_type="application/json")
    assert_json_error(response, 400, "BAD_REQUEST")


@pytest.mark.urls(TEST_URLS)
def test_unknown_body_fields_are_422_with_details(org, make_client):
    response = make_client(org).post(ECHO, {"phone_number": "+14155552671", "colour": "red", "extra": 1},
                                     format="json")
    body = assert_json_error(response, 422, "VALIDATION_ERROR")
    assert body["error"]["details"] == {"colour": "unknown field", "extra": "unknown field"}


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("payload", [[], "a string", 42, None])
def test_body_that_is_not_an_object_is_422(org, make_client, payload):
    response = make_client(org).post(ECHO, payload, format="json")
    assert_json_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("number", ["14155552671", "+1415555267", "+1 415 555 2671", "+999123456789", "+1415555267a"])
def test_invalid_e164_is_422_on_the_field(org, make_client, number):
    body = assert_json_error(make_client(org).post(ECHO, {"phone_number": number}, format="json"),
                             422, "VALIDATION_ERROR")
    assert "phone_number" in body["error"]["details"]


@pytest.mark.urls(TEST_URLS)
def test_alias_maps_to_canonical_field(org, make_client):
    response = make_client(org).post(ECHO, {"phoneNumber": "+14155552671"}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["phone_number"] == "+14155552671"


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("alias_value", ["+14155552671", "+14155552672"])
def test_a_field_and_its_alias_together_are_422(org, make_client, alias_value):
    response = make_client(org).post(ECHO, {"phone_number": "+14155552671", "phoneNumber": alias_value},
                                     format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "phoneNumber": "send one of phone_number or phoneNumber, not several (they are the same field)"}


@pytest.mark.urls(TEST_URLS)
def test_non_json_content_type_is_415(org, make_client):
    response = make_client(org).post(ECHO, "phone_number=+14155552671",
                                     content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.urls(TEST_URLS)
def test_domain_error_renders_its_code(org, make_client):
    response = make_client(org).post(ECHO, {"phone_number": "+14155552671", "note": "conflict"}, format="json")
    body = assert_json_error(response, 409, "CONFLICT")
    assert body["error"]["message"] == "refused on purpose"
