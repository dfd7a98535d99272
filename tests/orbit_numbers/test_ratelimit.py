"""Rate limits: headers, 429 with Retry-After, per-tenant named limits, shared across processes."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from orbit_numbers.api.ratelimit import RateLimit, rate_limit_hit
from orbit_numbers.errors import RateLimited

ROOT = Path(__file__).resolve().parents[2]
TEST_URLS = "tests.orbit_numbers.testing_urls"
ECHO = "/api/v1/_test/echo"


def budget(per_minute: int):
    return override_settings(ORBIT={**settings.ORBIT, "DEFAULT_RATE_LIMIT_PER_MINUTE": per_minute})


def test_responses_carry_rate_limit_headers(client):
    response = client.get("/api/v1/billing/balance")
    limit = settings.ORBIT["DEFAULT_RATE_LIMIT_PER_MINUTE"]
    assert response["X-RateLimit-Limit"] == str(limit)
    assert response["X-RateLimit-Remaining"] == str(limit - 1)
    assert int(response["X-RateLimit-Reset"]) % 60 == 0
    assert client.get("/api/v1/billing/balance")["X-RateLimit-Remaining"] == str(limit - 2)


def test_over_the_budget_is_429_with_retry_after(client):
    with budget(2):
        assert client.get("/api/v1/billing/balance").status_code == 200
        assert client.get("/api/v1/billing/balance")["X-RateLimit-Remaining"] == "0"
        response = client.get("/api/v1/billing/balance")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "RATE_LIMITED"
    assert body["error"]["request_id"] == response["X-Request-Id"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Limit"] == "2"
    assert response["X-RateLimit-Remaining"] == "0"


def test_default_budget_is_per_key(org, make_client):
    first, second = make_client(org), make_client(org)
    with budget(1):
        assert first.get("/api/v1/billing/balance").status_code == 200
        assert first.get("/api/v1/billing/balance").status_code == 429
        assert second.get("/api/v1/billing/balance").status_code == 200


@pytest.mark.urls(TEST_URLS)
def test_named_limit_is_shared_by_every_key_of_a_tenant(org, make_client, make_org):
    keys = [make_client(org), make_client(org)]
    body = {"phone_number": "+14155552671"}
    statuses = [keys[n % 2].post(ECHO, body, format="json").status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    # Another tenant has its own allowance.
    assert make_client(make_org("Other")).post(ECHO, body, format="json").status_code == 201


@pytest.mark.urls(TEST_URLS)
def test_named_limit_headers_report_the_tighter_rule(org, make_client):
    response = make_client(org).post(ECHO, {"phone_number": "+14155552671"}, format="json")
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "2"


def test_window_resets(db):
    rule = RateLimit("window-test", 2, window_seconds=60)
    start = 1_800_000_000.0  # a window boundary (divisible by 60)
    rate_limit_hit(rule=rule, subject="s", now=start)
    state = rate_limit_hit(rule=rule, subject="s", now=start + 30)
    assert (state.remaining, state.reset_at) == (0, int(start) + 60)
    with pytest.raises(RateLimited) as excinfo:
        rate_limit_hit(rule=rule, subject="s", now=start + 59)
    assert excinfo.value.headers["Retry-After"] == "1"
    assert rate_limit_hit(rule=rule, subject="s", now=start + 60).remaining == 1


def test_limits_are_shared_across_processes(db):
    """Another process (another gunicorn worker) counts against the same window."""
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "make test runs with REDIS_URL"
    now = 1_800_000_120.0
    script = textwrap.dedent(f"""
        import django
        django.setup()
        from orbit_numbers.api.ratelimit import RateLimit, rate_limit_hit
        for _ in range(3):
            state = rate_limit_hit(rule=RateLimit("xproc", 5), subject="tenant-1", now={now})
        print(state.remaining)
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings"}
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "2"
    assert rate_limit_hit(rule=RateLimit("xproc", 5), subject="tenant-1", now=now).remaining == 1
    rate_limit_hit(rule=RateLimit("xproc", 5), subject="tenant-1", now=now)
    with pytest.raises(RateLimited):
        rate_limit_hit(rule=RateLimit("xproc", 5), subject="tenant-1", now=now)
    # And the child sees the parent's hits too.
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert child.returncode != 0 and "RateLimited" in child.stderr


def multiplied(factor):
    return override_settings(ORBIT={**settings.ORBIT, "RATE_LIMIT_MULTIPLIER": factor})


def test_multiplier_defaults_to_one():
    assert settings.ORBIT["RATE_LIMIT_MULTIPLIER"] == 1


def test_multiplier_scales_every_rule(db):
    """ORBIT_RATE_LIMIT_MULTIPLIER raises named limits too (make fuzz must not be throttled by bulk-reserve 1/min)."""
    rule = RateLimit("multiplier-test", 2)
    now = 1_800_000_240.0
    with multiplied(3):
        states = [rate_limit_hit(rule=rule, subject="m", now=now) for _ in range(6)]
        assert [s.limit for s in states] == [6] * 6
        assert states[-1].remaining == 0
        with pytest.raises(RateLimited) as excinfo:
            rate_limit_hit(rule=rule, subject="m", now=now)
    assert excinfo.value.headers["X-RateLimit-Limit"] == "6"


def test_multiplier_applies_to_the_default_budget_and_named_limits(org, make_client, settings):
    settings.ORBIT = {**settings.ORBIT, "DEFAULT_RATE_LIMIT_PER_MINUTE": 1, "RATE_LIMIT_MULTIPLIER": 4}
    client = make_client(org)
    statuses = [client.get("/api/v1/billing/balance").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.urls(TEST_URLS)
def test_multiplier_raises_named_per_tenant_limits(org, make_client, settings):
    settings.ORBIT = {**settings.ORBIT, "RATE_LIMIT_MULTIPLIER": 2}
    client = make_client(org)
    body = {"phone_number": "+14155552671"}
    statuses = [client.post(ECHO, body, format="json").status_code for _ in range(7)]
    assert statuses == [201] * 6 + [429]
    assert client.post(ECHO, body, format="json")["X-RateLimit-Limit"] == "6"


def test_multiplier_never_drops_a_limit_to_zero(db):
    with multiplied(0.01):
        assert rate_limit_hit(rule=RateLimit("tiny", 2), subject="t", now=1_800_000_300.0).limit == 1


def test_counts_in_the_suite_do_not_depend_on_the_wall_clock(client, monkeypatch):
    """Even a wall clock that jumps a minute per reading changes no test's counts: the suite's
    limiter clock stands still (tests/conftest.py), so no test straddles a window's end."""
    import time

    minutes = itertools.count(1_800_000_000, 61)
    with budget(2), monkeypatch.context() as wall_clock:
        wall_clock.setattr(time, "time", lambda: float(next(minutes)))
        statuses = [client.get("/api/v1/billing/balance").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
