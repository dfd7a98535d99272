"""How long an outbound HTTP client (carriers, payment providers) waits before its next attempt."""
from __future__ import annotations

import requests


def backoff_delay(*, attempt: int, response: requests.Response | None, backoff: float, max_backoff: float) -> float:
    """``backoff × 2^attempt``, or the server's ``Retry-After`` (seconds) when longer; at most ``max_backoff``."""
    delay = backoff * (2 ** attempt)
    if response is not None:
        delay = max(delay, _seconds(response.headers.get("Retry-After", "0")))
    return min(delay, max_backoff)


def _seconds(value: str) -> float:
    """Retry-After in seconds; an HTTP-date (rare from APIs) or garbage counts as 0: our backoff stands."""
    try:
        return float(value)
    except ValueError:
        return 0.0
