"""Writing many rows at once for synthetic volume (``generate_data``): PostgreSQL's COPY,
``bulk_create`` elsewhere.

COPY streams rows without building an INSERT statement per batch; at millions of rows it
is several times faster than ``bulk_create``. It skips ``save()`` and the managers'
``bulk_create`` as ``bulk_create`` skips ``save()``: callers fill every derived column
themselves (the ticket's search tokens, numbers), and no history rows are written, as
for the rest of the synthetic data.
"""

from django.db import connections


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


def bulk_insert(model, objs, batch_size=5_000, using="default"):
    """Insert ``objs`` (unsaved instances of ``model``) and set their primary keys: COPY on
    PostgreSQL, ``bulk_create`` (through the model's manager) elsewhere."""
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[using]
    if not uses_copy(using):
        model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
        return objs
    missing = [obj for obj in objs if obj.pk is None]
    for obj, pk in zip(missing, reserve_ids(model, len(missing), using), strict=True):
        obj.pk = pk
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection)
                            for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs
