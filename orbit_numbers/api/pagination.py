"""Opaque, signed keyset cursors: stable under inserts, O(limit) per page, no offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

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
