"""Substring search that an index can serve for one- and two-character Chinese terms.

A trigram index (pg_trgm) has nothing to look up for a term shorter than three
characters, and most Chinese words have two (报表, 登录, 上海). So a searchable record keeps
a column of *search tokens*: every character and every pair of neighbouring characters of
its texts, case-folded, spelled in ASCII letters (so PostgreSQL's ``simple`` parser keeps
each one whole, whatever punctuation it stands for). A GIN index on
``to_tsvector('simple', tokens)`` then answers "which rows contain every pair of this
term" and the substring test (``icontains``) rechecks only those rows, so the result is
exactly that of a substring search. pg_bigm would do the same inside PostgreSQL but is
not packaged by Debian; this needs no server extension.

SQLite has no such index: there the callers search with plain ``icontains``.
"""

import functools
import itertools

from django.db.models import BooleanField
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


def search_tokens(*texts):
    """The tokens of ``texts`` (space-separated, each distinct once): every character and
    every pair of neighbouring characters of each text (pairs never span two texts)."""
    tokens = set()
    for text in texts:
        if text:
            tokens.update(_text_tokens(str(text)))
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


def tokens_match(table, term, column="search_tokens"):
    """A condition for ``filter()``/``Q()``: the row's tokens hold every token of ``term``
    (PostgreSQL; served by the GIN index ``to_tsvector('simple', <column>)``). A superset
    of the rows containing the term: combine it with the substring test."""
    return RawSQL(f"to_tsvector('simple'::regconfig, \"{table}\".\"{column}\") "
                  f"@@ to_tsquery('simple'::regconfig, %s)", [term_query(term)],
                  output_field=BooleanField())
