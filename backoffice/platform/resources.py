"""The import/export base every resource of the four apps inherits.

It bakes in the rules of STACK.md: state and stock are never imported, model
validation runs on every row (so a bad row stops the whole file, with its row and column
named in the preview), rows are written in bulk with one history row each, and exported
text never starts a spreadsheet formula.
"""

import functools
import re

import django_fsm as fsm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.platform.models import NumberedModel

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def escape_formula(value):
    """Prefix an apostrophe to text a spreadsheet would run as a formula; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


@functools.cache
def _state_fields(model) -> list[str]:
    return [f.name for f in model._meta.fields if isinstance(f, fsm.FSMFieldMixin)]


class ChunkedInstanceLoader(ModelInstanceLoader):
    """Loads the rows a file updates in a few queries (chunks of 5,000 keys: SQLite caps
    the number of query parameters) instead of one query per row. Composite keys fall
    back to one query per row."""

    chunk = 5_000

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        key_fields = resource.get_import_id_fields()
        self.cached = len(key_fields) == 1 and key_fields[0] in resource.fields
        self.all_instances = {}
        if not self.cached:
            return
        self.pk_field = resource.fields[key_fields[0]]
        column = self.pk_field.column_name
        if dataset is not None and dataset.height and column in (dataset.headers or []):
            # the key column only (dataset.dict would build a dict for every row)
            ids = sorted({v for v in (self._clean({column: value}) for value in dataset[column])
                          if v not in (None, "")}, key=str)
            for start in range(0, len(ids), self.chunk):
                qs = self.get_queryset().filter(
                    **{f"{self.pk_field.attribute}__in": ids[start:start + self.chunk]})
                self.all_instances.update({self.pk_field.get_value(obj): obj for obj in qs})

    def _clean(self, row):
        try:
            return self.pk_field.clean(row)
        except ValueError:
            return None  # reported against the row when it is imported

    def get_instance(self, row):
        if not self.cached:
            return super().get_instance(row)
        return self.all_instances.get(self._clean(row))


class BackofficeResource(resources.ModelResource):
    """ModelResource with the project's safety and bulk rules."""

    #: model fields that no spreadsheet may write (on top of the FSM state field)
    never_import: tuple[str, ...] = ("version", "created_at", "updated_at")

    class Meta:
        abstract = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_bulk = True
        batch_size = 1000
        skip_diff = False
        use_transactions = True
        instance_loader_class = ChunkedInstanceLoader

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        locked = set(self.never_import) | set(self._fsm_fields())
        for field in self.fields.values():
            if field.attribute in locked:
                field.readonly = True
        self._check_unique = self._has_unique_rules_beyond_the_key()

    def _has_unique_rules_beyond_the_key(self) -> bool:
        """Whether full_clean's per-row uniqueness queries are needed: not when the only
        unique field is the import key (matching rows are updates, and duplicates within
        the file are caught in one pass) or a generated document number."""
        model = self._meta.model
        if model is None:
            return False
        keys = {self.fields[n].attribute for n in self.get_import_id_fields() if n in self.fields}
        unique = {f.name for f in model._meta.fields if f.unique and not f.primary_key}
        unique -= keys | {"number"}
        return bool(unique or model._meta.unique_together or any(
            getattr(c, "fields", None) for c in model._meta.constraints
            if c.__class__.__name__ == "UniqueConstraint"))

    def get_queryset(self):
        """The model's rows with every related record a column reads joined in: an
        export (a background "export all" of a million tickets included) or an update
        then costs no query per row and column."""
        queryset = super().get_queryset()
        paths = self._related_paths()
        return queryset.select_related(*paths) if paths else queryset

    def _related_paths(self) -> list[str]:
        """The forward foreign-key chains of the columns' attributes ("ticket__number"
        -> "ticket", "plan__customer__name" -> "plan__customer", "customer" ->
        "customer")."""
        model = self._meta.model
        paths = set()
        for field in self.fields.values():
            current, chain = model, []
            for part in (field.attribute or "").split("__"):
                try:
                    model_field = current._meta.get_field(part)
                except Exception:  # a method or property: nothing to join
                    break
                if (not (model_field.many_to_one or model_field.one_to_one)
                        or model_field.auto_created or not model_field.concrete):
                    break
                chain.append(part)
                current = model_field.related_model
            if chain:
                paths.add("__".join(chain))
        return sorted(paths)

    @classmethod
    def _fsm_fields(cls):
        model = cls._meta.model
        if model is None:
            return []
        return _state_fields(model)

    #: above this many rows the preview carries no per-field diff (it would cost more than
    #: the import itself and no one reads 20,000 diffs); errors are always listed
    diff_rows_limit = 1000

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=True, **kwargs):
        """All or nothing: any invalid row rolls back the whole file."""
        # The admin's confirm step asks to keep every imported instance in the result, for
        # admin log entries we do not write (IMPORT_EXPORT_SKIP_ADMIN_LOG): 100,000 model
        # instances held to the end of the request. Ids and names are kept either way.
        kwargs.pop("retain_instance_in_row_result", None)
        if dataset.height > self.diff_rows_limit and not self._meta.skip_diff:
            from copy import copy

            self._meta = copy(self._meta)
            self._meta.skip_diff = True
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors,
                                   use_transactions=use_transactions,
                                   collect_failed_rows=collect_failed_rows,
                                   rollback_on_validation_errors=rollback_on_validation_errors,
                                   **kwargs)

    #: called with the number of rows done, every PROGRESS_EVERY rows (background jobs)
    progress_callback = None
    progress_every = 500

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        number = kwargs.get("row_number") or 0
        if self.progress_callback and number % self.progress_every == 0:
            self.progress_callback(number)

    def before_import(self, dataset, **kwargs):
        self._import_user = kwargs.get("user")
        for field in self.fields.values():
            if isinstance(field.widget, LookupWidget):
                field.widget.reset()
        self._rename_headers(dataset)
        self._duplicates = self._find_duplicate_keys(dataset)
        super().before_import(dataset, **kwargs)

    def header_aliases(self) -> dict[str, str]:
        """Accepted header -> column name: the column name itself, or the field's label in
        Chinese or English (clerks keep the headers their old spreadsheets had)."""
        from django.utils import translation

        model = self._meta.model
        aliases = {}
        for field in self.fields.values():
            if not field.column_name:
                continue
            aliases[field.column_name.lower()] = field.column_name
            try:
                model_field = model._meta.get_field((field.attribute or "").split("__")[0])
            except Exception:  # a computed column: no model field to take a label from
                continue
            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    aliases.setdefault(str(model_field.verbose_name).lower(), field.column_name)
        return aliases

    def _rename_headers(self, dataset):
        if not dataset.headers:
            return
        aliases = self.header_aliases()
        dataset.headers = [aliases.get(str(h or "").strip().lower(), str(h or "").strip())
                           for h in dataset.headers]

    def _find_duplicate_keys(self, dataset) -> dict[int, int]:
        """row number -> the earlier row with the same key (rows count from 1)."""
        columns = [self.fields[name].column_name for name in self.get_import_id_fields()
                   if name in self.fields]
        if not columns or not all(c in (dataset.headers or []) for c in columns):
            return {}
        first_seen, duplicates = {}, {}
        for number, values in enumerate(zip(*(dataset[c] for c in columns), strict=True), 1):
            key = tuple(str(v or "").strip().upper() for v in values)
            if not all(key):  # a blank key part: a new record, not a duplicate
                continue
            if key in first_seen:
                duplicates[number] = first_seen[key]
            else:
                first_seen[key] = number
        return duplicates

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        earlier = getattr(self, "_duplicates", {}).get(kwargs.get("row_number"))
        if earlier:
            name = self.get_import_id_fields()[0]
            raise ValidationError({name: _("The same %(column)s already appears in row "
                                           "%(row)s of this file.")
                                   % {"column": self.fields[name].column_name, "row": earlier}})

    # -- unchanged rows ------------------------------------------------------------------
    # Big files run with skip_diff (no deep copy and no two exports per row), but then
    # import-export never skips unchanged rows: re-importing a file would rewrite every
    # record and add a history row to each. So the stored values of a loaded record are
    # noted before the row is applied, and compared after.
    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance._stored_values = None if new else self._stored_values(instance)

    @staticmethod
    def _stored_values(instance):
        return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not self._meta.skip_diff:
            return super().skip_row(instance, original, row, import_validation_errors)
        before = getattr(instance, "_stored_values", None)
        if not self._meta.skip_unchanged or import_validation_errors or before is None:
            return False
        if any(isinstance(f.widget, widgets.ManyToManyWidget) and f.column_name in row
               for f in self.get_import_fields()):
            return False  # many-to-many values are not in the stored row: write them
        return self._stored_values(instance) == before

    def get_import_fields(self):
        """Worked out once per resource instead of for every row (import-export asks for
        every row, twice)."""
        if getattr(self, "_import_fields_cache", None) is None:
            self._import_fields_cache = super().get_import_fields()
        return self._import_fields_cache

    def get_instance(self, instance_loader, row):
        """A row of a numbered document without a number is a new document; its number is
        assigned when it is saved."""
        model = self._meta.model
        if (model is not None and issubclass(model, NumberedModel)
                and "number" in self.get_import_id_fields()
                and not str(row.get(self.fields["number"].column_name) or "").strip()):
            return None
        return super().get_instance(instance_loader, row)

    # -- validation ----------------------------------------------------------------
    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if self._meta.clean_model_instances:
            exclude = set(errors) | set(self._fsm_fields()) | set(self.never_import)
            if isinstance(instance, NumberedModel) and not instance.number:
                exclude.add("number")
            try:
                instance.full_clean(exclude=exclude,
                                    validate_unique=validate_unique and self._check_unique)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    # -- bulk writes with history ----------------------------------------------------
    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        if dry_run:
            # The preview validates every row (model validation, lookups, duplicates) but
            # writes nothing: the confirm step does the writing, in one transaction.
            self.create_instances.clear()
            return
        if self.create_instances:
            try:
                model = self._meta.model
                if issubclass(model, NumberedModel):
                    self._assign_numbers(model, self.create_instances)
                bulk_create_with_history(self.create_instances, model,
                                         batch_size=batch_size, default_change_reason="import",
                                         default_user=getattr(self, "_import_user", None))
            except Exception as exc:  # reported against the batch by import-export
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        if dry_run:
            self.update_instances.clear()
            return
        if self.update_instances:
            try:
                fields = [self.fields[name].attribute for name in self.get_bulk_update_fields()
                          if not self.fields[name].readonly and self.fields[name].attribute]
                bulk_update_with_history(self.update_instances, self._meta.model, fields,
                                         batch_size=batch_size,
                                         default_change_reason="import",
                                         default_user=getattr(self, "_import_user", None))
            except Exception as exc:
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.update_instances.clear()

    @staticmethod
    def _assign_numbers(model, instances):
        from backoffice.platform.models import next_numbers

        missing = [obj for obj in instances if not obj.number]
        if missing:
            for obj, number in zip(missing, next_numbers(model.number_prefix, len(missing)),
                                   strict=True):
                obj.number = number

    # -- export ----------------------------------------------------------------------
    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))


