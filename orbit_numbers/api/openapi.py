"""OpenAPI building blocks every API view shares: the success and error envelopes, the
Idempotency-Key header, the response headers, and the cursor/limit query parameters.

Schema metadata only: nothing here runs while a request is served. Document each handler with
drf-spectacular's ``extend_schema`` and these pieces::

    @extend_schema(
        operation_id="numbers_purchase", summary="Purchase a number", tags=["numbers"],
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS],  # IDEMPOTENT_… only on @idempotent handlers
        request=PurchaseBody,                                    # the StrictSerializer the handler validates
        responses={201: envelope(OwnedNumberSerializer),         # {data: OwnedNumber, meta}
                   **errors(400, 401, 402, 403, 404, 409, 422, 429,
                            notes={409: "The number is no longer available."})},
    )

- ``envelope(X)`` / ``envelope(X, many=True)`` / ``envelope(X, paginated=True)``: ``data`` is X, a list
  of X, or a page of X (``meta.pagination``). X is a response serializer that describes what the
  handler returns (a ``serializers.Serializer`` whose fields mirror the representation dict).
- ``errors(*statuses, notes=…)``: the error envelope per status; ``error_response(409, "…",
  codes=["INSUFFICIENT_INVENTORY"], data=ShortageSerializer())`` for an error with its own code or data.
- Query parameters: pass the query serializer itself (``parameters=[SearchQuery]``), plus
  ``CURSOR``, ``limit_parameter(default=…, maximum=…)``, ``csv_parameter(…)`` where they apply.
- A JSON field whose shape depends on another field: ``schema_field(AnyOfSerializer(name, [A, B]))``.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.drainage import set_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema_field,
                                   inline_serializer)
from rest_framework import serializers

from .. import errors as orbit_errors
from .idempotency import HEADER as IDEMPOTENCY_HEADER

# --- the success envelope -------------------------------------------------------------------------


class EnvelopeMetaSerializer(serializers.Serializer):
    request_id = serializers.CharField(help_text="Also sent as the X-Request-Id header; quote it to support.")
    timestamp = serializers.DateTimeField(help_text="ISO 8601 UTC, e.g. 2026-03-08T12:00:00Z.")


class PaginationSerializer(serializers.Serializer):
    cursor = serializers.CharField(allow_null=True, help_text=(
        "Opaque; pass it back as ?cursor= for the next page. null on the last page."))
    has_more = serializers.BooleanField()


class EnvelopePageMetaSerializer(EnvelopeMetaSerializer):
    pagination = PaginationSerializer()


def _component_base(data: Any) -> str | None:
    cls = data if isinstance(data, type) else type(data)
    if not issubclass(cls, serializers.BaseSerializer):
        return None
    name = cls.__name__
    return name[: -len("Serializer")] if name.endswith("Serializer") and name != "Serializer" else name


def _data_field(data: Any, many: bool) -> serializers.Field:
    if isinstance(data, type) and issubclass(data, serializers.BaseSerializer):
        return data(many=many)
    if isinstance(data, serializers.BaseSerializer):
        return serializers.ListField(child=data) if many else data
    field = schema_field(data)()
    return serializers.ListField(child=field) if many else field


def schema_field(schema: Any, base: type[serializers.Field] = serializers.JSONField) -> type[serializers.Field]:
    """A subclass of ``base`` that the schema shows as ``schema`` (a raw schema dict, an OpenApiTypes
    member or a serializer) and that behaves exactly like ``base``. A class, not an annotated
    instance: serializers deep-copy their declared fields, and the copies lose instance attributes."""
    return extend_schema_field(schema)(type(f"Schema{base.__name__}", (base,), {"__module__": __name__}))


# One serializer class per component name: drf-spectacular warns about two classes with one name.
_envelopes: dict[str, tuple[Any, bool, bool, serializers.Serializer]] = {}


def envelope(data: Any, *, many: bool = False, paginated: bool = False, name: str | None = None,
             description: str = "") -> OpenApiResponse:
    """The ``{"data": …, "meta": {request_id, timestamp[, pagination]}}`` response around ``data``.

    ``data`` is a serializer class or instance, or a raw schema dict / OpenApiTypes member (then
    ``name`` is required). ``many`` makes ``data`` an array; ``paginated`` (implies many) adds
    ``meta.pagination``. The component is named ``<Data>Envelope`` / ``<Data>ListEnvelope`` /
    ``<Data>PageEnvelope`` unless ``name`` says otherwise; asking again for the same thing gives the
    same component, so operations share it.
    """
    many = many or paginated
    if name is None:
        base = _component_base(data)
        if base is None:
            raise ValueError("envelope() needs name= for a data schema that is not a serializer")
        name = f"{base}{'Page' if paginated else 'List' if many else ''}Envelope"
    known = _envelopes.get(name)
    if known is not None:
        known_data, known_many, known_paginated, serializer = known
        if not (known_data is data or known_data == data) or (known_many, known_paginated) != (many, paginated):
            raise ValueError(f"two different envelopes are named {name!r}; pass a distinct name=")
    else:
        meta = EnvelopePageMetaSerializer() if paginated else EnvelopeMetaSerializer()
        serializer = inline_serializer(name=name, fields={"data": _data_field(data, many), "meta": meta})
        # The envelope is one object even on a list action: drf-spectacular must not wrap it in an
        # array or in the paginator's schema.
        set_override(serializer, "many", False)
        _envelopes[name] = (data, many, paginated, serializer)
    return OpenApiResponse(serializer, description=description)


def lib_doc_excludes() -> list[type]:
    """SPECTACULAR_SETTINGS["GET_LIB_DOC_EXCLUDES"]: the docstrings of these base classes are for
    developers, so views and bodies that have none of their own must not inherit them."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from .serializers import OutputSerializer, StrictSerializer
    from .viewsets import OrbitViewSet

    return [*get_lib_doc_excludes(), OrbitViewSet, StrictSerializer, OutputSerializer]


