"""The HTTP client the real carrier adapters share: timeouts, retries with exponential backoff,
and every failure mapped to ProviderError.

Retry policy. Safe methods (GET/PUT/PATCH/DELETE) retry on 429, 5xx, timeouts and connection
errors. POST creates things (orders), so it retries only when the carrier cannot have acted:
429, 503, and failures to connect; never after a read timeout or a 500/502/504, which might
have placed the order. Waits grow 2^n × HTTP_BACKOFF_SECONDS (honouring Retry-After), capped
at HTTP_MAX_BACKOFF_SECONDS; HTTP_MAX_RETRIES retries at most.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import requests
from django.conf import settings

from orbit_numbers.errors import ProviderError
from orbit_numbers.retry import backoff_delay

logger = logging.getLogger(__name__)

_SAFE = {"GET", "PUT", "PATCH", "DELETE", "HEAD"}


class CarrierHttpClient:
    def __init__(self, *, provider: str, base_url: str, headers: dict[str, str], session: requests.Session | None = None,
                 sleep=time.sleep) -> None:
        config = settings.ORBIT
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = float(config["HTTP_TIMEOUT_SECONDS"])
        self.max_retries = int(config["HTTP_MAX_RETRIES"])
        self.backoff = float(config.get("HTTP_BACKOFF_SECONDS", 0.5))
        self.max_backoff = float(config.get("HTTP_MAX_BACKOFF_SECONDS", 30))
        self.session = session or requests.Session()
        self.session.headers.update(headers)
        self._sleep = sleep

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        return backoff_delay(attempt=attempt, response=response, backoff=self.backoff, max_backoff=self.max_backoff)

    def _retryable(self, method: str, response: requests.Response | None, exc: Exception | None) -> bool:
        if exc is not None:
            if isinstance(exc, (requests.ConnectionError, requests.ConnectTimeout)) and not isinstance(
                    exc, requests.ReadTimeout):
                return True
            return method in _SAFE and isinstance(exc, requests.Timeout)
        status = response.status_code
        if status == 429 or status == 503:
            return True
        return method in _SAFE and status >= 500

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                allow_404: bool = False) -> Any:
        """The decoded JSON body (None for an empty body, or a 404 when ``allow_404``)."""
        method = method.upper()
        url = f"{self.base_url}/{path.lstrip('/')}"
        attempt = 0
        while True:
            response, error = None, None
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except requests.RequestException as exc:
                error = exc
            if error is None and response.status_code < 400:
                if not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    raise ProviderError(f"{self.provider}: {method} {path} returned a body that is not JSON",
                                        provider_code="BAD_RESPONSE") from None
            if error is None and response.status_code == 404 and allow_404:
                return None
            if attempt < self.max_retries and self._retryable(method, response, error):
                delay = self._delay(attempt, response)
                logger.info("%s %s %s failed (%s); retry %s in %.2fs", self.provider, method, path,
                            error.__class__.__name__ if error else response.status_code, attempt + 1, delay)
                attempt += 1
                if delay > 0:
                    self._sleep(delay)
                continue
            raise self._error(method, path, response, error)

    def _error(self, method: str, path: str, response: requests.Response | None,
               error: Exception | None) -> ProviderError:
        if error is not None:
            kind = "timed out" if isinstance(error, requests.Timeout) else "could not be reached"
            return ProviderError(f"{self.provider}: {method} {path} {kind}", provider_code="UNAVAILABLE",
                                 retryable=True)
        code, detail = f"HTTP_{response.status_code}", ""
        try:
            body = response.json()
            first = (body.get("errors") or [{}])[0] if isinstance(body, dict) else {}
            code = str(first.get("code") or code)
            detail = str(first.get("detail") or first.get("title") or "")
        except ValueError:
            pass
        message = f"{self.provider}: {method} {path} failed with HTTP {response.status_code}"
        return ProviderError(f"{message}: {detail}" if detail else message, provider_code=code,
                             retryable=response.status_code == 429 or response.status_code >= 500)
