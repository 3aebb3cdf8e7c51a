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
import operator
import threading
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
    from psycopg.copy import QueuedLibpqWriter

    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # a thread sends while this one formats the next rows (PostgreSQL and Python each
        # keep a core busy instead of taking turns)
        with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
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


def insert_rows(model, rows, batch_size=5_000, using="default", ids=True):
    """Insert ``rows`` (dicts of attribute name -> database value, ``customer_id`` for a
    foreign key) and set each row's ``"id"`` (``ids=False``: the database numbers the rows
    and nobody reads the numbers back, as for rows nothing refers to). A column a row
    leaves out takes the field's default, computed once per call (``auto_now`` columns:
    the time of the call). Returns the rows. COPY on PostgreSQL; model instances and
    ``bulk_create`` elsewhere."""
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
    if ids:
        missing = [row for row in rows if row.get(pk) is None]
        for row, value in zip(missing, reserve_ids(model, len(missing), using), strict=True):
            row[pk] = value
    else:
        fields = [f for f in fields if f.attname != pk]
    now = timezone.now()
    defaults = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        else:
            default = f.get_db_prep_save(f.get_default(), connection)
        defaults.append((f.attname, default))
    json = [(i, f) for i, f in enumerate(fields) if isinstance(f, JSONField)]

    base = dict(defaults)
    take = operator.itemgetter(*base)

    def values():
        for row in rows:
            value = take({**base, **row})
            if json:
                value = list(value)
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
        # a key to a table whose GIN index is still building stays: adding it back would
        # wait for that build (and it is one probe per row)
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "AND NOT confrelid = ANY(%s::regclass[])",
            [tables, [t for thread, built, *_rest in _building if thread.is_alive() for t in built]])
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
    except BaseException:
        if connection.in_atomic_block:  # the drops go back with the failed transaction
            raise
        _rebuild(connection, tables, indexes, keys, say)  # committed: build them anyway
        raise
    _rebuild(connection, tables, indexes, keys, say)


#: GIN indexes of a finished load still being built:
#: (thread, tables, index names, failure holder, start)
_building = []


def _rebuild(connection, tables, indexes, keys, say):
    """The B-trees and foreign keys now, then statistics; a GIN index (one core for
    minutes at millions of rows: PostgreSQL builds it without parallel workers) in the
    background when outside a transaction, so the next step's work runs beside it
    (``indexes_built`` waits for it)."""
    started = time.perf_counter()
    quote = connection.ops.quote_name
    later = [] if connection.in_atomic_block else [
        (name, definition) for name, definition in indexes if " USING gin " in definition]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            if (name, definition) not in later:
                cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} "
                           f"{definition}")
        cursor.execute("RESET maintenance_work_mem")
        for table in tables:  # what comes next plans on these tables (generate_data
            cursor.execute(f"ANALYZE {table}")  # computes the appraisals from them)
    say(f"Built {len(indexes) - len(later)} indexes and {len(keys)} foreign keys again in "
        f"{time.perf_counter() - started:,.0f} s"
        + (f"; building {', '.join(n for n, _d in later)} in the background" if later else ""))
    if later:
        _build_later(connection.alias, tables, [d for _n, d in later], [n for n, _d in later])


def _build_later(using, tables, definitions, names):
    failure = []

    def build():
        connection = connections[using]  # this thread's own connection
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '1GB'")
                for definition in definitions:
                    cursor.execute(definition)
        except BaseException as error:
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=build, name=f"build {', '.join(names)}")
    thread.start()
    _building.append((thread, tables, names, failure, time.perf_counter()))


def indexes_built(say=None):
    """Wait for the indexes ``secondary_indexes_dropped`` left building in the background
    (raises what failed there)."""
    say = say or (lambda *_: None)
    while _building:
        thread, _tables, names, failure, started = _building.pop(0)
        thread.join()
        if failure:
            raise failure[0]
        say(f"Built {', '.join(names)} ({time.perf_counter() - started:,.0f} s after the load)")
