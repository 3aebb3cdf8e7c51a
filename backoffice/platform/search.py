"""Substring search that an index can serve for one- and two-character Chinese terms.

A trigram index (pg_trgm) has nothing to look up for a term shorter than three
characters, and most Chinese words have two (报表, 登录, 上海). So a searchable record keeps
a column of *search tokens*: every character and every pair of neighbouring characters of
its texts, case-folded, spelled in ASCII letters (so PostgreSQL's ``simple`` parser keeps
each one whole, whatever punctuation it stands for). A GIN index on their ``tsvector``
(the ticket's stored column ``search_vector``, migration 0021) then answers "which rows contain every pair of this
term" and the substring test (``icontains``) rechecks only those rows, so the result is
exactly that of a substring search. pg_bigm would do the same inside PostgreSQL but is
not packaged by Debian; this needs no server extension.

SQLite has no such index: there the callers search with plain ``icontains``.
"""

import functools
import itertools
import json

from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper
from django.db.models.expressions import RawSQL

#: hexadecimal digits spelled as letters ("0" -> "a" ... "f" -> "p"); "z" joins a pair
_DIGITS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def _fold(char):
    """One character as the substring test compares it (``UPPER`` on both sides), kept to
    one character so that pairs stay pairs."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _spell(char):
    return format(ord(char), "x").translate(_DIGITS)


def search_tokens(*texts, once=()):
    """The tokens of ``texts`` and ``once`` (space-separated, each distinct once): every
    character and every pair of neighbouring characters of each text (pairs never span
    two texts). ``once``: texts left out of the cache of repeated texts (a record's own
    number, never seen again, would only push the repeated ones out)."""
    tokens = set()
    for text in texts:
        if text:
            tokens.update(_text_tokens(str(text)))
    for text in once:
        if text:
            tokens.update(_text_tokens.__wrapped__(str(text)))
    return " ".join(sorted(tokens))


@functools.lru_cache(maxsize=16_384)
def _text_tokens(text):
    """One text's tokens; cached, as the same subject or solution comes back often (a
    generated million tickets has a few thousand distinct texts)."""
    spelled = [_spell(_fold(c)) for c in text]
    return frozenset(itertools.chain(
        spelled, (f"{a}z{b}" for a, b in itertools.pairwise(spelled))))


def term_query(term):
    """The ``to_tsquery`` text that every row containing ``term`` matches: its character
    (one-character term) or all of its pairs, ANDed. Adjacency is left to the substring
    recheck: a GIN index stores no positions, so a phrase query (``<->``) would recompute
    every candidate's tsvector, and tsvector positions stop at 16,383 (a long text would
    lose matches)."""
    spelled = [_spell(_fold(c)) for c in term]
    if len(spelled) == 1:
        return spelled[0]
    return " & ".join(sorted({f"{a}z{b}" for a, b in itertools.pairwise(spelled)}))


def tokens_match(table, term, column="search_vector", indexed=True):
    """A condition for ``filter()``/``Q()``: the row's tokens hold every token of ``term``
    (PostgreSQL: the stored ``tsvector`` column, GIN-indexed). A superset of the rows
    containing the term: combine it with the substring test.

    ``indexed=False`` asks the same through the operator's function, which no index
    serves: for a term so common that walking the rows in the list's order finds a page
    of matches after a few thousand rows, where the index would hand over every match
    (a million at 10 M tickets) to be sorted."""
    target = f'"{table}"."{column}"'
    query = "to_tsquery('simple'::regconfig, %s)"
    sql = f"{target} @@ {query}" if indexed else f"ts_match_vq({target}, {query})"
    return RawSQL(sql, [term_query(term)], output_field=BooleanField())


def share_of_first(queryset, condition, ordering, sample):
    """(share, rows read): of the first ``sample`` rows of ``queryset`` in ``ordering`` (an
    index's order, so this reads ``sample`` rows whatever the table's size), the share
    that meet ``condition`` (a ``Q``). How common a search term is among recent rows,
    which the planner cannot tell: it multiplies a term's pairs' frequencies as if they
    were independent, and a 4-character term common in practice looks a hundred times
    rarer."""
    inner = (queryset.annotate(hit_=ExpressionWrapper(condition, output_field=BooleanField()))
             .order_by(*ordering).values("hit_")[:sample])
    sql, params = inner.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE first_.hit_) "
                       f"FROM ({sql}) first_", params)
        seen, hits = cursor.fetchone()
    return (hits / seen if seen else 0.0), seen


def planned_rows(queryset):
    """The planner's estimate of ``queryset``'s row count (PostgreSQL), without running it."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
