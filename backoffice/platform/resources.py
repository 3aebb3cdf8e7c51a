"""The import/export base every resource of the four apps inherits.

It bakes in the rules of STACK.md: state and stock are never imported, model
validation runs on every row (so a bad row stops the whole file, with its row and column
named in the preview), rows are written in bulk with one history row each, and exported
text never starts a spreadsheet formula.

Spreadsheets speak the user's language: an export's headers are the columns' labels
(:meth:`BackofficeResource.column_label`), choices are written as their labels
(:class:`ChoiceWidget`, given to every column of a field with choices) and yes/no as
是/否 or Yes/No; an import reads the headers and the choices in Chinese, in English or as
the codes. Errors name the spreadsheet's own row numbers (the header is row 1) and the
columns by their labels.
"""

import datetime as dt
import functools
import re
from decimal import Decimal

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export import exceptions, fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import Result
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.platform import reference
from backoffice.platform.formats import sheet_rows, sheet_title
from backoffice.platform.models import NumberedModel

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def escape_formula(value):
    """Prefix an apostrophe to text a spreadsheet would run as a formula; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


#: characters no imported cell may hold: C0 controls but tab, newline and carriage return
#: (NUL and ESC included), DEL, the C1 controls, and the bidi embeddings, overrides and
#: isolates that make text read differently from how it is stored ("Trojan source")
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
                                  "\u202a-\u202e\u2066-\u2069]")


def forbidden_characters(text: str) -> list[str]:
    """The code points of ``text`` an import refuses, as "U+0000", in order, once each."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in FORBIDDEN_CHARACTERS.findall(text)))


@functools.cache
def _state_fields(model) -> list[str]:
    return [f.name for f in model._meta.fields if isinstance(f, fsm.FSMFieldMixin)]


def languages() -> list[str]:
    """The languages a spreadsheet may be written in (settings.LANGUAGES)."""
    return [code for code, _name in settings.LANGUAGES]


def path_fields(model, attribute) -> list:
    """The model fields along ``attribute`` ("plan__customer__name" -> plan, customer,
    name), up to the first part that is no field (a method or an annotation)."""
    chain, current = [], model
    for part in (attribute or "").split("__"):
        if current is None:
            break
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            break
        chain.append(field)
        current = field.related_model if field.is_relation else None
    return chain


class BackofficeResult(Result):
    """import-export's result, with the rows that failed numbered as in the spreadsheet
    (import-export numbers ``row_errors`` by position in ``rows``, which the admin
    shortens for the preview)."""

    def row_errors(self):
        return [(row.number, row.errors) for row in self.error_rows]


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
        except (ValueError, ArithmeticError):
            return None  # reported against the row when it is imported

    def get_instance(self, row):
        if not self.cached:
            return super().get_instance(row)
        return self.all_instances.get(self._clean(row))


