"""Fixed-window rate limits on the shared cache (Redis in production), so every process agrees."""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from ..errors import RateLimited


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
    key = f"rl:{rule.name}:{subject}:{window_start}"
    # add() is atomic (SET NX on Redis); incr() is atomic (INCR), so concurrent processes never lose counts.
    cache.add(key, 0, timeout=rule.window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=rule.window_seconds + 5)
        count = 1
    state = RateLimitState(limit=limit, remaining=max(limit - count, 0), reset_at=reset_at)
    if count > limit:
        retry_after = max(int(reset_at - now), 1)
        raise RateLimited(
            f"Rate limit of {limit} requests per {rule.window_seconds}s exceeded; retry in {retry_after}s.",
            headers={**state.headers(), "Retry-After": str(retry_after)},
        )
    return state
