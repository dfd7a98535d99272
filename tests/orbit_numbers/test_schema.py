"""The OpenAPI schema documents every routed API path; the browsable docs are served."""
from __future__ import annotations

import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient


def routed_api_paths() -> set[str]:
    """Every /api/v1/ route of the project that is an OrbitAPIView, as OpenAPI templates."""
    from orbit_numbers.api.views import OrbitAPIView

    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class and issubclass(view_class, OrbitAPIView) and route.startswith("api/v1/"):
                    found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def schema(db) -> dict:
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_both_auth_schemes(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Orbit Numbers API"
    assert {"ApiKeyAuth", "BearerAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_includes_billing_paths(schema):
    assert "get" in schema["paths"]["/api/v1/billing/balance"]
    operation = schema["paths"]["/api/v1/billing/transactions"]["get"]
    assert {"type", "cursor", "limit"} <= {p["name"] for p in operation["parameters"]}


def test_schema_documents_every_routed_api_path(schema):
    routed = routed_api_paths()
    assert "/api/v1/billing/balance" in routed
    missing = routed - set(schema["paths"])
    assert not missing, f"routed but undocumented: {sorted(missing)}"


def test_schema_as_json(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/billing/balance" in response.json()["paths"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_browsable_docs_are_served(db, path):
    response = APIClient().get(path)
    assert response.status_code == 200
    assert b"<html" in response.content.lower()
    assert response["X-Request-Id"]