# -- widgets that read a cell or say why not ----------------------------------------------
# import-export's own widgets let a wrong cell through (BooleanWidget reads "twelve" as
# "no") or fail with an exception that is not a row error (IntegerWidget and DecimalWidget
# raise decimal.InvalidOperation) or with an English message (the date widgets). These are
# the widgets of every model field a BackofficeResource maps by itself (WIDGETS_MAP); a
# declared column takes them from here too.
class YesNoWidget(widgets.BooleanWidget):
    """A yes/no cell: yes/no, true/false, 1/0 or 是/否, in any case; empty is the field's
    default (or "not recorded"). Anything else is a row error naming the value.

    ``extra_true``/``extra_false`` add the words of one column (attendance: 出席/缺席)."""

    TRUE_WORDS = ("yes", "true", "1", "是")
    FALSE_WORDS = ("no", "false", "0", "否")

    def __init__(self, coerce_to_string=True, extra_true=(), extra_false=()):
        super().__init__(coerce_to_string)
        self.true_words = {str(w).casefold() for w in (*self.TRUE_WORDS, *extra_true)}
        self.false_words = {str(w).casefold() for w in (*self.FALSE_WORDS, *extra_false)}

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float | Decimal) and value in (0, 1):
            return bool(value)  # a number cell of a spreadsheet
        text = str(value).strip()
        if text == "":
            return None
        if text.casefold() in self.true_words:
            return True
        if text.casefold() in self.false_words:
            return False
        raise ValueError(_("“%(value)s” is not yes or no: write yes or no, true or false, "
                           "1 or 0, 是 or 否 (or leave the cell empty).") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        """是/否 in Chinese, Yes/No in English (Django's own words); empty when unknown."""
        if value is None or value == "":
            return ""
        return _("Yes") if value else _("No")


class _ReadsNumbers:
    """A cell that is not a finite number is a row error that says so."""

    def clean(self, value, row=None, **kwargs):
        try:
            number = super().clean(value, row, **kwargs)
        except (ArithmeticError, TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None
        if number is not None and not Decimal(number).is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        return number


class IntegerWidget(_ReadsNumbers, widgets.IntegerWidget):
    """A whole number; 2.5 is refused, not cut to 2."""

    def clean(self, value, row=None, **kwargs):
        number = super().clean(value, row, **kwargs)
        if number is not None and not isinstance(value, int):
            try:
                fraction = Decimal(str(value).strip()) != number
            except ArithmeticError:  # "1,000": read above with the thousands separator
                fraction = False
            if fraction:
                raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        return number


class DecimalWidget(_ReadsNumbers, widgets.DecimalWidget):
    pass


class FloatWidget(_ReadsNumbers, widgets.FloatWidget):
    pass


class DateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a date; write it like 2026-03-15.")
                             % {"value": value}) from None


class DateTimeWidget(widgets.DateTimeWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(_("“%(value)s” is not a date and time; write it like "
                               "2026-03-15 09:30.") % {"value": value}) from None


class TimeWidget(widgets.TimeWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a time; write it like 09:30.")
                             % {"value": value}) from None


class BackofficeResource(resources.ModelResource):
    """ModelResource with the project's safety and bulk rules."""

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "BooleanField": YesNoWidget,
        "NullBooleanField": YesNoWidget,
        "DecimalField": DecimalWidget,
        "FloatField": FloatWidget,
        "DateField": DateWidget,
        "DateTimeField": DateTimeWidget,
        "TimeField": TimeWidget,
        # import-export reads a TextField with the bare Widget: an empty XLSX cell (None)
        # would reach the database's NOT NULL
        "TextField": widgets.CharWidget,
        **{name: IntegerWidget for name in (
            "IntegerField", "PositiveIntegerField", "BigIntegerField", "PositiveBigIntegerField",
            "PositiveSmallIntegerField", "SmallIntegerField", "SmallAutoField", "AutoField",
            "BigAutoField")},
    }

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        """An empty cell of an optional text field is "", as import-export does for
        CharFields only (an XLSX reader gives None)."""
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if (isinstance(django_field, models.TextField) and django_field.blank
                and not django_field.null):
            kwargs.update(coerce_to_string=True, allow_blank=True)
        return kwargs

    #: model fields that no spreadsheet may write (on top of the FSM state field)
    never_import: tuple[str, ...] = ("version", "created_at", "updated_at")

    #: column name -> its header (a lazy translation), for a column whose label the model
    #: cannot give (a computed column, or a second column about the same related record)
    column_labels: dict = {}
    #: the columns of the import template (default: every column an import writes)
    template_columns: tuple[str, ...] = ()
    #: column name -> the value of the import template's example row (codes for choices,
    #: keys for related records; a callable is called); a column without one gets a value
    #: from its field's type (see backoffice.platform.import_templates)
    template_example: dict = {}

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
            self._speak_choices(field)
            self._read_empty_text(field)
        self._check_unique = self._has_unique_rules_beyond_the_key()

    #: widgets that write a stored value as it is: a column of a field with choices that
    #: has one of these reads and writes the labels instead (ChoiceWidget)
    _RAW_WIDGETS = (widgets.Widget, widgets.CharWidget)

    def _speak_choices(self, field):
        """A column of a model field with choices (also through a relation: "claim__state")
        that was given no widget of its own exports the label and imports labels or codes."""
        if type(field.widget) not in self._RAW_WIDGETS or self._meta.model is None:
            return
        chain = path_fields(self._meta.model, field.attribute)
        model_field = chain[-1] if chain else None
        if (model_field is None or not getattr(model_field, "choices", None)
                or model_field.is_relation
                or len(chain) != len((field.attribute or "").split("__"))):
            return
        field.widget = ChoiceWidget(model_field.flatchoices,
                                    empty=None if model_field.null else "")

    def _read_empty_text(self, field):
        """A declared column of an optional text field without a widget of its own reads
        an empty cell as "" (the bare Widget gives an XLSX reader's None to the database,
        whose NOT NULL refuses it)."""
        if type(field.widget) is not widgets.Widget or self._meta.model is None:
            return
        chain = path_fields(self._meta.model, field.attribute)
        model_field = chain[-1] if len(chain) == 1 else None
        if (isinstance(model_field, models.CharField | models.TextField)
                and model_field.blank and not model_field.null):
            field.widget = widgets.CharWidget(coerce_to_string=True, allow_blank=True)

    # -- the columns' labels ----------------------------------------------------------
    def column_label(self, field) -> str:
        """A column's header in the active language: ``column_labels``, else the verbose
        name of the model field the column is named after (also along the relations it
        reads: "customer" for plan__customer__name), else of the field it reads (the
        related record's field, or the relation when that field is the record's key:
        "ticket__number" -> ticket), else the column's name."""
        name = field.column_name
        if name in self.column_labels:
            return capfirst(str(self.column_labels[name]))
        model_field = self._label_field(field)
        if model_field is not None:
            return capfirst(str(model_field.verbose_name))
        return name

    def _label_field(self, field):
        model = self._meta.model
        if model is None:
            return None
        try:
            named = model._meta.get_field(field.column_name)
        except FieldDoesNotExist:
            named = None
        if named is not None and hasattr(named, "verbose_name"):
            return named
        chain = [f for f in path_fields(model, field.attribute) if hasattr(f, "verbose_name")]
        same_name = [f for f in chain if f.name == field.column_name]
        if same_name:  # "customer" reading plan__customer__name, "year" budget__year
            return same_name[0]
        if len(chain) > 1 and (chain[-1].unique or chain[-1].primary_key):
            return chain[-2]
        return chain[-1] if chain else None

    def column_labels_by_key(self) -> dict[str, str]:
        """Column name, attribute or model field name (the keys of a row's errors) -> the
        label of its column, in the active language."""
        labels = {}
        for field in self.fields.values():
            if field.column_name:
                labels[field.column_name] = self.column_label(field)
        for field in self.fields.values():
            if field.column_name and field.attribute:
                labels.setdefault(field.attribute, labels[field.column_name])
        model = self._meta.model
        if model is not None:
            for model_field in model._meta.get_fields():
                if hasattr(model_field, "verbose_name"):
                    labels.setdefault(model_field.name, capfirst(str(model_field.verbose_name)))
        return labels

    def get_export_headers(self, selected_fields=None):
        """The columns' labels in the reader's language (an import reads them back)."""
        return [self.column_label(field) for field in self.get_export_fields(selected_fields)
                if field]

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
        self._sheet_rows = sheet_rows(dataset)
        result = super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors,
                                     use_transactions=use_transactions,
                                     collect_failed_rows=collect_failed_rows,
                                     rollback_on_validation_errors=rollback_on_validation_errors,
                                     **kwargs)
        self._in_the_sheets_terms(result)
        return result

    def get_result_class(self):
        return BackofficeResult

    def _in_the_sheets_terms(self, result):
        """Rows that failed carry the spreadsheet's row numbers; columns are named by their
        labels (``result.column_labels``, ``result.diff_headers`` and each invalid row's
        ``labelled_errors``), in the active language."""
        labels = self.column_labels_by_key()
        result.column_labels = labels
        for row in result.invalid_rows:
            row.number = self.sheet_row(row.number)
            row.labelled_errors = [(labels.get(key, key), messages)
                                   for key, messages in row.field_specific_errors.items()]
        for row in result.error_rows:
            row.number = self.sheet_row(row.number)
            for error in row.errors:
                error.number = self.sheet_row(error.number)
        result.diff_headers = [labels.get(header, header) for header in result.diff_headers]

    #: called with the number of rows done, every PROGRESS_EVERY rows (background jobs)
    progress_callback = None
    progress_every = 500

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        number = kwargs.get("row_number") or 0
        if self.progress_callback and number % self.progress_every == 0:
            self.progress_callback(number)

    def before_import(self, dataset, **kwargs):
        # first of all: no hook, lookup or query may see a control character
        self._refused_cells = self._refuse_forbidden_characters(dataset)
        self._import_user = kwargs.get("user")
        for field in self.fields.values():
            if isinstance(field.widget, LookupWidget):
                field.widget.reset()
        self._rename_headers(dataset)
        self._duplicates = self._find_duplicate_keys(dataset)
        super().before_import(dataset, **kwargs)

    @staticmethod
    def _refuse_forbidden_characters(dataset) -> dict[int, dict[str, str]]:
        """row number -> {column: message} for the cells holding a control or bidi
        character (FORBIDDEN_CHARACTERS). Those characters are replaced in the dataset by
        U+FFFD, so that neither the lookups of other rows, the instance loader, the
        database (PostgreSQL refuses NUL with an English error) nor the preview page (where
        U+202E would turn the table around) ever sees them; import_row refuses the rows."""
        refused = {}
        if not dataset.headers:
            return refused
        dataset.headers = [FORBIDDEN_CHARACTERS.sub("\ufffd", h) if isinstance(h, str) else h
                           for h in dataset.headers]
        headers = dataset.headers
        for index in range(dataset.height):
            values = dataset[index]
            if not FORBIDDEN_CHARACTERS.search(
                    "".join(v for v in values if isinstance(v, str))):
                continue
            errors, clean = {}, list(values)
            for position, (column, value) in enumerate(zip(headers, values, strict=False)):
                if isinstance(value, str) and (codes := forbidden_characters(value)):
                    errors[column or f"#{position + 1}"] = _(
                        "This cell contains a character that is not allowed (%(codes)s): "
                        "control characters and text-direction overrides are refused. Remove "
                        "it and import the file again.") % {"codes": ", ".join(codes)}
                    clean[position] = FORBIDDEN_CHARACTERS.sub("\ufffd", value)
            dataset[index] = clean
            refused[index + 1] = errors
        return refused

    def import_row(self, row, instance_loader, **kwargs):
        """A row with a forbidden character is refused before any hook sees it."""
        errors = getattr(self, "_refused_cells", {}).get(kwargs.get("row_number"))
        if not errors:
            return super().import_row(row, instance_loader, **kwargs)
        row_result = self.get_row_result_class()()
        if self._meta.store_row_values:
            row_result.row_values = row
        row_result.import_type = row_result.IMPORT_TYPE_INVALID
        row_result.validation_error = ValidationError(errors)
        return row_result

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        """A cell a widget cannot read is a row error on its column, whatever the widget
        raised (decimal.InvalidOperation from import-export's number widgets)."""
        if self._same_time_as_stored(field, instance, row, **kwargs):
            return
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except ArithmeticError:
            raise ValueError(_("“%(value)s” cannot be read in this column.")
                             % {"value": row.get(field.column_name)}) from None

    @staticmethod
    def _same_time_as_stored(field, instance, row, **kwargs) -> bool:
        """A time a spreadsheet gave back within the second of the stored one is the stored
        one: exports write times to the second (CSV) or the millisecond (XLSX), so an
        exported file imported again would otherwise change every record it holds."""
        if (not isinstance(field.widget, widgets.DateTimeWidget) or instance.pk is None
                or field.readonly or not field.attribute or "__" in field.attribute
                or field.column_name not in row):
            return False
        stored = getattr(instance, field.attribute, None)
        try:
            given = field.clean(row, **kwargs)
        except (TypeError, ValueError, OverflowError):
            return False  # said on the row when the field is imported
        return (isinstance(stored, dt.datetime) and isinstance(given, dt.datetime)
                and abs(stored - given) < dt.timedelta(seconds=1))

    def header_aliases(self) -> dict[str, str]:
        """Accepted header (case-folded) -> column name: the column name itself, its label
        in Chinese or English (what an export writes), or the verbose name of the model
        field it reads (clerks keep the headers their old spreadsheets had)."""
        model = self._meta.model
        columns = [f for f in self.fields.values() if f.column_name]
        aliases = {f.column_name.casefold(): f.column_name for f in columns}
        for lang in languages():
            with translation.override(lang):
                for field in columns:
                    aliases.setdefault(self.column_label(field).strip().casefold(),
                                       field.column_name)
        for field in columns:
            try:
                model_field = model._meta.get_field((field.attribute or "").split("__")[0])
            except Exception:  # a computed column: no model field to take a label from
                continue
            for lang in languages():
                with translation.override(lang):
                    aliases.setdefault(str(model_field.verbose_name).casefold(),
                                       field.column_name)
        return aliases

    def _rename_headers(self, dataset):
        if not dataset.headers:
            return
        aliases = self.header_aliases()
        dataset.headers = [aliases.get(str(h or "").strip().casefold(), str(h or "").strip())
                           for h in dataset.headers]

    def _check_import_id_fields(self, headers):
        """A file without the key column says which column is missing, by its label."""
        missing = [self.fields[name] for name in self.get_import_id_fields()
                   if name in self.fields and self.fields[name].column_name not in (headers or [])]
        if missing and list(self.get_import_id_fields()) != ["id"]:
            raise exceptions.FieldError(
                _("The file has no column %(columns)s: it says which record each row is. "
                  "Add the column (empty for new records), or start from the import "
                  "template.") % {"columns": ", ".join(
                      f"“{self.column_label(f)}” ({f.column_name})" for f in missing)})
        super()._check_import_id_fields(headers)

    def sheet_row(self, number):
        """The spreadsheet's row number of the file's ``number``-th row (header: row 1)."""
        return getattr(self, "_sheet_rows", sheet_rows(None))(number)

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
                                   % {"column": self.column_label(self.fields[name]),
                                      "row": self.sheet_row(earlier)}})

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
        try:
            return super().get_instance(instance_loader, row)
        except (ValueError, ArithmeticError):
            # a key cell that cannot be read: the row fails on that column when imported
            return None

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
                reference.model_changed(model)  # a bulk write sends no signal
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
                reference.model_changed(self._meta.model)
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
    def export(self, queryset=None, **kwargs):
        """The dataset is named after the records (the XLSX sheet's name: 服务单)."""
        dataset = super().export(queryset, **kwargs)
        if self._meta.model is not None:
            dataset.title = sheet_title(capfirst(self._meta.model._meta.verbose_name_plural))
        return dataset

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))


