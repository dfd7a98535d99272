"""API key authentication (X-API-Key or Authorization: Bearer) and per-view scope checks."""
from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from ..client_ip import client_ip
from ..errors import Forbidden, Unauthorized
from ..models import ApiKey
from ..services import api_key_authenticate


def presented_key(request) -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


class ApiKeyAuthentication(BaseAuthentication):
    """request.user stays None; request.auth is the ApiKey; request.organization its organisation.
    A key with an IP allowlist used from elsewhere is 403 IP_NOT_ALLOWED (orbit_numbers.client_ip)."""

    def authenticate(self, request):
        raw = presented_key(request)
        if raw is None:
            return None
        api_key = api_key_authenticate(raw_key=raw, client_ip=client_ip(request))
        if api_key is None:
            raise Unauthorized("Invalid or revoked API key.")
        request._request.organization = api_key.organization
        return (None, api_key)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class HasRequiredScope(BasePermission):
    """Views declare the scope each action needs: ``required_scopes = {"list": "numbers:read",
    "purchase": "numbers:write", ...}`` (viewsets, by action), or by HTTP method for plain
    APIViews (``{"GET": …}``), or one string for everything. Nothing declared: denied (fail closed).
    A tuple of scopes means any one of them; the handler then checks the one its input needs."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise Unauthorized()
        if request.method not in ("HEAD", "OPTIONS") and not hasattr(view, request.method.lower()):
            return True  # a method the view does not implement: let it answer 405, not 403
        if request.method == "OPTIONS":
            return True  # metadata about the endpoint itself, no tenant data: any valid key may ask
        scope = required_scope(view, request.method)
        if not scope:
            raise Forbidden("This endpoint is not available to API keys.")
        scopes = scope if isinstance(scope, tuple) else (scope,)
        if not any(api_key.has_scope(one) for one in scopes):
            raise Forbidden(f"Missing required scope: {' or '.join(scopes)}.")
        return True


def required_scope(view, method: str) -> str | None:
    required = getattr(view, "required_scopes", None)
    if not isinstance(required, dict):
        return required
    action = getattr(view, "action", None)
    if action is not None and action in required:
        return required[action]
    if method in ("HEAD", "OPTIONS"):
        return required.get("GET")
    return required.get(method)
