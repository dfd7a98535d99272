"""/api-keys: an organisation manages its own API keys with a key (api_keys:read / api_keys:write).

- A key never hands out more than it has: the scopes of a key it creates, edits or rotates must all
  be its own, and if it is bound to an IP allowlist, so must the other key be, within its networks.
  Revoking grants nothing, so any key of the organisation may be revoked.
- The calling key edits, rotates or revokes itself only when the body names it: ``confirm_prefix``
  set to its own prefix (409 CONFLICT otherwise). Each of these can lock the caller out (a dropped
  scope or network, a lost response holding the new secret), and a boolean flag is too easy to send
  by accident; a prefix sent for another key must be that key's (422).
- The secret is in the response of create and rotate only (``Cache-Control: no-store``); these two
  POSTs take no Idempotency-Key, because a stored replay would keep the secret at rest. Hashes are
  never returned.
- Rotation keeps the key record (id, prefix, name, scopes, allowlist) and gives it a new secret;
  the old one stops working at once, or after ``overlap_seconds``.
"""
from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from ..client_ip import parse_network
from ..models import SCOPES, ApiKey
from ..services import api_key_create, api_key_revoke, api_key_rotate, api_key_update
from .filters import EnumFilter, OrbitFilterSet
from .openapi import RESPONSE_HEADERS, envelope, error_response, errors
from .pagination import KeysetPagination
from .serializers import OutputSerializer, StrictSerializer
from .viewsets import OrbitRouter, OrbitViewSet

STATUSES = ("active", "revoked", "expired")

# --- request ----------------------------------------------------------------------------------------


class NameField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=100, help_text="A label for people, e.g. ci or billing-export.", **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise serializers.ValidationError("must not contain control characters")
        return value


