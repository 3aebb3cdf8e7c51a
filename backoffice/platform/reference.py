"""Reference data that every page reads and that rarely changes (business calendars, cost
rates, canned replies, who is in which group), kept in each process between requests.

A :class:`ReferenceData` names the models its values are read from. A save or a delete of
one of them, or a change of a many-to-many relation between them, gives it a new version
in Django's cache (Redis in production, so every process sees it; the file cache on one
machine). Each read compares the process's copy with that version (one cache read) and
reads the database again when they differ. A version is a random token, never a counter:
a cleared or evicted cache key can only cost a read, never bring an old copy back.

A read compares first, then reads the rows: a copy can be older than its version only
if the rows changed after the comparison, and then the version moves on too. This holds
because a read sees the rows committed before it (PostgreSQL's read committed; SQLite
transactions here take the write lock at BEGIN, so nothing commits while one is open).

Transactions: a write inside one gives the new version after the commit (before it, the
other processes still read the old rows, which their copies hold), and nothing after a
rollback. Until its transaction ends, the writing thread reads the database on every call
and keeps nothing: its reads see rows that no one else sees yet.

Bulk writes (``bulk_create``, ``bulk_update``, ``QuerySet.update``) send no signal: whoever
writes so calls :meth:`ReferenceData.changed` or :func:`model_changed`.

Values are shared by every thread of the process: callers read them and never modify
them (a caller that needs its own copy makes one).
"""

from __future__ import annotations

import re
import threading
import uuid

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

#: every reference data declared in this process, by name
_registry: dict[str, ReferenceData] = {}
#: name -> (version, {key: value}): this process's copies
_copies: dict[str, tuple[str, dict]] = {}
_lock = threading.Lock()
#: per thread: name -> [(on-commit callback, outermost atomic block)] of writes whose
#: transaction has not ended yet
_unfinished = threading.local()