class ChoiceWidget(widgets.Widget):
    """A choices column: exported as the label in the reader's language (热线电话 /
    Phone hotline); read from the stored value (``phone``) or its label in any language
    of the site, in any case. ``choices``: a Choices class or (value, label) pairs;
    ``empty``: what an empty cell is (None, or "" for a field that stores no NULL)."""

    def __init__(self, choices, empty=None, **kwargs):
        self.choices = _flat_choices(getattr(choices, "choices", choices))
        self.empty = empty
        self._lookup, self._labels = None, {}
        super().__init__(**kwargs)

    def values_by_text(self) -> dict:
        """Every accepted spelling (case-folded) -> the stored value."""
        if self._lookup is None:
            lookup = {}
            for lang in languages():
                with translation.override(lang):
                    for value, label in self.choices:
                        lookup.setdefault(str(label).strip().casefold(), value)
            # the codes win over a label that happens to spell another code
            lookup.update({str(value).casefold(): value for value, _label in self.choices})
            self._lookup = lookup
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return self.empty
        text = str(value).strip()
        try:
            return self.values_by_text()[text.casefold()]
        except KeyError:
            pass
        allowed = ", ".join(str(label) for _value, label in self.choices)
        raise ValueError(_("“%(value)s” is not one of: %(allowed)s")
                         % {"value": text, "allowed": allowed})

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return ""
        language = translation.get_language()
        labels = self._labels.get(language)
        if labels is None:  # once per language: an export renders this for every row
            labels = self._labels[language] = {str(v): str(label) for v, label in self.choices}
        return labels.get(str(value), str(value))  # a value no longer listed: as stored


def _flat_choices(choices) -> list[tuple]:
    """(value, label) pairs, option groups flattened."""
    flat = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            flat.extend(_flat_choices(label))
        else:
            flat.append((value, label))
    return flat


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
        except (self.model.DoesNotExist, ValueError, TypeError, ValidationError):
            # ValueError/ValidationError: a value the key field cannot hold ("twelve" for a
            # year), which no record has either
            return ValueError(_("No %(model)s with %(field)s “%(value)s”.") % {
                "model": self.model._meta.verbose_name, "field": self.field_label(),
                "value": value})
        except self.model.MultipleObjectsReturned:
            return ValueError(_("More than one %(model)s with %(field)s “%(value)s”.") % {
                "model": self.model._meta.verbose_name, "field": self.field_label(),
                "value": value})

    def field_label(self) -> str:
        """The key field's name in the reader's language ("客户编号", not "code")."""
        try:
            return str(self.model._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field


def user_field(column, attribute=None, readonly=False):
    """A column naming a staff user by username (owner, engineer, author, clerk)."""
    from django.contrib.auth import get_user_model

    return fields.Field(attribute=attribute or column, column_name=column, readonly=readonly,
                        widget=LookupWidget(get_user_model(), field="username"))
