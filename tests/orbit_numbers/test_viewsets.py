"""OrbitViewSet and OrbitRouter: rows are always the caller's, scopes are per action, routes have no
trailing slash, and lists are strict, paginated and enveloped."""
from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import OutputSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.models import AuditLog
from orbit_numbers.services import audit_record
from orbit_numbers.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.urls(__name__)


class AuditOutput(OutputSerializer):
    id = serializers.IntegerField()
    action = serializers.CharField()


class AuditViewSet(OrbitViewSet):
    queryset = AuditLog.objects.all()
    serializer_class = AuditOutput
    pagination_class = KeysetPagination
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "touch": "numbers:write"}

    def list(self, request):
        return self.respond_page(self.get_queryset())

    def retrieve(self, request, pk=None):
        return self.respond(self.get_object())

    @action(detail=True, methods=["post"])
    def touch(self, request, pk=None):
        return self.respond(self.get_object(), status=201)


router = OrbitRouter()
router.register("api/v1/_audit", AuditViewSet, basename="test-audit")
urlpatterns = [*router.urls, *project_urlpatterns]


@pytest.fixture
def rows(org, make_org):
    other = make_org("Other")
    mine = [audit_record(action=f"mine.{i}", organization=org) for i in range(3)]
    theirs = audit_record(action="theirs", organization=other)
    return mine, theirs


def test_list_is_the_callers_rows_only_paginated_in_the_envelope(client, rows):
    mine, _ = rows
    body = client.get("/api/v1/_audit?limit=2").json()
    assert [item["action"] for item in body["data"]] == ["mine.2", "mine.1"]
    assert body["meta"]["pagination"]["has_more"] is True
    seen = [item["action"] for item in body["data"]]
    while body["meta"]["pagination"]["has_more"]:
        body = client.get(f"/api/v1/_audit?limit=2&cursor={body['meta']['pagination']['cursor']}").json()
        seen += [item["action"] for item in body["data"]]
    assert seen[:3] == ["mine.2", "mine.1", "mine.0"]
    assert "theirs" not in seen
    assert len(seen) == AuditLog.objects.filter(organization=mine[0].organization).count()


def test_another_tenants_object_is_404_on_every_action(client, rows):
    mine, theirs = rows
    assert client.get(f"/api/v1/_audit/{mine[0].pk}").json()["data"]["action"] == "mine.0"
    for response in (client.get(f"/api/v1/_audit/{theirs.pk}"), client.post(f"/api/v1/_audit/{theirs.pk}/touch")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_scopes_are_checked_per_action(org, make_client, rows):
    reader = make_client(org, scopes=["numbers:read"])
    mine, _ = rows
    assert reader.get(f"/api/v1/_audit/{mine[0].pk}").status_code == 200
    refused = reader.post(f"/api/v1/_audit/{mine[0].pk}/touch")
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "Missing required scope: numbers:write."


def test_routes_have_no_trailing_slash_and_unknown_methods_are_405(client, rows):
    assert client.get("/api/v1/_audit/").status_code == 404
    response = client.delete("/api/v1/_audit")
    assert response.status_code == 405 and response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_list_query_string_is_strict(client, rows):
    response = client.get("/api/v1/_audit?action=x")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"action": "unknown query parameter"}
    assert response["X-RateLimit-Limit"]


def test_options_answers_any_valid_key_and_head_follows_get(org, make_client, rows):
    no_scope = make_client(org, scopes=["billing:read"])
    assert no_scope.options("/api/v1/_audit").status_code == 200
    from rest_framework.test import APIClient

    assert APIClient().options("/api/v1/_audit").status_code == 401
    reader = make_client(org, scopes=["numbers:read"])
    assert reader.head("/api/v1/_audit").status_code == 200
    assert no_scope.head("/api/v1/_audit").status_code == 403


def test_every_api_route_is_a_viewset_action():
    """The owner's shape: every endpoint under /api/v1/ is a viewset on a router (the schema and the
    docs are drf-spectacular's own views)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    import orbit_numbers.urls as project_urls

    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/") and "schema" not in route:
                found.append((route, getattr(pattern.callback, "cls", None)))

    walk(get_resolver(project_urls).url_patterns, "")
    from rest_framework.viewsets import ViewSetMixin

    assert len(found) > 30
    assert [route for route, cls in found if not (cls and issubclass(cls, ViewSetMixin))] == []
    # Only the signed download (the URL is the credential) and the payment providers' signed callbacks
    # are not OrbitViewSets: they take no API key.
    assert sorted(route for route, cls in found if not issubclass(cls, OrbitViewSet)) == [
        "api/v1/billing/payment-events/<str:provider>", "api/v1/files/<str:file_id>/content"]