class NetworkField(serializers.CharField):
    """One allowlist entry: an IPv4/IPv6 address or CIDR network, returned normalised."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, help_text="192.0.2.7, 192.0.2.0/24, 2001:db8::/32 …", **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return str(parse_network(value))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def _scopes_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=list(SCOPES)), allow_empty=False,
                                 max_length=len(SCOPES) * 2, **kwargs)


ALLOWLIST_HELP = ("Addresses and CIDR networks (IPv4 and IPv6) the key may be used from; [] or absent: anywhere. "
                  "Host bits must be clear (192.0.2.0/24, not 192.0.2.7/24). At most ORBIT_API_KEY_IP_ALLOWLIST_MAX "
                  "(default 50) entries.")


def _allowlist_field() -> serializers.ListField:
    return serializers.ListField(child=NetworkField(), required=False, help_text=ALLOWLIST_HELP,
                                 max_length=settings.ORBIT["API_KEY_IP_ALLOWLIST_MAX"])


def _check_allowlist_length(value: list[str]) -> list[str]:
    limit = settings.ORBIT["API_KEY_IP_ALLOWLIST_MAX"]
    if len(value) > limit:
        raise serializers.ValidationError(f"at most {limit} entries")
    return value


def _confirm_prefix_field() -> serializers.RegexField:
    return serializers.RegexField(r"^[0-9a-f]{12}$", required=False, help_text=(
        "The prefix of the key named in the path. Required when that is the key making this request "
        "(otherwise 409 CONFLICT); when sent, it must match (otherwise 422)."))


class ApiKeyCreateBody(StrictSerializer):
    name = NameField(required=False, default="default")
    scopes = _scopes_field(help_text="Each one a scope your own key holds (403 FORBIDDEN otherwise).")
    ip_allowlist = _allowlist_field()
    expires_at = serializers.DateTimeField(required=False, help_text=(
        "ISO 8601; must be in the future. After it the key is refused (401) like a revoked one."))

    validate_ip_allowlist = staticmethod(_check_allowlist_length)


class ApiKeyUpdateBody(StrictSerializer):
    min_fields = 1

    name = NameField(required=False)
    scopes = _scopes_field(required=False, help_text=(
        "The key's new scopes: only a subset of what it holds (scopes never widen), within your own key's."))
    ip_allowlist = _allowlist_field()
    confirm_prefix = _confirm_prefix_field()

    validate_ip_allowlist = staticmethod(_check_allowlist_length)

    def validate(self, attrs):
        if not set(attrs) - {"confirm_prefix"}:
            raise serializers.ValidationError({"body": "send at least one of name, scopes, ip_allowlist"})
        return attrs


class ApiKeyRotateBody(StrictSerializer):
    overlap_seconds = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=settings.ORBIT["API_KEY_ROTATION_MAX_OVERLAP_SECONDS"],
        help_text=("How long the old secret keeps working, 0 (default: it stops at once) up to "
                   "ORBIT_API_KEY_ROTATION_MAX_OVERLAP_SECONDS (default 86400)."))
    confirm_prefix = _confirm_prefix_field()


class ApiKeyRevokeBody(StrictSerializer):
    confirm_prefix = _confirm_prefix_field()


# --- responses --------------------------------------------------------------------------------------


class ApiKeySerializer(OutputSerializer):
    id = serializers.CharField(help_text="key_ followed by 20 characters.")
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The public part of the key: orb_live_<prefix>_… .")
    status = serializers.ChoiceField(choices=list(STATUSES))
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=list(SCOPES)))
    ip_allowlist = serializers.ListField(child=serializers.CharField(), help_text=(
        "Normalised networks (192.0.2.7/32, 2001:db8::/32); empty: usable from anywhere."))
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Updated at most once a minute.")
    last_used_ip = serializers.CharField(allow_null=True, help_text=(
        "The client address of the last use (behind trusted proxies, from X-Forwarded-For)."))
    rotated_at = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True, help_text=(
        "After a rotation with an overlap: until when the previous secret still works."))
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyWithSecretSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The full key. Shown only in this response: store it now.")


# --- the endpoints ----------------------------------------------------------------------------------


def _status_filter(queryset, name, value):
    now = timezone.now()
    if value == "revoked":
        return queryset.filter(revoked_at__isnull=False)
    live = queryset.filter(revoked_at__isnull=True)
    if value == "expired":
        return live.filter(expires_at__lte=now)
    return live.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiKeyFilterSet(OrbitFilterSet):
    status = EnumFilter(choices=STATUSES, method=_status_filter, help_text="active, revoked or expired.")
    name = django_filters.CharFilter(max_length=100, help_text="Exact name.")

    set_override(name, "field", {"type": "string", "minLength": 1, "maxLength": 100,
                                 "description": "Exact name, e.g. ci."})

    class Meta:
        model = ApiKey
        fields: list[str] = []


class ApiKeyPagination(KeysetPagination):
    default_limit, max_limit = 25, 100
    ordering = ("-created_at", "-pk")


KEY_PATH = OpenApiParameter("key_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                            description="An API key id (key_…).")
SECRET_HEADERS = [*RESPONSE_HEADERS, OpenApiParameter(
    "Cache-Control", {"type": "string", "enum": ["no-store"]}, OpenApiParameter.HEADER, response=[200, 201],
    description="The response holds a secret: never cached.")]
FORBIDDEN_GRANT = error_response(403, (
    "The key lacks api_keys:write; or it would hand out a scope it lacks, or a network outside its own IP "
    "allowlist (details name them); or the request comes from outside its allowlist."),
    codes=["FORBIDDEN", "IP_NOT_ALLOWED"])
NO_STORE = {"Cache-Control": "no-store"}


class ApiKeyViewSet(OrbitViewSet):
    queryset = ApiKey.objects.all()
    lookup_url_kwarg = "key_id"
    not_found_message = "No such API key."
    required_scopes = {"list": "api_keys:read", "retrieve": "api_keys:read", "create": "api_keys:write",
                       "partial_update": "api_keys:write", "revoke": "api_keys:write", "rotate": "api_keys:write"}
    serializer_class = ApiKeySerializer
    output_serializers = {"create": ApiKeyWithSecretSerializer, "rotate": ApiKeyWithSecretSerializer}
    filterset_class = ApiKeyFilterSet
    pagination_class = ApiKeyPagination

    def _with_secret(self, api_key: ApiKey, raw_key: str, *, status: int):
        api_key.key = raw_key
        return self.respond(api_key, status=status, headers=NO_STORE)

    @extend_schema(
        operation_id="api_keys_list", tags=["api-keys"], summary="List your organisation's API keys",
        description="Newest first, cursor-paginated. Secrets and hashes are never shown.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(ApiKeySerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="api_keys_create", tags=["api-keys"], summary="Create an API key (the secret is shown once)",
        description=("Scopes must be a subset of your own key's. If your key has an IP allowlist, the new key "
                     "needs one within it. The full key is in `data.key` of this response only."),
        parameters=SECRET_HEADERS, request=ApiKeyCreateBody,
        responses={201: envelope(ApiKeyWithSecretSerializer), 403: FORBIDDEN_GRANT,
                   **errors(400, 401, 413, 422, 429, notes={
                       422: "Invalid body: unknown scope, bad network, too many entries, expires_at not in "
                            "the future …"})},
    )
    def create(self, request):
        body = self.validated(ApiKeyCreateBody)
        api_key, raw_key = api_key_create(organization=self.organization, scopes=body["scopes"], name=body["name"],
                                          ip_allowlist=body.get("ip_allowlist"), expires_at=body.get("expires_at"),
                                          **self.actor())
        return self._with_secret(api_key, raw_key, status=201)

    @extend_schema(
        operation_id="api_keys_retrieve", tags=["api-keys"], summary="Get an API key",
        parameters=[KEY_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(ApiKeySerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, key_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="api_keys_update", tags=["api-keys"], summary="Rename a key, narrow its scopes, set its allowlist",
        description=("Only the fields sent change. `scopes` only narrows (a subset of the key's); `ip_allowlist` "
                     "replaces the list ([] lifts it). The calling key edits itself only when `confirm_prefix` "
                     "names it. You may edit only keys whose scopes (and networks, if your "
                     "key has an allowlist) are within your own key's."),
        parameters=[KEY_PATH, *RESPONSE_HEADERS], request=ApiKeyUpdateBody,
        responses={200: envelope(ApiKeySerializer), 403: FORBIDDEN_GRANT,
                   **errors(400, 401, 404, 409, 413, 422, 429, notes={
                       409: "The key is revoked, or it is the calling key and confirm_prefix is missing."})},
    )
    def partial_update(self, request, key_id: str):
        body = self.validated(ApiKeyUpdateBody)
        api_key = api_key_update(api_key=self.get_object(), name=body.get("name"), scopes=body.get("scopes"),
                                 ip_allowlist=body.get("ip_allowlist"), confirm_prefix=body.get("confirm_prefix"),
                                 **self.actor())
        return self.respond(api_key)

    @extend_schema(
        operation_id="api_keys_rotate", tags=["api-keys"], summary="Give a key a new secret (shown once)",
        description=("The key keeps its id, prefix, name, scopes and allowlist; `data.key` is the new full key. "
                     "The old secret stops working at once, or after `overlap_seconds`. Rotating again ends an "
                     "earlier overlap. The calling key rotates itself only when `confirm_prefix` names it."),
        parameters=[KEY_PATH, *SECRET_HEADERS], request=ApiKeyRotateBody,
        responses={200: envelope(ApiKeyWithSecretSerializer), 403: FORBIDDEN_GRANT,
                   **errors(400, 401, 404, 409, 413, 422, 429, notes={
                       409: "The key is revoked or expired, or it is the calling key and confirm_prefix is missing."})},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, key_id: str):
        body = self.validated(ApiKeyRotateBody)
        api_key, raw_key = api_key_rotate(api_key=self.get_object(), overlap_seconds=body["overlap_seconds"],
                                          confirm_prefix=body.get("confirm_prefix"), **self.actor())
        return self._with_secret(api_key, raw_key, status=200)

    @extend_schema(
        operation_id="api_keys_revoke", tags=["api-keys"], summary="Revoke a key",
        description=("Takes effect at once, for every secret of the key. Revoking a revoked key changes "
                     "nothing. Any key of your organisation may be revoked; the key making the request only "
                     "when `confirm_prefix` names it."),
        parameters=[KEY_PATH, *RESPONSE_HEADERS], request=ApiKeyRevokeBody,
        responses={200: envelope(ApiKeySerializer), **errors(400, 401, 403, 404, 409, 413, 422, 429, notes={
            409: "This is the key making the request and confirm_prefix is missing.",
            422: "Unknown field, or confirm_prefix that is not this key's prefix."})},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, key_id: str):
        body = self.validated(ApiKeyRevokeBody)
        api_key = api_key_revoke(api_key=self.get_object(), confirm_prefix=body.get("confirm_prefix"), **self.actor())
        return self.respond(api_key)


router = OrbitRouter()
router.register("api-keys", ApiKeyViewSet, basename="api-keys")
urlpatterns = router.urls
