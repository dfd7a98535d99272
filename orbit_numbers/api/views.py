"""The base API view: tenant-scoped, rate-limited, enveloped."""
from __future__ import annotations

from django.conf import settings
from rest_framework.views import APIView

from .idempotency import is_stored_replay
from .ratelimit import RateLimit, rate_limit_hit


class OrbitAPIView(APIView):
    """Every endpoint derives from this.

    - ``required_scopes``: scope per method (see HasRequiredScope).
    - ``rate_limits``: {method: RateLimit} per organisation, on top of the per-key default budget.
    """

    required_scopes: dict[str, str] | str | None = None
    rate_limits: dict[str, RateLimit] = {}

    @property
    def organization(self):
        return self.request.auth.organization

    @property
    def api_key(self):
        return self.request.auth

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        default = RateLimit("default", settings.ORBIT["DEFAULT_RATE_LIMIT_PER_MINUTE"])
        state = rate_limit_hit(rule=default, subject=request.auth.pk)
        named = self.rate_limits.get(request.method)
        if named is not None and not is_stored_replay(request):
            state = rate_limit_hit(rule=named, subject=request.auth.organization_id)
        request._rate_limit_headers = state.headers()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in getattr(request, "_rate_limit_headers", {}).items():
            if name not in response:
                response[name] = value
        return response

    def actor(self) -> dict:
        """Keyword arguments that identify who acts, for every service call."""
        return {"acting_key": self.request.auth}

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def query_params(self, serializer_class) -> dict:
        """Validate query parameters; failures become 422 VALIDATION_ERROR like body fields."""
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
