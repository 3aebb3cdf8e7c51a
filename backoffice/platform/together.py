"""Several short lists read in one query, for a page that shows them side by side (a
ticket's parts, time, claims and quotes): one round trip instead of one per list.

:func:`read_together` takes ``values()`` querysets, each with its own columns, filters and
order, and runs them as one ``UNION ALL``. Each list has columns of its own (NULL in the
other lists' rows, typed as its own so that every backend converts them as it would for
the list alone) and a literal column naming the list; the rows come back as the dicts
each queryset would give, in its ``order_by``. For the lists of one record (a few dozen
rows each): a list that needs a LIMIT, an aggregate or ``distinct()`` is read on its own.
"""

from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils.encoding import force_str


def read_together(**lists) -> dict[str, list[dict]]:
    """{name: the rows of its ``values()`` queryset}: one query for all of them."""
    if len(lists) < 2:
        return {name: list(queryset) for name, queryset in lists.items()}
    specs = [_Spec(i, name, queryset) for i, (name, queryset) in enumerate(lists.items())]
    branches = [spec.branch(specs) for spec in specs]
    union = branches[0].union(*branches[1:], all=True)
    ordering = ["_list", *(term for spec in specs for term in spec.ordering)]
    found: dict[str, list[dict]] = {spec.name: [] for spec in specs}
    by_index = {spec.index: spec for spec in specs}
    for row in union.order_by(*ordering):
        spec = by_index[row["_list"]]
        found[spec.name].append({name: row[alias] for alias, name in spec.columns})
    return found


def choice_label(model, field_name: str, value) -> str:
    """What ``get_<field_name>_display()`` says of ``value``, for a row read with
    ``values()`` (no instance to ask)."""
    choices = dict(model._meta.get_field(field_name).flatchoices)
    return force_str(choices.get(value, value), strings_only=True)


class _Spec:
    """One list: its columns under aliases of its own, their types, its order."""

    def __init__(self, index, name, queryset):
        query = queryset.query
        if not queryset._fields or query.group_by is not None or query.distinct \
                or query.is_sliced or query.combinator:
            raise ValueError(f"{name}: a plain values() queryset, without aggregates, "
                             "distinct() or a slice, is read together")
        self.index, self.name, self.queryset = index, name, queryset.order_by()
        self.columns = [(f"l{index}_{i}", field) for i, field in enumerate(queryset._fields)]
        alias = {field: a for a, field in self.columns}
        order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        self.ordering = []
        for term in order:
            field = term.removeprefix("-") if isinstance(term, str) else None
            if field not in alias:
                raise ValueError(f"{name}: ordered by {term!r}, which it does not read")
            self.ordering.append(("-" if term.startswith("-") else "") + alias[field])
        typed = self.queryset.values(**{a: F(field) for a, field in self.columns}).query
        self.types = [(a, typed.annotations[a].output_field) for a, _field in self.columns]

    def branch(self, specs):
        """This list's query with every list's columns, the others' NULL."""
        columns = {"_list": Value(self.index)}
        for spec in specs:
            for (alias, output), (_a, field) in zip(spec.types, spec.columns, strict=True):
                columns[alias] = (F(field) if spec is self
                                  else Cast(Value(None), output_field=output))
        return self.queryset.values(**columns)
