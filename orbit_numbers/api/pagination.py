"""Opaque, signed keyset cursors: stable under inserts, O(limit) per page, no offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from rest_framework.pagination import BasePagination

from ..errors import ValidationFailed

_SALT = "orbit.cursor"


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None

    @property
    def pagination(self) -> dict[str, Any]:
        return {"cursor": self.next_cursor, "has_more": self.next_cursor is not None}


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed.field("limit", "must be an integer") from None
    if value < 1 or value > maximum:
        raise ValidationFailed.field("limit", f"must be between 1 and {maximum}")
    return value


def _encode(values: list, scope: str) -> str:
    return signing.dumps({"s": scope, "v": values}, salt=_SALT, compress=True)


def _decode(cursor: str, scope: str) -> list:
    try:
        payload = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        raise ValidationFailed.field("cursor", "invalid cursor") from None
    if not isinstance(payload, dict) or payload.get("s") != scope or not isinstance(payload.get("v"), list):
        raise ValidationFailed.field("cursor", "invalid cursor")
    return payload["v"]


def keyset_page(queryset: QuerySet, *, cursor: str | None, limit: int, ordering: tuple[str, str] = ("-created_at", "-pk"),
                scope: str = "") -> Page:
    """Page a queryset by a two-column descending (or ascending) keyset, e.g. (-created_at, -pk).

    The cursor carries the last row's key values; ``scope`` binds a cursor to one listing.
    """
    first, second = ordering
    desc = first.startswith("-")
    f1, f2 = first.lstrip("-"), second.lstrip("-")
    qs = queryset.order_by(first, second)
    if cursor:
        v1, v2 = _decode(cursor, scope)
        if f1 in ("created_at", "updated_at", "set_at") and v1 is not None:
            from django.utils.dateparse import parse_datetime

            v1 = parse_datetime(v1)
            if v1 is None:
                raise ValidationFailed.field("cursor", "invalid cursor")
        op = "lt" if desc else "gt"
        qs = qs.filter(Q(**{f"{f1}__{op}": v1}) | Q(**{f1: v1, f"{f2}__{op}": v2}))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        k1 = getattr(last, f1)
        k2 = getattr(last, "pk" if f2 == "pk" else f2)
        next_cursor = _encode([k1.isoformat() if hasattr(k1, "isoformat") else k1, k2], scope)
    return Page(items=rows, next_cursor=next_cursor)


class KeysetPagination(BasePagination):
    """DRF pagination over ``keyset_page``: ``?cursor=&limit=``, and ``meta.pagination`` in the envelope.

    A viewset sets ``pagination_class`` to a subclass (or this one) with its own ``default_limit``,
    ``max_limit`` and ``ordering``. A cursor is bound to the listing that issued it: the viewset,
    the caller's organisation and the filters of the query string.
    """

    default_limit = 25
    max_limit = 200
    ordering: tuple[str, str] = ("-created_at", "-pk")
    query_parameters = ("cursor", "limit")

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        limit = parse_limit(params.get("limit"), default=self.default_limit, maximum=self.max_limit)
        self.page = keyset_page(queryset, cursor=params.get("cursor") or None, limit=limit,
                                ordering=self.ordering, scope=self.cursor_scope(request, view))
        return self.page.items

    def cursor_scope(self, request, view) -> str:
        filters = sorted((k, v) for k, v in request.query_params.items() if k not in self.query_parameters)
        organization = getattr(getattr(request, "auth", None), "organization_id", "")
        return f"{getattr(view, 'basename', '')}:{organization}:{filters}"

    def get_paginated_response(self, data):
        raise NotImplementedError("OrbitViewSet renders pages itself (respond_page)")

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "Opaque cursor from meta.pagination.cursor of the previous page; omit for the first page."},
            {"name": "limit", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
             "description": f"Page size, 1-{self.max_limit} (default {self.default_limit})."},
        ]