# --- the error envelope ---------------------------------------------------------------------------


def _error_classes() -> list[type[orbit_errors.OrbitError]]:
    found, pending = [], [orbit_errors.OrbitError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


ERROR_CODES = sorted({cls.code for cls in _error_classes()})


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ERROR_CODES, help_text="Stable and machine-readable.")
    message = serializers.CharField(help_text="For humans; the wording may change.")
    request_id = serializers.CharField()
    details = serializers.DictField(required=False, help_text=(
        "VALIDATION_ERROR: field → message (nested fields dotted, e.g. items[0].phone_number). Other errors "
        "may add facts, e.g. INSUFFICIENT_CREDIT: required_cents, balance_cents."))


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()
    data = serializers.DictField(required=False, help_text=(
        "Only on errors that carry data, e.g. INSUFFICIENT_INVENTORY."))


# The codes any operation may answer with a status, and what they mean. Codes that only some
# operations give (PORT_OUT_PIN_MISMATCH, INSUFFICIENT_INVENTORY, LOA_URL_INVALID_ORIGIN) are
# named by those operations through error_response(codes=…).
_GENERIC: dict[int, tuple[list[str], str]] = {
    400: ([orbit_errors.BadRequest.code], "Malformed request, e.g. a body that is not JSON."),
    401: ([orbit_errors.Unauthorized.code], "Missing, invalid or revoked API key."),
    402: ([orbit_errors.InsufficientCredit.code], "The wallet balance does not cover the charge; nothing was charged."),
    403: ([orbit_errors.Forbidden.code, orbit_errors.IpNotAllowed.code],
          "The API key lacks the scope this operation needs, or is used from outside its IP allowlist."),
    404: ([orbit_errors.NotFound.code], "No such object in your organisation."),
    409: ([orbit_errors.Conflict.code, orbit_errors.IdempotencyConflict.code],
          "Conflicts with the current state; or the Idempotency-Key was used with a different request."),
    413: ([orbit_errors.PayloadTooLarge.code], "The request body is over the limit (1 MB for JSON bodies)."),
    422: ([orbit_errors.ValidationFailed.code], "Validation failed; error.details maps each field to its message."),
    429: ([orbit_errors.RateLimited.code], "Rate limited; retry after Retry-After seconds."),
}


def error_response(status: int, description: str | None = None, *, codes: list[str] | None = None,
                   data: serializers.BaseSerializer | None = None) -> OpenApiResponse:
    """One error response: the error envelope, described as "<codes>: <meaning>".

    ``description`` says what the status means for this operation, ``codes`` lists its codes
    (default: the generic ones of the status), ``data`` types the top-level ``data`` of an error
    that carries some (component ``<Data>ErrorEnvelope``).
    """
    generic_codes, meaning = _GENERIC.get(status, ([], ""))
    text = f"{', '.join(codes or generic_codes)}: {description or meaning}".strip(": ")
    body = ErrorEnvelopeSerializer if data is None else _error_with_data(data)
    return OpenApiResponse(body, description=text)


_errors_with_data: dict[str, serializers.Serializer] = {}


def _error_with_data(data: serializers.BaseSerializer) -> serializers.Serializer:
    name = f"{_component_base(data)}ErrorEnvelope"
    if name not in _errors_with_data:
        _errors_with_data[name] = inline_serializer(name=name, fields={"error": ErrorSerializer(), "data": data})
    return _errors_with_data[name]


ERROR_RESPONSES: dict[int, OpenApiResponse] = {status: error_response(status) for status in _GENERIC}
"""400/401/402/403/404/409/413/422/429 → the error envelope with the status's generic codes."""


def errors(*statuses: int, notes: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """The shared error responses of ``statuses``, to spread into ``responses={…}``; ``notes``
    says what a status means for this operation (``{409: "The number is no longer available."}``)."""
    notes = notes or {}
    unknown = set(notes) - set(statuses)
    if unknown:
        raise ValueError(f"notes for statuses not listed: {sorted(unknown)}")
    return {status: error_response(status, notes[status]) if status in notes else ERROR_RESPONSES[status]
            for status in statuses}


# --- headers and common parameters ----------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, {"type": "string", "minLength": 1, "maxLength": 255}, OpenApiParameter.HEADER,
    description=("Optional, 1-255 characters. Retrying with the same key and the same body replays the first "
                 "response (with Idempotent-Replayed: true) instead of acting twice; the same key with a "
                 "different body is 409 IDEMPOTENCY_CONFLICT; while the first request still runs, 409 CONFLICT "
                 "with Retry-After. A first request that stopped answering (its server died) is taken over by "
                 "the retry after a short lease; a request either acted and its response is stored, or it did "
                 "nothing."),
)

