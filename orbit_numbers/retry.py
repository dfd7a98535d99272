"""How long an outbound HTTP client (carriers, payment providers) waits before its next attempt."""
from __future__ import annotations

import requests


def backoff_delay(*, attempt: int, response: requests.Response | None, backoff: float, max_backoff: float) -> float:
    """``backoff × 2^attempt``, or the server's ``Retry-After`` (seconds) when longer; at most ``max_backoff``."""
    delay = backoff * (2 ** attempt)
    if response is not None:
        try:
            delay = max(delay, float(response.headers.get("Retry-After", 0)))
        except ValueError:
            pass
    return min(delay, max_backoff)
