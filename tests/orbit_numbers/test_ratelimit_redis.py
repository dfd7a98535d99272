"""The rate limiter on Redis: one round trip per rule, exact counts under concurrency, and the
portable path on any other cache (LocMemCache in the zero-setup demo)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from orbit_numbers.api import ratelimit
from orbit_numbers.api.ratelimit import RateLimit, rate_limit_hit
from orbit_numbers.errors import RateLimited

ROOT = Path(__file__).resolve().parents[2]
BIG = RateLimit("concurrency", 1_000_000)


@pytest.fixture(autouse=True)
def _redis_cache():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "make test runs with REDIS_URL"


def hit_count(state) -> int:
    return state.limit - state.remaining


def test_counts_are_exact_under_concurrent_threads():
    threads, per_thread = 8, 40
    counts: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def hammer():
        start.wait()
        mine = [hit_count(rate_limit_hit(rule=BIG, subject="threads")) for _ in range(per_thread)]
        with lock:
            counts.extend(mine)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # Every hit got its own count: none lost, none counted twice.
    assert sorted(counts) == list(range(1, threads * per_thread + 1))


def test_counts_are_exact_across_processes_hitting_at_once():
    """Two other processes (gunicorn workers) and this one hit the same window at the same time."""
    now, per_process = 1_800_000_420.0, 60
    script = textwrap.dedent(f"""
        import django
        django.setup()
        from orbit_numbers.api.ratelimit import RateLimit, rate_limit_hit
        print(" ".join(str(s.limit - s.remaining) for s in
                       (rate_limit_hit(rule=RateLimit("xproc-exact", 1_000_000), subject="t", now={now})
                        for _ in range({per_process}))))
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orbit_numbers.settings"}
    children = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    counts = [hit_count(rate_limit_hit(rule=RateLimit("xproc-exact", 1_000_000), subject="t", now=now))
              for _ in range(per_process)]
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        counts += [int(count) for count in out.split()]
    assert sorted(counts) == list(range(1, 3 * per_process + 1))


class CommandCounter:
    """Counts the commands redis-py sends (each one is a round trip; a pipeline would be one call)."""

    def __init__(self, monkeypatch):
        self.commands: list[str] = []
        real = redis.Redis.execute_command

        def counting(client, *args, **options):
            self.commands.append(str(args[0]))
            return real(client, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", counting)


def test_one_round_trip_per_hit(monkeypatch):
    rate_limit_hit(rule=RateLimit("trips", 5), subject="s")  # the script is now cached by the server
    counter = CommandCounter(monkeypatch)
    rate_limit_hit(rule=RateLimit("trips", 5), subject="s")
    rate_limit_hit(rule=RateLimit("trips", 5), subject="s")
    assert counter.commands == ["EVALSHA", "EVALSHA"]


def test_a_server_without_the_script_gets_it_once(monkeypatch):
    caches["default"]._cache.get_client(write=True).script_flush()
    counter = CommandCounter(monkeypatch)
    rate_limit_hit(rule=RateLimit("flushed", 5), subject="s")
    rate_limit_hit(rule=RateLimit("flushed", 5), subject="s")
    assert counter.commands == ["EVALSHA", "EVAL", "EVALSHA"]
    assert rate_limit_hit(rule=RateLimit("flushed", 5), subject="s").remaining == 2


def test_the_counter_expires_after_its_window():
    now = 1_800_000_480.0
    rate_limit_hit(rule=RateLimit("ttl", 5, window_seconds=60), subject="s", now=now)
    backend = caches["default"]
    key = backend.make_and_validate_key(f"rl:ttl:s:{int(now)}")
    client = backend._cache.get_client(write=True)
    assert 60 <= client.ttl(key) <= 65
    # The counter is a plain integer, as the cache API reads and writes it.
    assert backend.get(f"rl:ttl:s:{int(now)}") == 1
    client.persist(key)  # a counter that lost its TTL gets one again on the next hit
    rate_limit_hit(rule=RateLimit("ttl", 5, window_seconds=60), subject="s", now=now)
    assert 60 <= client.ttl(key) <= 65


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_any_other_cache_counts_through_the_cache_api(monkeypatch):
    with override_settings(CACHES=LOCMEM):
        counter = CommandCounter(monkeypatch)
        states = [rate_limit_hit(rule=RateLimit("locmem", 2), subject="s", now=1_800_000_540.0) for _ in range(2)]
        assert [state.remaining for state in states] == [1, 0]
        with pytest.raises(RateLimited):
            rate_limit_hit(rule=RateLimit("locmem", 2), subject="s", now=1_800_000_540.0)
        assert counter.commands == []
        assert caches["default"].get("rl:locmem:s:1800000540") == 3


def test_the_api_keeps_its_headers_and_429_on_locmem(client, settings):
    with override_settings(CACHES=LOCMEM, ORBIT={**settings.ORBIT, "DEFAULT_RATE_LIMIT_PER_MINUTE": 1}):
        first = client.get("/api/v1/billing/balance")
        second = client.get("/api/v1/billing/balance")
    assert first.status_code == 200 and first["X-RateLimit-Remaining"] == "0"
    assert second.status_code == 429 and second.json()["error"]["code"] == "RATE_LIMITED"
    assert second["Retry-After"] and second["X-RateLimit-Limit"] == "1"


def test_a_client_is_built_once_per_cache_backend(monkeypatch):
    rate_limit_hit(rule=RateLimit("reuse", 5), subject="s")
    built = []
    real = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda client, *a, **k: built.append(1) or real(client, *a, **k))
    for _ in range(3):
        rate_limit_hit(rule=RateLimit("reuse", 5), subject="s")
    assert built == []
    assert len(ratelimit._redis_clients) >= 1
