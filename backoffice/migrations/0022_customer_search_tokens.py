"""Customers get search tokens as tickets did (0020, 0021): a ticket search looks up the
customers whose name holds the term first, and at 200,000 customers a one- or
two-character term (上海) has no trigram, so the lookup read the whole table. Backfilled
in batches; on PostgreSQL a stored ``tsvector`` column with a GIN index."""

from django.db import migrations, models

from backoffice.platform.search import search_tokens

TEXTS = ("code", "name")
BATCH = 5_000


def backfill(apps, schema_editor):
    Customer = apps.get_model("backoffice", "Customer")
    last = 0
    while True:
        rows = list(Customer.objects.filter(pk__gt=last).order_by("pk")
                    .only("pk", *TEXTS)[:BATCH])
        if not rows:
            return
        for row in rows:
            row.search_tokens = search_tokens(*(getattr(row, name) for name in TEXTS))
        Customer.objects.bulk_update(rows, ["search_tokens"], batch_size=1_000)
        last = rows[-1].pk


def vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE backoffice_customer ADD COLUMN IF NOT EXISTS search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_tokens)) STORED")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS customer_search_tokens "
                          "ON backoffice_customer USING gin (search_vector)")


def unvector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_search_tokens")
    schema_editor.execute("ALTER TABLE backoffice_customer DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0021_search_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="search_tokens",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(vector, unvector),
    ]
