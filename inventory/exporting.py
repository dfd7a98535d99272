"""Number exports as CSV or JSON, streamed in constant memory. One module, three faces:
the console's changelists (whatever the operator filtered), the tenant API
(GET /api/v1/numbers/export) and ``manage.py export_numbers``.

Rows come from ``values_list(...).iterator(chunk_size=…)`` (a server-side cursor on PostgreSQL),
are formatted one by one and leave in ~64 KB chunks, so a million numbers never sit in memory.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from orbit_numbers.api.responses import iso
from orbit_numbers.money import dollars

from .models import CAPABILITY_FIELDS

FORMATS = ("csv", "json")
CHUNK_SIZE = 2000
_FLUSH_BYTES = 64 * 1024
# Spreadsheet apps execute a cell starting with one of these; free text is defused with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Money(int):
    """Integer cents in a row: written "1.50" in CSV and 1.5 (a number of dollars) in JSON, as the API does."""

    @property
    def dollars(self) -> float:
        return dollars(self)


def money(value: int | None) -> Money | None:
    return None if value is None else Money(value)


@dataclass(frozen=True)
class ExportSpec:
    """What one export contains: the columns fetched, the names written, how a row is built."""

    name: str
    fields: tuple[str, ...]
    header: tuple[str, ...]
    build: Callable[[tuple], tuple]
    # Columns holding text that customers or staff typed (defused in CSV).
    free_text: frozenset[str] = frozenset()

    def rows(self, queryset: QuerySet, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        for values in queryset.values_list(*self.fields).iterator(chunk_size=chunk_size):
            yield self.build(values)


def _inventory_row(values: tuple) -> tuple:
    (pk, e164, country, line_type, region, area_code, provider, provider_ref, status, sms, mms, voice, fax,
     two_way, monthly, setup, aging_until, created_at) = values
    capabilities = [name for name, flag in zip(CAPABILITY_FIELDS, (sms, mms, voice, fax)) if flag]
    return (pk, e164, country, line_type, region, area_code, provider, provider_ref, status, capabilities, two_way,
            money(monthly), money(setup), iso(aging_until), iso(created_at))


INVENTORY = ExportSpec(
    name="inventory",
    fields=("pk", "e164", "country", "line_type", "region", "area_code", "provider", "provider_ref", "status",
            "cap_sms", "cap_mms", "cap_voice", "cap_fax", "sms_two_way", "monthly_cents", "setup_cents",
            "aging_until", "created_at"),
    header=("id", "number", "country", "type", "region", "area_code", "provider", "provider_ref", "status",
            "capabilities", "sms_two_way", "monthly_cost", "setup_cost", "aging_until", "created_at"),
    build=_inventory_row,
    free_text=frozenset({"region"}),
)


def _owned_row(values: tuple) -> tuple:
    (pk, e164, org_id, org_name, country, line_type, provider, status, source, label, tags, capabilities, monthly,
     created_at, released_at) = values
    return (pk, e164, org_id, org_name, country, line_type, provider, status, source, label, tags or [],
            capabilities or [], money(monthly), iso(created_at), iso(released_at))


OWNED = ExportSpec(
    name="owned-numbers",
    fields=("pk", "e164", "organization_id", "organization__name", "phone_number__country",
            "phone_number__line_type", "phone_number__provider", "status", "source", "label", "tags",
            "capabilities", "monthly_cents", "created_at", "released_at"),
    header=("id", "number", "organization_id", "organization", "country", "type", "provider", "status", "source",
            "label", "tags", "capabilities", "monthly_cost", "created_at", "released_at"),
    build=_owned_row,
    free_text=frozenset({"organization", "label", "tags"}),
)


def _tenant_row(values: tuple) -> tuple:
    (pk, e164, country, line_type, region, label, capabilities, status, tags, monthly, setup, provider, profile_id,
     created_at, updated_at) = values
    return (pk, e164, country, line_type, region, label, capabilities or [], status, tags or [], money(monthly),
            money(setup), provider, profile_id, iso(created_at), iso(updated_at))


# A tenant's own numbers, with the names and money format of GET /api/v1/numbers items.
TENANT = ExportSpec(
    name="numbers",
    fields=("pk", "e164", "phone_number__country", "phone_number__line_type", "phone_number__region", "label",
            "capabilities", "status", "tags", "monthly_cents", "setup_cents", "phone_number__provider",
            "compliance_profile_id", "created_at", "updated_at"),
    header=("id", "number", "country", "type", "region", "label", "capabilities", "status", "tags", "monthly_cost",
            "setup_cost", "provider", "compliance_profile_id", "created_at", "updated_at"),
    build=_tenant_row,
    free_text=frozenset({"region", "label", "tags"}),
)


# --- encoders ----------------------------------------------------------------------------------------


class _Echo:
    """csv.writer target that hands each formatted line back instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value, *, free_text: bool):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return f"{value.dollars:.2f}"
    if isinstance(value, (list, tuple)):
        value = ";".join(str(item) for item in value)
    if free_text and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _chunked(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= _FLUSH_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def csv_lines(spec: ExportSpec, queryset: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    free = [name in spec.free_text for name in spec.header]
    yield writer.writerow(spec.header)
    for row in spec.rows(queryset):
        yield writer.writerow([_csv_cell(value, free_text=flag) for value, flag in zip(row, free)])


def json_pieces(spec: ExportSpec, queryset: QuerySet, *, meta: dict | None = None) -> Iterator[str]:
    """A JSON array of objects; with ``meta``, the API envelope {"data": [...], "meta": {...}}."""
    yield '{"data":[' if meta is not None else "["
    count = 0
    for row in spec.rows(queryset):
        item = {name: value.dollars if isinstance(value, Money) else value for name, value in zip(spec.header, row)}
        yield ("," if count else "") + json.dumps(item, ensure_ascii=False)
        count += 1
    if meta is None:
        yield "]\n"
    else:
        yield '],"meta":' + json.dumps({**meta, "count": count}) + "}\n"


def export_chunks(spec: ExportSpec, queryset: QuerySet, fmt: str, *, meta: dict | None = None) -> Iterator[bytes]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    return _chunked(csv_lines(spec, queryset) if fmt == "csv" else json_pieces(spec, queryset, meta=meta))


def export_filename(spec: ExportSpec, fmt: str, now: datetime | None = None) -> str:
    return f"{spec.name}-{(now or timezone.now()):%Y%m%d-%H%M%S}.{fmt}"


def export_response(spec: ExportSpec, queryset: QuerySet, fmt: str, *, meta: dict | None = None) -> StreamingHttpResponse:
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = StreamingHttpResponse(export_chunks(spec, queryset, fmt, meta=meta), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(spec, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response
