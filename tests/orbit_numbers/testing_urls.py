"""Test-only endpoints for kernel behaviour no production view exposes on its own (a view that
crashes, a minimal idempotent POST, a named rate limit). Used with @pytest.mark.urls."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpResponse
from django.urls import include, path
from rest_framework import serializers

from django.db import transaction

from orbit_numbers.api.idempotency import idempotency_effect_commit, idempotent
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.responses import ok
from orbit_numbers.api.serializers import E164Field, StrictSerializer
from orbit_numbers.api.viewsets import OrbitViewSet
from orbit_numbers.errors import Conflict
from orbit_numbers.services import audit_record
from orbit_numbers.urls import (handler400, handler403, handler404, handler500,  # noqa: F401
                                urlpatterns as project_urlpatterns)

SECRET_DETAIL = "db password is hunter2"


class EchoBody(StrictSerializer):
    aliases = {"phoneNumber": "phone_number"}
    phone_number = E164Field()
    note = serializers.CharField(required=False, max_length=20)


class EchoViewSet(OrbitViewSet):
    """A strict POST that writes one audit row per execution, so replays are countable."""

    required_scopes = {"create": "numbers:write"}
    rate_limits = {"create": RateLimit("test_echo", 3)}

    @idempotent
    def create(self, request):
        body = self.validated(EchoBody)
        if body.get("note") == "conflict":
            raise Conflict("refused on purpose")
        if body.get("note") == "crash":
            raise RuntimeError(SECRET_DETAIL)
        row = audit_record(action="test.echo", organization=self.organization, acting_key=self.api_key,
                           object_type="test", object_id=body["phone_number"])
        return ok(request, {"audit_id": row.pk, "phone_number": body["phone_number"]}, status=201)


def phased_echo(*, organization, phone_number: str, acting_key, after_effect=None) -> dict:
    """A service shaped like the carrier flows: a committed first phase, work outside any
    transaction, then the effect transaction that carries the idempotent response."""
    with transaction.atomic():
        audit_record(action="test.phase1", organization=organization, acting_key=acting_key,
                     object_type="test", object_id=phone_number)
    with transaction.atomic():
        row = audit_record(action="test.echo", organization=organization, acting_key=acting_key,
                           object_type="test", object_id=phone_number)
        result = {"audit_id": row.pk, "phone_number": phone_number}
        idempotency_effect_commit(result)
    if after_effect:
        after_effect()
    return result


class PhasedEchoViewSet(OrbitViewSet):
    required_scopes = {"create": "numbers:write"}
    # Tests set this to simulate a crash after the effect committed.
    after_effect = None

    @idempotent(render="echoed")
    def create(self, request):
        body = self.validated(EchoBody)
        if body.get("note") == "conflict":
            raise Conflict("refused on purpose")
        result = phased_echo(organization=self.organization, phone_number=body["phone_number"],
                             acting_key=self.api_key, after_effect=type(self).after_effect)
        return self.echoed(result)

    def echoed(self, result):
        return ok(self.request, result, status=201)


class CrashViewSet(OrbitViewSet):
    required_scopes = {"list": "numbers:read"}

    def list(self, request):
        raise RuntimeError(SECRET_DETAIL)


class UnscopedViewSet(OrbitViewSet):
    """Declares no scopes: the kernel must refuse every key (fail closed)."""

    def list(self, request):
        return ok(request, {})


def plain_django_crash(request):
    raise RuntimeError(SECRET_DETAIL)


def plain_page(request):
    return HttpResponse("<html>not an API</html>")


def plain_form(request):
    """A plain Django view (not DRF, so not CSRF-exempt) that reads a form body."""
    return HttpResponse(f"<html>{len(request.POST)} fields</html>")


def plain_denied(request):
    raise PermissionDenied("staff only")


def plain_suspicious(request):
    raise SuspiciousOperation("looks like an attack")


test_patterns = [
    path("api/v1/_test/echo", EchoViewSet.as_view({"post": "create"})),
    path("api/v1/_test/phased-echo", PhasedEchoViewSet.as_view({"post": "create"})),
    path("api/v1/_test/crash", CrashViewSet.as_view({"get": "list"})),
    path("api/v1/_test/unscoped", UnscopedViewSet.as_view({"get": "list"})),
    path("api/v1/_test/django-crash", plain_django_crash),
    path("api/v1/_test/form", plain_form),
    path("api/v1/_test/denied", plain_denied),
    path("api/v1/_test/suspicious", plain_suspicious),
    path("_test/page", plain_page),
    path("_test/form", plain_form),
]

urlpatterns = [path("", include(test_patterns)), *project_urlpatterns]