class ChoiceWidget(widgets.Widget):
    """A choices column that accepts the stored value or its label in either language."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        if text in self.choices.values:
            return text
        from django.utils import translation

        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                for key, label in self.choices.choices:
                    if str(label).lower() == text.lower():
                        return key
        allowed = ", ".join(str(v) for v in self.choices.values)
        raise ValueError(_("“%(value)s” is not one of: %(allowed)s")
                         % {"value": text, "allowed": allowed})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key by a readable key (code, username); a miss is a row error that names
    the value, not a crash of the whole import. Each distinct value is looked up once per
    import."""

    def reset(self):
        self._cache = {}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        cache = getattr(self, "_cache", None)
        if cache is None:
            cache = self._cache = {}
        key = self.cache_key(value, row)
        if key is None:
            return None
        if key not in cache:
            cache[key] = self._lookup(key, row, **kwargs)
        if isinstance(cache[key], ValueError):
            raise cache[key]
        return cache[key]

    def cache_key(self, value, row):
        """What identifies the record; widgets that also read other columns of the row
        (a contact by customer and name) return a tuple. None: no record."""
        return str(value).strip()

    def _lookup(self, value, row, **kwargs):
        """The record for ``cache_key``'s key, or a ValueError to report (and remember)."""
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            return ValueError(_("No %(model)s with %(field)s “%(value)s”.") % {
                "model": self.model._meta.verbose_name, "field": self.field,
                "value": value})
        except self.model.MultipleObjectsReturned:
            return ValueError(_("More than one %(model)s with %(field)s “%(value)s”.") % {
                "model": self.model._meta.verbose_name, "field": self.field,
                "value": value})


def user_field(column, attribute=None, readonly=False):
    """A column naming a staff user by username (owner, engineer, author, clerk)."""
    from django.contrib.auth import get_user_model

    return fields.Field(attribute=attribute or column, column_name=column, readonly=readonly,
                        widget=LookupWidget(get_user_model(), field="username"))
