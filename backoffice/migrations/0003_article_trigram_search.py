"""Hand-written: trigram indexes for the knowledge base's substring search (PostgreSQL only).

Django's ``icontains`` becomes ``UPPER(col::text) LIKE UPPER('%term%')`` on PostgreSQL.
A B-tree cannot serve a leading wildcard; a pg_trgm GIN index on the same expression can,
and pg_trgm splits Chinese text into trigrams too (under a UTF-8 ctype), so a search for
a three-character term such as 连接池 is answered from the index. On SQLite this
migration does nothing. If the extension cannot be created (no privilege), the indexes are
skipped with a warning: search still works, only slower.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COLUMNS = ("title", "problem", "solution", "keywords")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(f"\n  pg_trgm not available ({exc}); knowledge search runs without index.")
        return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "article_{column}_trgm" ON "backoffice_article" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "article_{column}_trgm"')


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0002_trigram_search"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
