"""Digit search on an index: the available-number search (``contains``, ``starts_with``, ``ends_with``)
and the bulk-reserve ``name_pattern`` filter ``national_number`` of the sellable stock.

- ``inv_available_digits_trgm``: GIN trigram on ``national_number`` of available rows, for
  ``LIKE '%427%'`` and ``LIKE '%4321'`` (any pattern of 3 digits or more).
- ``inv_available_digits_prefix``: btree ``(country, national_number varchar_pattern_ops)`` of available
  rows, for ``LIKE '415%'`` (the database collation is not C, so a plain btree cannot serve LIKE).

PostgreSQL only; the trigram index only where pg_trgm is available (0003 created the extension
there). Without them the filters give the same rows, by a scan. SQLite (the demo) skips this.
Built CONCURRENTLY: the inventory keeps selling while a million-row table is indexed.
"""
from django.db import migrations

TABLE = "inventory_phonenumber"
TRIGRAM = ("inv_available_digits_trgm",
           f"CREATE INDEX CONCURRENTLY IF NOT EXISTS inv_available_digits_trgm ON {TABLE} "
           "USING gin (national_number gin_trgm_ops) WHERE status = 'available'")
PREFIX = ("inv_available_digits_prefix",
          f"CREATE INDEX CONCURRENTLY IF NOT EXISTS inv_available_digits_prefix ON {TABLE} "
          "(country, national_number varchar_pattern_ops) WHERE status = 'available'")


def _drop_if_invalid(cursor, name: str) -> None:
    """An interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep."""
    cursor.execute("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE c.relname = %s AND NOT i.indisvalid", [name])
    if cursor.fetchone() is not None:
        cursor.execute(f"DROP INDEX CONCURRENTLY {name}")


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        statements = [TRIGRAM, PREFIX] if cursor.fetchone() is not None else [PREFIX]
        for name, sql in statements:
            _drop_if_invalid(cursor, name)
            cursor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _ in (TRIGRAM, PREFIX):
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("inventory", "0021_carrier_inventory_sync")]
    operations = [migrations.RunPython(forward, backward)]
