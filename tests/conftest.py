"""Shared fixtures: organisations with wallets, API clients with scoped keys, inventory rows."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import phonenumbers
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from billing.services import wallet_credit, wallet_get_or_create
from inventory.models import InventoryStatus, LineType, PhoneNumber
from orbit_numbers import db_router
from orbit_numbers.models import SCOPES
from orbit_numbers.services import api_key_create, organization_get_or_create


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic():
    """Static files as with DEBUG on: templates link plain names and WhiteNoise finds the files in
    the apps, so the suite needs no collectstatic. The hashed, compressed production storage is
    exercised by tests/orbit_numbers/test_static_files.py and the e2e lane (test_served_demo.py)."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain},
                           WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        yield


@pytest.fixture(autouse=True)
def _primary_reads_unless_the_test_asks_for_the_replica(request, monkeypatch):
    """With DATABASE_REPLICA_URL set (a TEST MIRROR of the test database), Django's test cases refuse
    connections to an alias they did not declare: only tests using the ``replica`` fixture
    (tests/orbit_numbers/test_db_router.py) read it."""
    if "replica" not in request.fixturenames:
        monkeypatch.setattr(db_router, "replica_configured", lambda: False)


@pytest.fixture(autouse=True)
def _regulatory_requirements(request):
    """The shipped requirements table is data (migration 0013): a transactional test's flush empties it,
    so every test that uses the database starts with it (one query when it is there)."""
    database = next((name for name in ("transactional_db", "db") if name in request.fixturenames), None)
    if database is None:
        return
    request.getfixturevalue(database)
    from inventory.regulatory_data import regulatory_requirements_ensure

    regulatory_requirements_ensure()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


#: Mid-window for every rate-limit window length the API uses (60 s and its divisors).
RATE_LIMIT_NOW = 1_800_000_030.0


@pytest.fixture(autouse=True)
def _rate_limit_clock(monkeypatch):
    """Rate limits count in fixed windows of wall-clock time, and tests count on their requests
    sharing one window: at a window's end the count restarted, and a test expecting its 21st
    check to be 429 got 200 (1 run in ~60). The limiter's clock stands still mid-window."""
    from orbit_numbers.api import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: RATE_LIMIT_NOW))


@pytest.fixture
def make_org(db):
    counter = itertools.count(1)

    def make(name: str | None = None, *, credit_cents: int = 0):
        organization, _ = organization_get_or_create(name=name or f"Org {next(counter)}")
        wallet_get_or_create(organization=organization)
        if credit_cents:
            wallet_credit(organization=organization, amount_cents=credit_cents, description="test top-up")
        return organization

    return make


@pytest.fixture
def make_client(db):
    """make_client(org, scopes=[...]) → an APIClient authenticated with a fresh key (all scopes by default)."""

    def make(organization, scopes=SCOPES, *, bearer: bool = False):
        _, raw = api_key_create(organization=organization, scopes=list(scopes))
        client = APIClient()
        if bearer:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        else:
            client.credentials(HTTP_X_API_KEY=raw)
        client.raw_key = raw
        return client

    return make


@pytest.fixture
def org(make_org):
    return make_org("Acme", credit_cents=100_00)


@pytest.fixture
def client(make_client, org):
    return make_client(org)


_TYPE_FOR_LINE = {
    LineType.LOCAL: phonenumbers.PhoneNumberType.FIXED_LINE,
    LineType.MOBILE: phonenumbers.PhoneNumberType.MOBILE,
    LineType.TOLL_FREE: phonenumbers.PhoneNumberType.TOLL_FREE,
}


def valid_numbers(country: str, line_type: str = LineType.LOCAL):
    """Yield distinct valid E.164 numbers of ``country``/``line_type`` (varying the example's last digits)."""
    example = phonenumbers.example_number_for_type(country, _TYPE_FOR_LINE[line_type])
    national = str(example.national_number)
    stem, width = national[:-4], 4
    for tail in range(10 ** width):
        candidate = phonenumbers.parse(f"+{example.country_code}{stem}{tail:0{width}d}")
        if phonenumbers.is_valid_number(candidate) and phonenumbers.number_type(candidate) in (
                _TYPE_FOR_LINE[line_type], phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            yield phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)


@pytest.fixture
def make_number(db):
    """make_number(country="US", line_type="local", **fields) → an available PhoneNumber."""
    generators: dict = {}
    used: set[str] = set()

    def make(country: str = "US", line_type: str = LineType.LOCAL, *, e164: str | None = None, **fields):
        if e164 is None:
            generator = generators.setdefault((country, line_type), valid_numbers(country, line_type))
            e164 = next(n for n in generator if n not in used)
        used.add(e164)
        parsed = phonenumbers.parse(e164)
        national = str(parsed.national_number)
        toll_free = line_type == LineType.TOLL_FREE
        defaults = dict(
            provider="telnyx", provider_ref=f"ref-{e164[1:]}", country=country, line_type=line_type,
            region="Test Region", area_code=national[:3], national_number=national,
            cap_sms=True, cap_mms=not toll_free, cap_voice=True, cap_fax=False, sms_two_way=not toll_free,
            monthly_cents=150, setup_cents=100, status=InventoryStatus.AVAILABLE,
        )
        defaults.update(fields)
        return PhoneNumber.objects.create(e164=e164, **defaults)

    return make


@pytest.fixture
def stub_server():
    """A local HTTP server replaying scripted replies (see tests/httpstub.py)."""
    from tests.httpstub import StubServer

    with StubServer() as server:
        yield server


@pytest.fixture(scope="session")
def served_schema(django_db_setup, django_db_blocker) -> dict:
    """The OpenAPI schema as GET /api/v1/schema/ serves it (JSON), generated once per run: it covers
    every operation, and generating and parsing it for each test that reads it cost minutes."""
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


class Clock:
    """The time every ``django.utils.timezone.now()`` reads while the ``clock`` fixture is on."""

    def __init__(self, start):
        self.now = start

    def advance(self, **delta) -> "Clock":
        from datetime import timedelta

        self.now += timedelta(**delta)
        return self

    def set(self, when) -> "Clock":
        self.now = when
        return self


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock: ``clock.advance(days=31)`` moves the time services and auto_now fields
    read, so month-long lifecycles run in tests without sleeping. (A model default bound to
    ``timezone.now`` at import keeps reading the real time: pass such values explicitly.)"""
    from django.utils import timezone

    controlled = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: controlled.now)
    return controlled


@pytest.fixture
def make_webhook_endpoint(db):
    """make_webhook_endpoint(org, url, events=["*"]) → a WebhookEndpoint (replaces Organization.webhook_url)."""
    from orbit_numbers.webhooks.models import WebhookEndpoint

    def make(organization, url: str, events=("*",), **fields):
        return WebhookEndpoint.objects.create(organization=organization, url=url, events=list(events), **fields)

    return make


@pytest.fixture(autouse=True)
def _celery_join_flag_clear():
    """Celery's "inside a task" flag is a process global that each eager task sets and restores; eager
    tasks running at once on several test threads (the concurrency tests) restore in the wrong order and
    can leave it set, after which a real ``result.get()`` (the broker lane) refuses. Each test starts clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
