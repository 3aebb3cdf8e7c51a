"""A trigram index on the ticket number, so that every ticket picker and the ticket search
find a ticket by any part of its number ("00020", "2612-000") without scanning the table:
GIN on ``UPPER(number)`` because ``icontains`` is ``UPPER(col) LIKE UPPER('%term%')``, like
``0002_trigram_search`` and ``0015_figures``; PostgreSQL only."""

from django.db import migrations

INDEXES = [("ticket_number_trgm", "backoffice_ticket", "number")]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0016_time_entries"),
    ]

    operations = [migrations.RunPython(create, drop)]
