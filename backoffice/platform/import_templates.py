"""The import template of a page: an .xlsx to fill in and import.

The first sheet has the columns the import reads, headed by their labels in the user's
language, and one example row (``BackofficeResource.template_example``, else a value
from the field's type: the first choice, today's date, an existing record's key…). The
second sheet lists the allowed values of every choice and yes/no column in each
language of the site and as the code (the import accepts any of them); the first
sheet's choice columns offer those values in a drop-down list. Only the first sheet is
imported, and the workbook holds no formulas (the import refuses them).
"""

import datetime as dt
import io
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export import widgets

from backoffice.platform.formats import sheet_title
from backoffice.platform.models import NumberedModel
from backoffice.platform.resources import ChoiceWidget, YesNoWidget, path_fields

#: rows of the first sheet whose choice cells offer the drop-down list
DROP_DOWN_ROWS = 5000

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def columns(resource) -> list:
    """The template's columns: ``template_columns``, else every column an import writes."""
    by_name = {f.column_name: f for f in resource.fields.values() if f.column_name}
    if resource.template_columns:
        return [by_name[name] for name in resource.template_columns]
    chosen = []
    for field in resource.get_import_fields():
        if not field.readonly and field.column_name and field not in chosen:
            chosen.append(field)
    return chosen


def allowed_values(field) -> list[tuple[object, dict[str, str]]]:
    """(code, {language: label}) of a choice or yes/no column; [] for other columns."""
    widget = field.widget
    if isinstance(widget, ChoiceWidget):
        options = [(value, label) for value, label in widget.choices]
    elif isinstance(widget, YesNoWidget):
        options = [(1, "Yes"), (0, "No")]
    else:
        return []
    values = []
    for code, label in options:
        labels = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                labels[language] = _(label) if isinstance(widget, YesNoWidget) else str(label)
        values.append((code, labels))
    return values


def example_value(resource, field, user=None):
    """The example row's cell of ``field``: ``template_example``, else from its type."""
    widget = field.widget
    if field.column_name in resource.template_example:
        value = resource.template_example[field.column_name]
        value = value() if callable(value) else value
        if isinstance(widget, ChoiceWidget | YesNoWidget):
            return widget.render(value)
        return _as_number(value, widget)
    model = resource._meta.model
    chain = path_fields(model, field.attribute) if model is not None else []
    model_field = chain[-1] if chain else None
    if _is_new_record_key(resource, field, model):
        return ""  # empty: a new record (its number is given when it is saved)
    if isinstance(widget, ChoiceWidget):
        default = _default(model_field)
        codes = [value for value, _label in widget.choices]
        return widget.render(default if default in codes else (codes[0] if codes else ""))
    if isinstance(widget, YesNoWidget):
        return widget.render(bool(_default(model_field)))
    if isinstance(widget, widgets.ManyToManyWidget):
        return ""
    if isinstance(widget, widgets.ForeignKeyWidget):
        if widget.model is get_user_model() and user is not None:
            return getattr(user, widget.field, "")
        key = (widget.model._default_manager.order_by("pk")
               .values_list(widget.field, flat=True).first())
        return "" if key is None else key
    return _typed_example(model_field)


def _as_number(value, widget):
    """"450.00" for a number column is written as a number (Excel marks numbers stored as
    text)."""
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        if isinstance(widget, widgets.IntegerWidget):
            return int(value)
        if isinstance(widget, widgets.DecimalWidget | widgets.FloatWidget):
            return Decimal(value)
    except (ArithmeticError, ValueError):
        pass
    return value


def _is_new_record_key(resource, field, model) -> bool:
    name = next((n for n, f in resource.fields.items() if f is field), None)
    if name not in resource.get_import_id_fields():
        return False
    return (field.attribute in ("id", "pk")
            or (model is not None and issubclass(model, NumberedModel)
                and field.attribute == "number"))


def _default(model_field):
    if model_field is None or not model_field.has_default():
        return None
    default = model_field.default
    return None if callable(default) else default


def _typed_example(model_field):
    default = _default(model_field)
    if default not in (None, ""):
        return default
    if isinstance(model_field, models.DateTimeField):
        return timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0,
                                            tzinfo=None)
    if isinstance(model_field, models.DateField):
        return timezone.localdate()
    if isinstance(model_field, models.TimeField):
        return dt.time(9, 0)
    if isinstance(model_field, models.DecimalField):
        return Decimal("100.00")
    if isinstance(model_field, models.FloatField):
        return 1.0
    if isinstance(model_field, models.IntegerField):
        return 1
    if isinstance(model_field, models.EmailField):
        return "name@example.cn"
    if isinstance(model_field, models.URLField):
        return "https://example.cn/"
    return ""


def workbook(resource, user=None) -> bytes:
    """The template of ``resource`` as .xlsx bytes, in the active language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    model = resource._meta.model
    book = Workbook()
    data = book.active
    data.title = sheet_title(capfirst(model._meta.verbose_name_plural) if model else _("Data"))
    allowed = book.create_sheet(sheet_title(_("Allowed values")))
    template_columns = columns(resource)

    bold, grey = Font(bold=True), Font(italic=True, color="6B7280")
    fill = PatternFill("solid", fgColor="E5E7EB")
    data.append([resource.column_label(f) for f in template_columns])
    data.append([example_value(resource, f, user) for f in template_columns])
    for cell in data[1]:
        cell.font, cell.fill = bold, fill
    for cell in data[2]:
        cell.font = grey
    data.freeze_panes = "A2"

    active = translation.get_language()
    others = [code for code, _name in settings.LANGUAGES if code != active]
    language_names = dict(settings.LANGUAGES)
    allowed.append([_("Column"), *(language_names.get(c, c) for c in [active, *others]),
                    _("Code")])
    for cell in allowed[1]:
        cell.font, cell.fill = bold, fill
    for index, field in enumerate(template_columns, 1):
        values = allowed_values(field)
        if not values:
            continue
        first = allowed.max_row + 1
        for code, labels in values:
            allowed.append([resource.column_label(field), labels.get(active, ""),
                            *(labels.get(c, "") for c in others), str(code)])
        letter = get_column_letter(index)
        drop_down = DataValidation(
            type="list", allow_blank=True, errorStyle="warning", showErrorMessage=True,
            formula1=f"{quote_sheetname(allowed.title)}!$B${first}:$B${allowed.max_row}",
            error=_("Choose a value from the list; the sheet “%(sheet)s” lists every "
                    "value accepted.") % {"sheet": allowed.title})
        drop_down.add(f"{letter}2:{letter}{DROP_DOWN_ROWS + 1}")
        data.add_data_validation(drop_down)
    allowed.freeze_panes = "A2"
    if allowed.max_row > 1:
        allowed.auto_filter.ref = allowed.dimensions

    for sheet in (data, allowed):
        for index, column in enumerate(sheet.iter_cols(values_only=True), 1):
            width = max((_display_width(v) for v in column), default=8)
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    text = str(value)
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def filename(model) -> str:
    return _("%(name)s - import template.xlsx") % {
        "name": capfirst(model._meta.verbose_name_plural)}