class ReferenceData:
    """Values computed from the rows of ``models`` ("app_label.ModelName", through
    models of many-to-many fields included), kept until one of those rows changes.

    ``ignore_fields``: {model label: fields} whose saves that write only those fields
    change nothing here (signing in writes ``last_login``). ``max_keys``: a copy with more
    keys than that starts again empty (a bound on memory for keys such as user ids)."""

    def __init__(self, name: str, *models: str, ignore_fields: dict | None = None,
                 max_keys: int = 1000):
        if name in _registry:
            raise ValueError(f"reference data {name!r} is declared twice")
        self.name, self.models, self.max_keys = name, tuple(models), max_keys
        self.ignore_fields = {label.lower(): frozenset(fields)
                              for label, fields in (ignore_fields or {}).items()}
        self.cache_key = "reference-data:" + re.sub(r"[^\w.-]", "-", name)
        _registry[name] = self
        for label in self.models:
            self._connect(label)

    def __repr__(self):
        return f"<ReferenceData {self.name}>"

    # -- reading -----------------------------------------------------------------------
    def get(self, key, compute):
        """The value of ``key``: this process's copy while it is current, else
        ``compute()`` (and kept)."""
        return self.get_many([key], lambda missing: {key: compute()})[key]

    def get_many(self, keys, compute_missing) -> dict:
        """{key: value} for ``keys``; ``compute_missing(missing_keys)`` returns the values
        of those this process does not hold (in one read, for example)."""
        keys = list(dict.fromkeys(keys))
        if _written_in_this_transaction(self):
            return _complete(keys, compute_missing(keys))
        version = self._version()
        if version is None:  # a cache that keeps nothing (DummyCache): nothing is kept
            return _complete(keys, compute_missing(keys))
        with _lock:
            held = _copies.get(self.name)
            values = held[1] if held is not None and held[0] == version else {}
            found = {k: values[k] for k in keys if k in values}
        missing = [k for k in keys if k not in found]
        if missing:
            computed = _complete(missing, compute_missing(missing))
            with _lock:
                held = _copies.get(self.name)
                if held is None or held[0] != version or len(held[1]) >= self.max_keys:
                    held = _copies[self.name] = (version, {})
                held[1].update(computed)
            found.update(computed)
        return {k: found[k] for k in keys}

    def _version(self) -> str | None:
        version = cache.get(self.cache_key)
        if version is None:
            cache.add(self.cache_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.cache_key)
        return version

    # -- invalidation ------------------------------------------------------------------
    def changed(self) -> None:
        """Rows behind these values changed: every process reads them again (after the
        commit, when they are written in a transaction)."""
        connection = transaction.get_connection()
        block = _outermost_block(connection) if connection.in_atomic_block else None
        if block is None:  # autocommit (or a test case's own transaction): visible now
            _new_version(self.cache_key)
            return
        marks = _marks()
        # those committed or rolled back are done with; one still waiting in this block
        # gives the new version already
        marks[self.name] = waiting = [(func, b) for func, b in marks.get(self.name, ())
                                      if _waiting(connection, func)]
        if any(b is block for _func, b in waiting):
            return

        def after_commit(key=self.cache_key):
            _new_version(key)

        transaction.on_commit(after_commit, robust=True)
        waiting.append((after_commit, block))

    def _connect(self, label: str) -> None:
        app_label, model_name = label.split(".")

        ignored = self.ignore_fields.get(label.lower(), frozenset())

        def on_write(sender, update_fields=None, **kwargs):
            if ignored and update_fields is not None and set(update_fields) <= ignored:
                return
            self.changed()

        def on_relation(sender, action, **kwargs):
            if action in {"post_add", "post_remove", "post_clear"}:
                self.changed()

        def connect(model):
            uid = f"reference-data:{self.name}:{label}"
            if model._meta.auto_created:  # a many-to-many relation's table
                m2m_changed.connect(on_relation, sender=model, weak=False,
                                    dispatch_uid=f"{uid}:m2m")
            else:
                post_save.connect(on_write, sender=model, weak=False, dispatch_uid=f"{uid}:save")
                post_delete.connect(on_write, sender=model, weak=False,
                                    dispatch_uid=f"{uid}:delete")

        apps.lazy_model_operation(connect, (app_label, model_name.lower()))


def model_changed(model) -> None:
    """Rows of ``model`` were written without signals (a bulk write): every reference
    data read from it is read again."""
    label = model._meta.label_lower
    for data in list(_registry.values()):
        if label in {m.lower() for m in data.models}:
            data.changed()


def _complete(keys, values: dict) -> dict:
    missing = [k for k in keys if k not in values]
    if missing:
        raise KeyError(f"compute_missing gave no value for {missing!r}")
    return {k: values[k] for k in keys}


def _new_version(cache_key: str) -> None:
    cache.set(cache_key, uuid.uuid4().hex, timeout=None)


def _marks() -> dict:
    if not hasattr(_unfinished, "marks"):
        _unfinished.marks = {}
    return _unfinished.marks


def _outermost_block(connection):
    """The atomic block whose end commits the write: the outermost one, leaving out a
    test case's own blocks (Django's TestCase never commits them)."""
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def _waiting(connection, func) -> bool:
    return any(f is func for _sids, f, _robust in connection.run_on_commit)


def _written_in_this_transaction(data: ReferenceData) -> bool:
    """Whether this thread wrote rows behind ``data`` in a transaction still open (its
    commit callback waits, its block is open). A commit ran the callback, a rollback
    dropped it; a block that ended with its callback still waiting ended inside a test
    case's transaction, which never commits: it counts as committed (new version now)."""
    marks = getattr(_unfinished, "marks", None)
    if not marks or data.name not in marks:
        return False
    connection = transaction.get_connection()
    alive = []
    for func, block in marks[data.name]:
        if not _waiting(connection, func):
            continue
        if any(b is block for b in connection.atomic_blocks):
            alive.append((func, block))
        else:
            _new_version(data.cache_key)
    if alive:
        marks[data.name] = alive
        return True
    del marks[data.name]
    return False