IDEMPOTENT_REPLAYED = OpenApiParameter(
    # 401, 403, 429 and 5xx are never stored (orbit_numbers.api.idempotency), so never replayed.
    "Idempotent-Replayed", {"type": "string", "enum": ["true"]}, OpenApiParameter.HEADER,
    response=[200, 201, 202, 204, 400, 402, 404, 409, 422],
    description="Present when this response is the stored response of an earlier request with the same key.")

# Rate limits are counted after authentication and the scope check, so 401 and 403 come without them.
_RATE_LIMITED_STATUSES = [200, 201, 202, 204, 400, 402, 404, 409, 422, 429]

RESPONSE_HEADERS: list[OpenApiParameter] = [
    OpenApiParameter("X-Request-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, response=True,
                     description="Identifies the request; also meta.request_id / error.request_id."),
    OpenApiParameter("X-RateLimit-Limit", OpenApiTypes.INT, OpenApiParameter.HEADER,
                     response=_RATE_LIMITED_STATUSES, description="Requests allowed in the current window."),
    OpenApiParameter("X-RateLimit-Remaining", OpenApiTypes.INT, OpenApiParameter.HEADER,
                     response=_RATE_LIMITED_STATUSES, description="Requests left in the current window."),
    OpenApiParameter("X-RateLimit-Reset", OpenApiTypes.INT, OpenApiParameter.HEADER,
                     response=_RATE_LIMITED_STATUSES, description="Unix time (seconds) when the window resets."),
    OpenApiParameter("Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
                     description="Seconds to wait before retrying."),
]
"""Response headers of every API operation: list them in each operation's ``parameters``."""

IDEMPOTENT_PARAMETERS: list[OpenApiParameter] = [IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED]
"""For handlers decorated with ``@idempotent``: the request header and the replay marker."""

CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, description=(
    "Opaque cursor from meta.pagination.cursor of the previous page; omit for the first page."))


def limit_parameter(*, default: int, maximum: int) -> OpenApiParameter:
    return OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
                            description=f"Page size, 1-{maximum} (default {default}).")


def csv_parameter(name: str, choices: tuple[str, ...] | list[str], description: str) -> OpenApiParameter:
    """A query parameter sent as one comma-separated value, e.g. ``?capabilities=sms,voice``."""
    return OpenApiParameter(name, {"type": "array", "minItems": 1,
                                   "items": {"type": "string", "enum": list(choices)}},
                            style="form", explode=False, description=description)


# --- alternatives ---------------------------------------------------------------------------------


class AnyOfSerializer(PolymorphicProxySerializer):
    """Schema only: a value of one of several shapes, chosen by something outside it (e.g. routing
    ``config`` by ``type``), so no discriminator. anyOf, not oneOf: shapes without required keys
    (``{}``) fit more than one. Annotate a field with it::

        config = schema_field(AnyOfSerializer("VoiceRouteConfig", [AgentRoute, …]))(required=False)
    """

    def __init__(self, component_name: str, serializers: list, **kwargs: Any) -> None:
        super().__init__(component_name=component_name, serializers=serializers, resource_type_field_name=None,
                         **kwargs)


class AnyOfSerializerSchema(PolymorphicProxySerializerExtension):
    target_class = AnyOfSerializer
    priority = 0

    def map_serializer(self, auto_schema, direction):
        return {"anyOf": super().map_serializer(auto_schema, direction)["oneOf"]}


# --- the project's AutoSchema ----------------------------------------------------------------------


class OrbitAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus what it leaves unsaid about our fields.

    A CharField trims whitespace, then refuses a blank value: so "at least one character" in the
    schema is not enough, the value must hold a character that is not whitespace (``\\S``, the
    same class ``str.strip`` removes). Without it, clients (and the fuzzer) would take "\\f" as valid.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and isinstance(field, serializers.CharField)
                and not isinstance(field, serializers.RegexField)
                and field.trim_whitespace and not field.allow_blank and schema.get("type") == "string"
                and "pattern" not in schema and "enum" not in schema and "format" not in schema):
            schema["pattern"] = r"\S"
        return schema


# --- request bodies on DELETE ---------------------------------------------------------------------


class DeleteBodyAutoSchema(OrbitAutoSchema):
    """For views whose DELETE takes a body (e.g. the PIN that removes Port-Out Protection):
    drf-spectacular documents request bodies on PUT/PATCH/POST only. A DELETE whose
    ``extend_schema`` has ``request=X`` gets that body, mapped as for POST; ``request=None``
    keeps none (so say it on a DELETE without a body). Per view: ``schema = DeleteBodyAutoSchema()``."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE" or self.get_request_serializer() is None:
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
