"""Import/export of parts, suppliers, opening balances, stocktake counts and the ledger.

Stock quantities are never written by a spreadsheet: opening balances and counted
quantities go through the same services as a keeper at the counter (ledger lines via
``post_moves``; counts through the stocktake's approval).
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from backoffice.platform.resources import BackofficeResource, ChoiceWidget, YesNoWidget
from inventory import services
from inventory.models import (
    Part,
    PartCategory,
    PurchaseOrder,
    Requisition,
    ScrapRequest,
    StockBalance,
    StockEntry,
    Stocktake,
    StocktakeLine,
    Supplier,
    Warehouse,
)
from inventory.workflows import EntryKind, StocktakeStatus, VarianceReason


class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key given by its code, looked up once per import (not once per row)."""

    def __init__(self, model, field="code", **kwargs):
        super().__init__(model, field=field, **kwargs)
        self.reset()

    def reset(self):
        self._cache = None

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        key = str(value).strip().upper() if self.field == "code" else str(value).strip()
        if self._cache is None:
            self._cache = {str(getattr(o, self.field)).upper() if self.field == "code"
                           else str(getattr(o, self.field)): o
                           for o in self.model._default_manager.all()}
        try:
            return self._cache[key]
        except KeyError:
            raise ValueError(_("%(model)s “%(value)s” does not exist.")
                             % {"model": self.model._meta.verbose_name, "value": key}) from None


class _ReadableNumber:
    """Turn a value that is not a number into a row error that says so (not a traceback)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, ArithmeticError, TypeError, ValueError):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None


class DecimalWidget(_ReadableNumber, widgets.DecimalWidget):
    pass


class IntegerWidget(_ReadableNumber, widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        number = super().clean(value, row, **kwargs)
        try:
            fraction = number is not None and Decimal(str(value).strip()) != number
        except InvalidOperation:  # e.g. "1,000": parsed above, it is whole
            fraction = False
        if fraction:
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        return number


class InventoryResource(BackofficeResource):
    """One bad row stops the whole file, also outside the admin's preview/confirm flow."""

    class Meta:
        abstract = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)  # marks the class's never_import fields read-only first
        # Foreign keys found by CodeWidget were just read from the database: excluding
        # them from model validation saves one EXISTS query per key and row (60 % of a
        # 20,000-row import).
        self.never_import = (*self.never_import,
                             *[f.attribute for f in self.fields.values()
                               if isinstance(f.widget, CodeWidget) and f.attribute])

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, CodeWidget):
                field.widget.reset()
        self._seen = {}

    @staticmethod
    def normalise_column(dataset, column, func):
        """Rewrite one column of the file before anything reads it."""
        if dataset.headers and column in dataset.headers:
            values = [func(v) for v in dataset[column]]
            index = dataset.headers.index(column)
            del dataset[column]
            dataset.insert_col(index, values, header=column)

    def check_duplicate(self, key, row_number, column):
        """A key given twice in one file is refused, naming the first row."""
        first = self._seen.setdefault(key, row_number)
        if first != row_number:
            raise ValidationError({column: _("Also on row %(row)s of this file.")
                                   % {"row": self.sheet_row(first)}})


def _code(value):
    return "" if value is None else str(value).strip().upper()


# -- parts and suppliers -----------------------------------------------------------------
PART_NAME = gettext_lazy("part name")


class PartResource(InventoryResource):
    column_labels = {"on_hand": gettext_lazy("on hand")}
    template_example = {"code": "HDD-1T", "name": "服务器硬盘", "specification": "1TB SATA",
                        "model": "ST1000", "unit": "块", "unit_cost": "450.00",
                        "safety_stock": 2, "reorder_point": 5, "reorder_quantity": 10}

    model_number = fields.Field(attribute="model_number", column_name="model")
    category = fields.Field(attribute="category", column_name="category",
                            widget=CodeWidget(PartCategory))
    preferred_supplier = fields.Field(attribute="preferred_supplier",
                                      column_name="preferred_supplier",
                                      widget=CodeWidget(Supplier))
    unit_cost = fields.Field(attribute="unit_cost", column_name="unit_cost",
                             widget=DecimalWidget())
    safety_stock = fields.Field(attribute="safety_stock", column_name="safety_stock",
                                widget=IntegerWidget())
    reorder_point = fields.Field(attribute="reorder_point", column_name="reorder_point",
                                 widget=IntegerWidget())
    reorder_quantity = fields.Field(attribute="reorder_quantity", column_name="reorder_quantity",
                                    widget=IntegerWidget())
    on_hand = fields.Field(attribute="on_hand", column_name="on_hand", readonly=True,
                           widget=IntegerWidget())

    class Meta:
        model = Part
        fields = ("code", "name", "specification", "model_number", "unit", "category",
                  "unit_cost", "safety_stock", "reorder_point", "reorder_quantity",
                  "preferred_supplier", "is_active", "on_hand")
        export_order = fields
        import_id_fields = ("code",)
        skip_diff = True

    def get_queryset(self):
        from inventory.selectors import part_with_stock

        return part_with_stock(Part.objects.select_related("category", "preferred_supplier"))

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.normalise_column(dataset, "code", _code)

    def before_import_row(self, row, **kwargs):
        if not row.get("code"):
            raise ValidationError({"code": _("The part code is required.")})


