"""Number exports as CSV or JSON, streamed in constant memory. One module, three faces:
the console's changelists (whatever the operator filtered), the tenant API
(GET /api/v1/numbers/export) and ``manage.py export_numbers``.

CSV on PostgreSQL is PostgreSQL's own ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv)`` of the very
queryset the FilterSet filtered, each column formatted in SQL exactly as the Python writer formats it
(``copy_chunks``): the rows never become Python objects, so an export runs near COPY speed. Elsewhere
(SQLite, the demo) and for JSON, rows come from ``values_list(...).iterator(chunk_size=…)`` (a
server-side cursor on PostgreSQL) and are formatted one by one. Either way they leave in ~64 KB chunks,
so a million numbers never sit in memory.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

import orjson
import psycopg
from django.db import connections
from django.db.models import F, Func, QuerySet, TextField
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


# --- columns formatted in SQL (the COPY path) ----------------------------------------------------------


class SqlColumn(Func):
    """One CSV cell computed by PostgreSQL: ``template`` with {0}, {1}… standing for the columns (ORM paths,
    joins resolved by Django) or nested ``SqlColumn``s. A template may name a column twice, so the
    columns must compile to SQL without parameters (column references always do)."""

    output_field = TextField()

    def __init__(self, template: str, *columns: str | Func):
        super().__init__(*(F(column) if isinstance(column, str) else column for column in columns))
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra_context):
        compiled = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError(f"an export column must not take query parameters: {sql}")
            compiled.append(sql)
        return self.sql_template.format(*compiled), []


def sql_value(column: str) -> SqlColumn:
    """Numbers, identifiers, text that is never empty: COPY's own text form is the Python one."""
    return SqlColumn("{0}", column)


def sql_blankable(column: str | Func) -> SqlColumn:
    """Text that may be empty: written as NULL is (an empty cell), as the csv module writes it, not as
    the quoted "" COPY writes for an empty string (the same once parsed; the same bytes this way)."""
    return SqlColumn("NULLIF({0}, '')", column)


def sql_boolean(column: str) -> SqlColumn:
    return SqlColumn("CASE {0} WHEN true THEN 'true' WHEN false THEN 'false' END", column)


def sql_money(column: str) -> SqlColumn:
    """Integer cents → "1.50" (f"{dollars:.2f}"): numeric times 0.01 has exactly two decimals."""
    return SqlColumn("{0} * 0.01", column)


def sql_timestamp(column: str) -> SqlColumn:
    """orbit_numbers.api.responses.iso: UTC, whole seconds, a Z."""
    return SqlColumn("""to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""", column)


# Lists this long or shorter are joined with ->> lookups: several times faster than unnesting the
# array per row (capabilities have at most six values).
_SHORT_LIST = 6
_SHORT_JOIN = "concat_ws(';', " + ", ".join(f"{{0}}->>{index}" for index in range(_SHORT_LIST)) + ")"


def sql_json_list(column: str) -> SqlColumn:
    """A JSON array of strings (capabilities, tags) joined with ";"; [] and NULL give an empty cell.
    A value that is not an array is written as its text, as the Python writer does with ``tags or []``."""
    return sql_blankable(SqlColumn(
        "CASE WHEN jsonb_typeof({0}) <> 'array' THEN {0} #>> '{{}}' "
        f"WHEN jsonb_array_length({{0}}) <= {_SHORT_LIST} THEN {_SHORT_JOIN} "
        "ELSE array_to_string(ARRAY(SELECT jsonb_array_elements_text({0})), ';') END", column))


def sql_capability_flags() -> SqlColumn:
    """The stock's boolean capability columns → "sms;mms;voice" in CAPABILITY_FIELDS order."""
    names = list(CAPABILITY_FIELDS)
    flags = ", ".join(f"CASE WHEN {{{index}}} THEN '{name}' END" for index, name in enumerate(names))
    return sql_blankable(SqlColumn(f"concat_ws(';', {flags})", *CAPABILITY_FIELDS.values()))


def sql_defused(column: SqlColumn) -> SqlColumn:
    """CSV formula neutralisation of free text, as ``_csv_cell`` does it: a leading quote. The cell is named
    twice, not three times (THEN quote || cell ELSE cell): PostgreSQL computes it at each mention."""
    starts = ", ".join("chr(%d)" % ord(char) if not char.isprintable() else f"'{char}'" for char in _FORMULA_START)
    return SqlColumn(f"CASE WHEN left({{0}}, 1) IN ({starts}) THEN '''' ELSE '' END || {{0}}", column)


