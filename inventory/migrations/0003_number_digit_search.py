"""Trigram indexes so the console's "search by any digits" (e164 LIKE '%…%') stays an index scan
at a million numbers. PostgreSQL only, and only where the pg_trgm extension is available: without
it the search still works, as a sequential scan. (SQLite, the zero-setup demo, skips this.)"""
from django.db import migrations

INDEXES = {
    "inv_phonenumber_e164_trgm": "inventory_phonenumber",
    "inv_ownednumber_e164_trgm": "inventory_ownednumber",
}


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (e164 gin_trgm_ops)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_low_stock_and_carrier_failures")]
    operations = [migrations.RunPython(forward, backward)]
