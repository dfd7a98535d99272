"""JSON bodies: too deep is 400, NUL (which PostgreSQL cannot store) is 422, too big is 413, always
in the envelope (orbit_numbers/api/parsers.py)."""
from __future__ import annotations

import json

import pytest

from orbit_numbers.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.urls("tests.orbit_numbers.testing_urls")
ECHO = "/api/v1/_test/echo"


def post(client, raw: str, **headers):
    return client.generic("POST", ECHO, raw, content_type="application/json", **headers)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_deeply_nested_json_is_400(client, depth):
    raw = '{"phone_number": "+14155550100", "note": ' + "[" * depth + "]" * depth + "}"
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": f"deep-{depth}"}):
        response = post(client, raw, **headers)
        assert response.status_code == 400, response.content[:200]
        assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_nesting_up_to_the_limit_reaches_validation(client):
    raw = '{"phone_number": "+14155550100", "note": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    response = post(client, raw)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"note": "Not a valid string."}


@pytest.mark.parametrize("body, field", [
    ({"phone_number": "+14155550100", "note": "a\u0000b"}, "note"),
    ({"phone_number": "+14155550100", "note": {"deep": ["x", "\u0000"]}}, "note.deep[1]"),
    ({"phone_number": "+14155550100", "bad\u0000key": 1}, "body"),
])
def test_nul_anywhere_is_422_naming_where(client, body, field):
    response = post(client, json.dumps(body))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"]


def test_a_json_body_under_1_mb_is_parsed(client):
    response = post(client, json.dumps({"phone_number": "+14155550100", "note": "x" * (1000 * 1000)}))
    assert response.status_code == 422 and "note" in response.json()["error"]["details"]


def test_a_json_body_over_1_mb_is_413(client):
    response = post(client, json.dumps({"phone_number": "+14155550100", "note": "x" * (1024 * 1024)}))
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_body_over_the_limit_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post(client, json.dumps({"phone_number": "+14155550100", "note": "x" * 2048}))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
