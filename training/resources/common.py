"""Widgets and the base resource shared by the training spreadsheets."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import widgets

from backoffice.desk.models import Contact
from backoffice.platform.resources import BackofficeResource, ChoiceWidget, LookupWidget

User = get_user_model()


# -- widgets ------------------------------------------------------------------------------
class TextWidget(widgets.CharWidget):
    """Text cells, stripped; numbers typed into a text column come back without ".0"."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class BlankChoiceWidget(ChoiceWidget):
    """A choices column of a model field stored as "" when empty (not NULL)."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs) or ""


class ContactWidget(LookupWidget):
    """A customer's contact by the customer's code (column ``customer``) and the name."""

    def __init__(self, **kwargs):
        super().__init__(Contact, field="name", **kwargs)

    def cache_key(self, value, row):
        name = str(value).strip()
        if not name:
            return None
        return str((row or {}).get("customer") or "").strip().upper(), name

    def _lookup(self, key, row, **kwargs):
        code, name = key
        matches = list(Contact.objects.filter(customer__code=code, name=name)[:2])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            return ValueError(_("Customer %(code)s has no contact “%(name)s”.")
                              % {"code": code or "-", "name": name})
        return ValueError(_("Customer %(code)s has more than one contact “%(name)s”.")
                          % {"code": code, "name": name})


def user_widget():
    return LookupWidget(User, field="username")


# -- the base -------------------------------------------------------------------------------
class TrainingResource(BackofficeResource):
    """BackofficeResource, all-or-nothing, with lookups of the id columns as row errors."""

    class Meta:
        abstract = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None  # the same lookup fails again in import_instance, on its column

    def before_save_instance(self, instance, row, **kwargs):
        user = getattr(self, "_import_user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user
        super().before_save_instance(instance, row, **kwargs)

    def row_errors(self, instance, row) -> dict:
        """Business rules of a row that the model's own validation cannot see."""
        return {}

    def duplicate_key(self, row):
        """What two rows of one file may not share; ``None`` for a row without one (a new
        document). Default: the import key columns, when all are filled."""
        columns = [self.fields[name].column_name for name in self.get_import_id_fields()]
        key = tuple(str(row.get(c) or "").strip().upper() for c in columns)
        return key if all(key) else None

    def _find_duplicate_keys(self, dataset):
        """The foundation's newer key check compares raw import-key cells; these
        resources have composite or optional keys, so :meth:`duplicate_key` decides."""
        return {}

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        first_seen, self._duplicate_rows = {}, {}
        for number, row in enumerate(dataset.dict, 1):
            key = self.duplicate_key(row)
            if key is None:
                continue
            if key in first_seen:
                self._duplicate_rows[number] = first_seen[key]
            else:
                first_seen[key] = number

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for name, message in self.row_errors(instance, getattr(self, "_current_row", {})).items():
            errors.setdefault(name, ValidationError(message))
        earlier = getattr(self, "_duplicate_rows", {}).get(getattr(self, "_row_number", None))
        if earlier:
            name = self.fields[self.get_import_id_fields()[0]].attribute
            errors.setdefault(name, ValidationError(
                _("Row %(row)s of this file already has this key.")
                % {"row": self.sheet_row(earlier)}))
        super().validate_instance(instance, errors, validate_unique)

    def before_import_row(self, row, **kwargs):
        self._current_row = row
        self._row_number = kwargs.get("row_number")
        super().before_import_row(row, **kwargs)