# --- what each export holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSpec:
    """What one export contains: the columns fetched, the names written, how a row is built, and the
    same cells as SQL for COPY (one per header column, free text defused by ``sql_columns``)."""

    name: str
    fields: tuple[str, ...]
    header: tuple[str, ...]
    build: Callable[[tuple], tuple]
    sql: tuple[SqlColumn, ...]
    # Columns holding text that customers or staff typed (defused in CSV).
    free_text: frozenset[str] = frozenset()

    def __post_init__(self):
        if len(self.sql) != len(self.header):
            raise ValueError(f"export {self.name}: {len(self.sql)} SQL columns for {len(self.header)} headers")

    def rows(self, queryset: QuerySet, *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        for values in queryset.values_list(*self.fields).iterator(chunk_size=chunk_size):
            yield self.build(values)

    def sql_columns(self) -> list[SqlColumn]:
        return [sql_defused(column) if name in self.free_text else column
                for name, column in zip(self.header, self.sql)]


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
    sql=(sql_value("pk"), sql_value("e164"), sql_value("country"), sql_value("line_type"), sql_blankable("region"),
         sql_blankable("area_code"), sql_value("provider"), sql_value("provider_ref"), sql_value("status"),
         sql_capability_flags(), sql_boolean("sms_two_way"), sql_money("monthly_cents"), sql_money("setup_cents"),
         sql_timestamp("aging_until"), sql_timestamp("created_at")),
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
    sql=(sql_value("pk"), sql_value("e164"), sql_value("organization_id"), sql_value("organization__name"),
         sql_value("phone_number__country"), sql_value("phone_number__line_type"),
         sql_value("phone_number__provider"), sql_value("status"), sql_value("source"), sql_blankable("label"),
         sql_json_list("tags"), sql_json_list("capabilities"), sql_money("monthly_cents"),
         sql_timestamp("created_at"), sql_timestamp("released_at")),
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
    sql=(sql_value("pk"), sql_value("e164"), sql_value("phone_number__country"),
         sql_value("phone_number__line_type"), sql_blankable("phone_number__region"), sql_blankable("label"),
         sql_json_list("capabilities"), sql_value("status"), sql_json_list("tags"), sql_money("monthly_cents"),
         sql_money("setup_cents"), sql_value("phone_number__provider"), sql_value("compliance_profile_id"),
         sql_timestamp("created_at"), sql_timestamp("updated_at")),
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


def _chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= _FLUSH_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def csv_lines(spec: ExportSpec, queryset: QuerySet) -> Iterator[str]:
    """The Python CSV writer: SQLite, and the reference the COPY path is tested against."""
    writer = csv.writer(_Echo())
    free = [name in spec.free_text for name in spec.header]
    yield writer.writerow(spec.header)
    for row in spec.rows(queryset):
        yield writer.writerow([_csv_cell(value, free_text=flag) for value, flag in zip(row, free)])


def copy_supported(queryset: QuerySet) -> bool:
    """COPY streams a plain SELECT on PostgreSQL. DISTINCT and UNION querysets keep the Python writer:
    Django may add ordering columns to their SELECT, which would become extra CSV columns."""
    query = queryset.query
    return connections[queryset.db].vendor == "postgresql" and not query.distinct and not query.combinator


def copy_statement(spec: ExportSpec, queryset: QuerySet, cursor) -> str:
    """``COPY (the filtered queryset's SELECT, with the export's cells) TO STDOUT`` as one string.

    COPY takes no bind parameters, so the filter values are rendered as literals by psycopg's
    client-side binding (``ClientCursor.mogrify``, the quoting Django itself uses by default)."""
    select = queryset.values_list(*spec.sql_columns())
    sql, params = select.query.get_compiler(using=queryset.db).as_sql()
    mogrify = getattr(cursor, "mogrify", None) or psycopg.ClientCursor(cursor.connection).mogrify
    return f"COPY ({mogrify(sql, params)}) TO STDOUT WITH (FORMAT csv)"


def copy_chunks(spec: ExportSpec, queryset: QuerySet) -> Iterator[bytes]:
    """The CSV (header line, then one line per row) straight from PostgreSQL's COPY, in ~64 KB chunks.

    Lines end with \\n (COPY's terminator) where the csv module writes \\r\\n; cells and quoting are the
    same. Closing the generator early (a client that went away) cancels the COPY and frees the cursor."""
    header = csv.writer(_Echo(), lineterminator="\n").writerow(spec.header).encode()
    connection = connections[queryset.db]
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's cursor, for mogrify() and copy()
        statement = copy_statement(spec, queryset, cursor)
        with cursor.copy(statement) as copy:
            # COPY sends one message per row: gather them into chunks worth a write.
            yield from _chunked(chain((header,), copy))


def _json_objects(spec: ExportSpec, queryset: QuerySet) -> Iterator[tuple[bytes, int]]:
    """Each batch of rows as the comma-separated JSON objects it becomes, and how many there are."""
    rows = spec.rows(queryset)
    header = spec.header
    while batch := list(islice(rows, CHUNK_SIZE)):
        items = [dict(zip(header, row)) for row in batch]
        # Subclasses (Money) go to _json_default: a dollar amount, not the integer cents.
        encoded = orjson.dumps(items, default=_json_default, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        yield encoded[1:-1], len(items)  # without the list's brackets


def _json_default(value):
    if isinstance(value, Money):
        return value.dollars
    raise TypeError(f"cannot export {type(value).__name__} as JSON")


def json_pieces(spec: ExportSpec, queryset: QuerySet, *, meta: dict | None = None) -> Iterator[bytes]:
    """A JSON array of objects; with ``meta``, the API envelope {"data": [...], "meta": {...}}."""
    yield b'{"data":[' if meta is not None else b"["
    count = 0
    for objects, size in _json_objects(spec, queryset):
        yield (b"," if count else b"") + objects
        count += size
    if meta is None:
        yield b"]\n"
    else:
        yield b'],"meta":' + orjson.dumps({**meta, "count": count}) + b"}\n"


def export_chunks(spec: ExportSpec, queryset: QuerySet, fmt: str, *, meta: dict | None = None) -> Iterator[bytes]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "json":
        return _chunked(json_pieces(spec, queryset, meta=meta))
    if copy_supported(queryset):
        return copy_chunks(spec, queryset)
    return _chunked(line.encode() for line in csv_lines(spec, queryset))


def export_filename(spec: ExportSpec, fmt: str, now: datetime | None = None) -> str:
    return f"{spec.name}-{(now or timezone.now()):%Y%m%d-%H%M%S}.{fmt}"


def export_response(spec: ExportSpec, queryset: QuerySet, fmt: str, *, meta: dict | None = None) -> StreamingHttpResponse:
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = StreamingHttpResponse(export_chunks(spec, queryset, fmt, meta=meta), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(spec, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response
