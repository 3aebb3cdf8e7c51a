"""Writing many rows at once for synthetic volume (``generate_data``): PostgreSQL's COPY,
``bulk_create`` elsewhere.

COPY streams rows without building an INSERT statement per batch; at millions of rows it
is several times faster than ``bulk_create``. It skips ``save()`` and the managers'
``bulk_create`` as ``bulk_create`` skips ``save()``: callers fill every derived column
themselves (the ticket's search tokens, numbers), and no history rows are written, as
for the rest of the synthetic data.

Two speeds: ``bulk_insert`` takes model instances (convenient, ~20 µs a row of Django's
``Model.__init__`` and field preparation); ``insert_rows`` takes plain dicts of database
values (no model instance per row), for the tables that grow with the tickets. And
``secondary_indexes_dropped`` loads a table as ``pg_restore`` does: without the indexes
and foreign keys that no constraint needs during the load, built once at the end (a
sorted build of an index is many times faster than millions of random insertions).
"""

import contextlib
import time

from django.db import connections
from django.db.models import JSONField
from django.utils import timezone

from backoffice.platform import reference


def uses_copy(using="default"):
    return connections[using].vendor == "postgresql"


def reserve_ids(model, count, using="default"):
    """``count`` primary keys from the table's sequence (so a batch's satellite rows can
    name their parent before it is written)."""
    if not count:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)", [table, column, count])
        return [row[0] for row in cursor.fetchall()]


def _copy(connection, model, fields, values):
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in values:
            write(row)


def bulk_insert(model, objs, batch_size=5_000, using="default"):
    """Insert ``objs`` (unsaved instances of ``model``) and set their primary keys: COPY on
    PostgreSQL, ``bulk_create`` (through the model's manager) elsewhere."""
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[using]
    if not uses_copy(using):
        model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
        reference.model_changed(model)  # no signal: the reference data read from it say so
        return objs
    missing = [obj for obj in objs if obj.pk is None]
    for obj, pk in zip(missing, reserve_ids(model, len(missing), using), strict=True):
        obj.pk = pk
    fields = model._meta.concrete_fields
    _copy(connection, model, fields,
          ([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
           for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    reference.model_changed(model)
    return objs


def insert_rows(model, rows, batch_size=5_000, using="default"):
    """Insert ``rows`` (dicts of attribute name -> database value, ``customer_id`` for a
    foreign key) and set each row's ``"id"``. A column a row leaves out takes the field's
    default, computed once per call (``auto_now`` columns: the time of the call). Returns
    the rows. COPY on PostgreSQL; model instances and ``bulk_create`` elsewhere."""
    rows = list(rows)
    if not rows:
        return rows
    connection = connections[using]
    fields = model._meta.concrete_fields
    pk = model._meta.pk.attname
    if not uses_copy(using):
        objs = [model(**row) for row in rows]
        model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
        for row, obj in zip(rows, objs, strict=True):
            row[pk] = obj.pk
        reference.model_changed(model)
        return rows
    missing = [row for row in rows if row.get(pk) is None]
    for row, value in zip(missing, reserve_ids(model, len(missing), using), strict=True):
        row[pk] = value
    now = timezone.now()
    defaults = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        else:
            default = f.get_db_prep_save(f.get_default(), connection)
        defaults.append((f.attname, default))
    json = [(i, f) for i, f in enumerate(fields) if isinstance(f, JSONField)]

    def values():
        for row in rows:
            value = [row.get(name, default) for name, default in defaults]
            for i, f in json:
                value[i] = f.get_db_prep_save(value[i], connection)
            yield value

    _copy(connection, model, fields, values())
    reference.model_changed(model)
    return rows


@contextlib.contextmanager
def secondary_indexes_dropped(*models, using="default", say=None):
    """Load ``models``' tables without their secondary indexes and foreign keys, then
    build them again (PostgreSQL; elsewhere a no-op). Kept during the load: the primary
    key and the unique constraints (so a duplicate still fails at once). The definitions
    are PostgreSQL's own (``pg_get_indexdef``, ``pg_get_constraintdef``), so the rebuilt
    schema is the migrated one; the foreign keys are validated when they come back."""
    if not uses_copy(using):
        yield
        return
    say = say or (lambda *_: None)
    connection = connections[using]
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [tables])
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables])
        keys = cursor.fetchall()
        quote = connection.ops.quote_name
        # inside a transaction (tests), the deferred checks of rows already written must
        # run before a foreign key's triggers can go
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    say(f"Loading {', '.join(tables)} without {len(indexes)} indexes and "
        f"{len(keys)} foreign keys (built again at the end)")
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} "
                               f"{definition}")
            cursor.execute("RESET maintenance_work_mem")
            for table in tables:  # what comes next plans on these tables (generate_data
                cursor.execute(f"ANALYZE {table}")  # computes the appraisals from them)
        say(f"Built {len(indexes)} indexes and {len(keys)} foreign keys again in "
            f"{time.perf_counter() - started:,.0f} s")
