"""The working seconds to resolution, and trigram indexes for the ticket search over the
service record (description, diagnosis, solution), like ``0002_trigram_search``: GIN on
``UPPER(col)`` because ``icontains`` is ``UPPER(col) LIKE UPPER('%term%')``; PostgreSQL
only."""

from django.db import migrations, models

INDEXES = [
    ("ticket_description_trgm", "backoffice_ticket", "description"),
    ("ticket_diagnosis_trgm", "backoffice_ticket", "diagnosis"),
    ("ticket_solution_trgm", "backoffice_ticket", "solution"),
]


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
        ('backoffice', '0014_calendar_day_source'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalticket',
            name='resolution_seconds',
            field=models.PositiveIntegerField(blank=True, help_text="Working time from arrival to resolution on the ticket's calendar, less the time paused while waiting.", null=True, verbose_name='resolution (working seconds)'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_seconds',
            field=models.PositiveIntegerField(blank=True, help_text="Working time from arrival to resolution on the ticket's calendar, less the time paused while waiting.", null=True, verbose_name='resolution (working seconds)'),
        ),
        migrations.RunPython(create, drop),
    ]