class SupplierResource(InventoryResource):
    """Suppliers enter as "qualification pending"; qualifying them is the manager's button."""

    never_import = (*BackofficeResource.never_import, "qualified_until", "evaluation")
    template_example = {"code": "S0101", "name": "北京华信科技有限公司", "contact_person": "王建国",
                        "phone": "010-66668888", "email": "sales@example.cn",
                        "address": "北京市海淀区中关村大街 1 号"}

    class Meta:
        model = Supplier
        fields = ("code", "name", "state", "qualified_until", "contact_person", "phone", "email",
                  "address", "tax_id", "business_scope", "is_active")
        export_order = fields
        import_id_fields = ("code",)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.normalise_column(dataset, "code", _code)

    def before_import_row(self, row, **kwargs):
        if not row.get("code"):
            raise ValidationError({"code": _("The supplier code is required.")})


# -- opening balances (posted as ledger lines) --------------------------------------------
class OpeningBalanceResource(InventoryResource):
    """Opening stock per part × warehouse, posted as "opening balance" ledger lines.

    Allowed only where the part has no movement yet in that warehouse; later corrections
    are stocktakes.
    """

    template_example = {"quantity": 10, "note": "期初"}

    part = fields.Field(attribute="part", column_name="part", widget=CodeWidget(Part))
    warehouse = fields.Field(attribute="warehouse", column_name="warehouse",
                             widget=CodeWidget(Warehouse))
    quantity = fields.Field(attribute="quantity", column_name="quantity",
                            widget=IntegerWidget())
    unit_cost = fields.Field(attribute="unit_cost", column_name="unit_cost",
                             widget=DecimalWidget())
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = StockEntry
        fields = ("part", "warehouse", "quantity", "unit_cost", "note")
        import_id_fields = ()
        use_bulk = False
        skip_unchanged = False
        report_skipped = False

    @classmethod
    def get_display_name(cls):
        return _("Opening balances")

    def get_instance(self, instance_loader, row):
        return None  # every row is a new ledger line

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.normalise_column(dataset, "part", _code)
        self.normalise_column(dataset, "warehouse", _code)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance.kind = EntryKind.OPENING
        instance.actor = getattr(self, "_import_user", None)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.unit_cost is None and instance.part_id:
            instance.unit_cost = instance.part.unit_cost

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.actor_id is None:
            errors.setdefault("actor", _("Opening balances are imported by a signed-in user."))
        if instance.quantity is None or instance.quantity <= 0:
            errors.setdefault("quantity", _("Enter a whole number above zero."))
        if instance.part_id and instance.warehouse_id and "part" not in errors:
            try:
                self.check_duplicate((instance.part_id, instance.warehouse_id),
                                     self._row_number, "part")
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            entries = StockEntry.objects.filter(part_id=instance.part_id,
                                                warehouse_id=instance.warehouse_id)
            if not entries.exists():
                pass
            elif entries.filter(kind=EntryKind.OPENING, reverses__isnull=True).exists():
                errors.setdefault("part", _("This part already has an opening balance in this "
                                            "warehouse; correct it with a stocktake."))
            else:
                errors.setdefault("part", _("This part already has movements in this "
                                            "warehouse; correct it with a stocktake."))
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        self._row_number = kwargs.get("row_number")

    def do_instance_save(self, instance, is_create):
        """Through the service: a line another session booked a moment ago (between this
        row's check and its write) is refused like any invalid row, and the whole file is
        rolled back - not a server error."""
        try:
            entry = services.opening_balance_post(
                part=instance.part, warehouse=instance.warehouse, quantity=instance.quantity,
                unit_cost=instance.unit_cost, actor=instance.actor, note=instance.note or "")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({"part": exc.messages}) from exc
        instance.pk = entry.pk
        instance._state.adding = False


