"""Substring search (Chinese included) served by trigram indexes on PostgreSQL.

Django's ``icontains`` is ``UPPER(col) LIKE UPPER('%term%')`` on PostgreSQL, so the GIN
indexes are on ``UPPER(col)``. SQLite has no such index type: nothing happens there.
"""

from django.db import migrations

INDEXES = [
    ("ticket_subject_trgm", "backoffice_ticket", "subject"),
    ("customer_name_trgm", "backoffice_customer", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
