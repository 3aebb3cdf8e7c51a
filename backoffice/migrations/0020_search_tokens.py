"""The ticket's search tokens (backoffice.platform.search): every character and character
pair of its number, subject, description, diagnosis and solution, backfilled in batches,
with a GIN index on ``to_tsvector('simple', search_tokens)`` on PostgreSQL. That index
serves one- and two-character Chinese terms, which the trigram indexes of 0002, 0015 and
0017 could not (a two-character term has no trigram: the plan read the whole table); those
five ticket indexes are dropped, as every write paid for them and no query uses them now.
"""

from django.db import migrations, models

from backoffice.platform.search import search_tokens

TEXTS = ("number", "subject", "description", "diagnosis", "solution")
TRIGRAMS = [("ticket_subject_trgm", "subject"), ("ticket_description_trgm", "description"),
            ("ticket_diagnosis_trgm", "diagnosis"), ("ticket_solution_trgm", "solution"),
            ("ticket_number_trgm", "number")]
BATCH = 5_000


def backfill(apps, schema_editor):
    Ticket = apps.get_model("backoffice", "Ticket")
    last = 0
    while True:
        rows = list(Ticket.objects.filter(pk__gt=last).order_by("pk")
                    .only("pk", *TEXTS)[:BATCH])
        if not rows:
            return
        for row in rows:
            row.search_tokens = search_tokens(*(getattr(row, name) for name in TEXTS))
        Ticket.objects.bulk_update(rows, ["search_tokens"], batch_size=1_000)
        last = rows[-1].pk


def index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in TRIGRAMS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ticket_search_tokens ON backoffice_ticket "
        "USING gin (to_tsvector('simple'::regconfig, search_tokens))")


def unindex(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS ticket_search_tokens")
    for name, column in TRIGRAMS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON backoffice_ticket "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0019_clerk_call_spot_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_tokens",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(index, unindex),
    ]