# -- stocktake counts ----------------------------------------------------------------------
class CountSheetResource(InventoryResource):
    """Count sheet: export it, fill in ``counted``, import it back while counting.

    This is the blind sheet (盲盘): it carries no book quantity and no variance, so it is
    what counters export and import (``StocktakeLineAdmin`` chooses by
    ``workflows.can_see_book_quantities``). ``recount`` marks the lines the approver
    sent back."""

    column_labels = {"name": PART_NAME}
    template_example = {"counted": 9, "reason": "", "note": ""}

    stocktake = fields.Field(attribute="stocktake", column_name="stocktake",
                             widget=CodeWidget(Stocktake, field="number"))
    part = fields.Field(attribute="part", column_name="part", widget=CodeWidget(Part))
    part_name = fields.Field(attribute="part__name", column_name="name", readonly=True)
    unit = fields.Field(attribute="part__unit", column_name="unit", readonly=True)
    recount_requested = fields.Field(attribute="recount_requested", column_name="recount",
                                     readonly=True, widget=YesNoWidget())
    counted_quantity = fields.Field(attribute="counted_quantity", column_name="counted",
                                    widget=IntegerWidget())
    reason = fields.Field(attribute="reason", column_name="reason",
                          widget=ChoiceWidget(VarianceReason))
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = StocktakeLine
        fields = ("stocktake", "part", "part_name", "unit", "recount_requested",
                  "counted_quantity", "reason", "note")
        export_order = fields
        import_id_fields = ("stocktake", "part")
        skip_unchanged = False

    @classmethod
    def get_display_name(cls):
        return _("Count sheet")

    def get_queryset(self):
        return StocktakeLine.objects.select_related("stocktake", "part")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.normalise_column(dataset, "part", _code)
        self._lines = self._lines_of(dataset)

    def _lines_of(self, dataset) -> dict:
        """(stocktake number, part code) -> line, for every stocktake the file names, in
        one query: the key has two columns, which the platform's loader reads one query
        per row (10,000 queries for a warehouse's sheet)."""
        column = self.fields["stocktake"].column_name
        if not dataset.height or column not in (dataset.headers or []):
            return {}
        numbers = {str(v).strip() for v in dataset[column] if v not in (None, "")}
        lines = (StocktakeLine.objects.filter(stocktake__number__in=numbers)
                 .annotate(key_number=F("stocktake__number"), key_code=F("part__code")))
        return {(line.key_number, line.key_code.upper()): line for line in lines}

    def get_instance(self, instance_loader, row):
        lines = getattr(self, "_lines", None)
        if lines is None:
            return super().get_instance(instance_loader, row)
        return lines.get((str(row.get(self.fields["stocktake"].column_name) or "").strip(),
                          _code(row.get(self.fields["part"].column_name))))

    def before_import_row(self, row, **kwargs):
        self.check_duplicate((str(row.get("stocktake")), row.get("part")),
                             kwargs.get("row_number"), "part")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        stocktake = instance.stocktake if instance.stocktake_id else None
        if stocktake is not None and stocktake.state != StocktakeStatus.COUNTING:
            raise ValidationError({"stocktake": _(
                "Stocktake %(number)s is not being counted (it is “%(state)s”).")
                % {"number": stocktake.number, "state": stocktake.get_state_display()}})
        if instance.reason is None:
            instance.reason = ""
        if instance.note is None:
            instance.note = ""

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None and instance.stocktake.snapshot_at:
            from inventory.models.ledger import book_quantity_at

            instance.book_quantity = book_quantity_at(instance.part_id,
                                                      instance.stocktake.warehouse_id,
                                                      instance.stocktake.snapshot_at)


class StocktakeLineResource(CountSheetResource):
    """The count sheet with the book quantities: for whoever may see them (a stocktake
    that is not blind, or its approver once the count is submitted)."""

    book_quantity = fields.Field(attribute="book_quantity", column_name="book", readonly=True,
                                 widget=IntegerWidget())

    class Meta(CountSheetResource.Meta):
        fields = ("stocktake", "part", "part_name", "unit", "book_quantity",
                  "recount_requested", "counted_quantity", "reason", "note")
        export_order = fields

    @classmethod
    def get_display_name(cls):
        return _("Count sheet with book quantities")


