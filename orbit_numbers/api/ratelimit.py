"""Fixed-window rate limits on the shared cache (Redis in production), so every process agrees."""
from __future__ import annotations

import hashlib
import time
import weakref
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError

from ..errors import RateLimited

# One round trip to Redis per rule: INCR the window's counter and, on its first hit (no TTL yet), let it
# expire after the window. A script runs atomically on the server, so processes never lose a count.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_HIT_SCRIPT_SHA = hashlib.sha1(_HIT_SCRIPT.encode()).hexdigest()
# A redis-py client per cache backend (Django's are per thread): get_client() builds a new one on
# every call, which cost as much as the round trip itself.
_redis_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int
    window_seconds: int = 60


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_at: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset_at)}


def effective_limit(rule: RateLimit) -> int:
    """The rule's limit scaled by ORBIT["RATE_LIMIT_MULTIPLIER"] (1 in production; raised for load/fuzz runs)."""
    multiplier = settings.ORBIT.get("RATE_LIMIT_MULTIPLIER", 1)
    return max(int(rule.limit * multiplier), 1)


def rate_limit_hit(*, rule: RateLimit, subject: str, now: float | None = None) -> RateLimitState:
    """Count one request of ``subject`` against ``rule``; raise RateLimited when over."""
    now = time.time() if now is None else now
    limit = effective_limit(rule)
    window_start = int(now // rule.window_seconds) * rule.window_seconds
    reset_at = window_start + rule.window_seconds
    count = _count_hit(f"rl:{rule.name}:{subject}:{window_start}", ttl=rule.window_seconds + 5)
    state = RateLimitState(limit=limit, remaining=max(limit - count, 0), reset_at=reset_at)
    if count > limit:
        retry_after = max(int(reset_at - now), 1)
        raise RateLimited(
            f"Rate limit of {limit} requests per {rule.window_seconds}s exceeded; retry in {retry_after}s.",
            headers={**state.headers(), "Retry-After": str(retry_after)},
        )
    return state


def _count_hit(key: str, *, ttl: int) -> int:
    """Add one hit to the counter ``key`` (a cache key, expiring ``ttl`` seconds after its first hit)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = _redis_client(backend)
        full_key = backend.make_and_validate_key(key)
        try:
            return int(client.evalsha(_HIT_SCRIPT_SHA, 1, full_key, ttl))
        except NoScriptError:  # first use on this server (or after SCRIPT FLUSH): EVAL also caches it
            return int(client.eval(_HIT_SCRIPT, 1, full_key, ttl))
    # Any other cache (LocMemCache in the zero-setup demo): add() then incr(), each atomic on its own.
    backend.add(key, 0, timeout=ttl)
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, timeout=ttl)
        return 1


def _redis_client(backend: RedisCache):
    cache_client = backend._cache  # Django's RedisCacheClient, which owns the connection pools
    client = _redis_clients.get(cache_client)
    if client is None:
        client = _redis_clients[cache_client] = cache_client.get_client(None, write=True)
    return client
