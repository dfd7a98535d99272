"""Search on its indexes at a million numbers (issue #11).

- ``inv_available_price`` (model state too): ``(country, monthly_cents, id)`` of available rows, so a
  search without a line type walks the country's stock cheapest first instead of sorting all of it.
- ``inv_available_digits_trgm``: GIN trigram on ``national_number`` of available rows, for
  ``contains`` / ``ends_with`` / ``name_pattern`` (``LIKE '%427%'``, ``'%4321'``: 3 digits or more).
  ``fastupdate = off``: no pending list for every search to scan, and for the planner to price the index
  by, after bulk loads; a search's cost stays what its plan says (rows change status in batches anyway).
- ``inv_available_digits_prefix``: btree ``(country, national_number varchar_pattern_ops)`` of available
  rows, for ``starts_with`` (``LIKE '415%'``; the database collation is not C, so a plain btree cannot).

The digit indexes are PostgreSQL only, the trigram one only where pg_trgm is installed (0003 installs
it where available); without them the filters give the same rows, by a scan. SQLite (the demo) gets
only the price index. On PostgreSQL every index is built CONCURRENTLY: sales go on while a
million-row table is indexed.
"""
from django.db import migrations, models

TABLE = "inventory_phonenumber"
PRICE = models.Index(fields=["country", "monthly_cents", "id"], name="inv_available_price",
                     condition=models.Q(status="available"))
TRIGRAM = ("inv_available_digits_trgm",
           f"CREATE INDEX CONCURRENTLY IF NOT EXISTS inv_available_digits_trgm ON {TABLE} "
           "USING gin (national_number gin_trgm_ops) WITH (fastupdate = off) WHERE status = 'available'")
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
        schema_editor.add_index(apps.get_model("inventory", "PhoneNumber"), PRICE)
        return
    model = apps.get_model("inventory", "PhoneNumber")
    price_sql = str(PRICE.create_sql(model, schema_editor, concurrently=True)).replace(
        "CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
    statements = [(PRICE.name, price_sql), PREFIX]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is not None:
            statements.append(TRIGRAM)
        for name, sql in statements:
            _drop_if_invalid(cursor, name)
            cursor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(apps.get_model("inventory", "PhoneNumber"), PRICE)
        return
    with schema_editor.connection.cursor() as cursor:
        for name in (PRICE.name, TRIGRAM[0], PREFIX[0]):
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("inventory", "0021_carrier_inventory_sync")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="phonenumber", index=PRICE)],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