# -- exports -------------------------------------------------------------------------------
class StockEntryResource(InventoryResource):
    """The ledger, as a clerk exports it (never imported)."""

    column_labels = {"name": PART_NAME, "value": gettext_lazy("amount")}

    part = fields.Field(attribute="part__code", column_name="part", readonly=True)
    part_name = fields.Field(attribute="part__name", column_name="name", readonly=True)
    warehouse = fields.Field(attribute="warehouse__code", column_name="warehouse", readonly=True)
    ticket = fields.Field(attribute="ticket__number", column_name="ticket", readonly=True)
    recipient = fields.Field(attribute="recipient__username", column_name="recipient",
                             readonly=True)
    actor = fields.Field(attribute="actor__username", column_name="booked_by", readonly=True)
    value = fields.Field(attribute="value", column_name="value", readonly=True,
                         widget=widgets.DecimalWidget())
    reverses = fields.Field(attribute="reverses_id", column_name="reverses", readonly=True)

    class Meta:
        model = StockEntry
        fields = ("id", "posted_at", "part", "part_name", "warehouse", "kind", "quantity",
                  "unit_cost", "value", "reference", "ticket", "recipient", "actor", "note",
                  "reverses")
        export_order = fields

    def get_queryset(self):
        return StockEntry.objects.select_related("part", "warehouse", "ticket", "recipient",
                                                 "actor")


class StockBalanceResource(InventoryResource):
    """The on-hand list per part × warehouse (export only)."""

    column_labels = {"name": PART_NAME,
                     "part_total": gettext_lazy("on hand, all warehouses")}

    part = fields.Field(attribute="part__code", column_name="part", readonly=True)
    part_name = fields.Field(attribute="part__name", column_name="name", readonly=True)
    specification = fields.Field(attribute="part__specification", column_name="specification",
                                 readonly=True)
    unit = fields.Field(attribute="part__unit", column_name="unit", readonly=True)
    warehouse = fields.Field(attribute="warehouse__code", column_name="warehouse", readonly=True)
    reorder_point = fields.Field(attribute="part__reorder_point", column_name="reorder_point",
                                 readonly=True)
    part_total = fields.Field(attribute="part_total", column_name="part_total", readonly=True)

    class Meta:
        model = StockBalance
        fields = ("part", "part_name", "specification", "unit", "warehouse", "quantity",
                  "part_total", "reorder_point")
        export_order = fields

    def get_queryset(self):
        from inventory.selectors import balance_with_part_total

        return balance_with_part_total(StockBalance.objects.select_related("part", "warehouse"))


class RequisitionResource(InventoryResource):
    ticket = fields.Field(attribute="ticket__number", column_name="ticket", readonly=True)
    requester = fields.Field(attribute="requester__username", column_name="engineer",
                             readonly=True)
    warehouse = fields.Field(attribute="warehouse__code", column_name="warehouse", readonly=True)

    class Meta:
        model = Requisition
        fields = ("number", "state", "ticket", "requester", "warehouse", "needed_by", "purpose",
                  "submitted_at", "issued_at", "received_at", "closed_at")
        export_order = fields


class ScrapRequestResource(InventoryResource):
    part = fields.Field(attribute="part__code", column_name="part", readonly=True)
    warehouse = fields.Field(attribute="warehouse__code", column_name="warehouse", readonly=True)
    requester = fields.Field(attribute="requester__username", column_name="filed_by",
                             readonly=True)

    class Meta:
        model = ScrapRequest
        fields = ("number", "state", "part", "warehouse", "quantity", "reason", "description",
                  "requester", "approved_at")
        export_order = fields


class PurchaseOrderResource(InventoryResource):
    column_labels = {"total": gettext_lazy("total")}

    supplier = fields.Field(attribute="supplier__code", column_name="supplier", readonly=True)
    amount_total = fields.Field(attribute="amount_total", column_name="total", readonly=True,
                                widget=widgets.DecimalWidget())

    class Meta:
        model = PurchaseOrder
        fields = ("number", "state", "urgent", "supplier", "order_date", "expected_date",
                  "amount_total", "approved_at", "budget_note")
        export_order = fields

    def get_queryset(self):
        return PurchaseOrder.objects.with_amounts().select_related("supplier")
