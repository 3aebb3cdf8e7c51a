"""Spreadsheets of the billing app (xlsx, csv): preview, then confirm; one bad row imports
nothing. States, totals, approvals and payments are never importable."""

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields
from import_export.instance_loaders import ModelInstanceLoader

from backoffice.desk.models import Customer, Ticket
from backoffice.platform.resources import (
    BackofficeResource,
    ChoiceWidget,
    DateWidget,
    DecimalWidget,
    LookupWidget,
)
from billing.models import (
    Budget,
    BudgetAdjustment,
    BudgetLine,
    CustomerCharge,
    ExpenseClaim,
    ExpenseLine,
)
from billing.workflows import BudgetPeriod, ExpenseCategory

User = get_user_model()


def _text(row, key):
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _year(value):
    try:
        return int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        return None


class BudgetLineResource(BackofficeResource):
    """Budget lines keyed by (year, category, period); only draft or returned budgets."""

    column_labels = {"year": gettext_lazy("fiscal year")}
    template_example = {"category": "travel", "amount": "120000.00", "note": "全年差旅"}

    year = fields.Field(attribute="budget", column_name="year",
                        widget=LookupWidget(Budget, field="year"))
    category = fields.Field(attribute="category", column_name="category",
                            widget=ChoiceWidget(ExpenseCategory))
    period = fields.Field(attribute="period", column_name="period",
                          widget=ChoiceWidget(BudgetPeriod))
    amount = fields.Field(attribute="amount", column_name="amount", widget=DecimalWidget())

    class Meta:
        model = BudgetLine
        fields = ("year", "category", "period", "amount", "note")
        export_order = fields
        import_id_fields = ("year", "category", "period")
        # a composite key: looked up row by row (a budget has a few dozen lines)
        instance_loader_class = ModelInstanceLoader

    def before_import_row(self, row, **kwargs):
        year = _year(row.get("year"))
        if year is None:
            raise ValidationError({"year": _("Give the fiscal year, e.g. 2026.")})
        budget = Budget.objects.filter(year=year).first()
        if budget is None:
            raise ValidationError({"year": _("There is no budget for %(year)s: create it "
                                             "first.") % {"year": year}})
        if not budget.is_editable:
            raise ValidationError({"year": _("The %(year)s budget is %(state)s: change it "
                                             "through an adjustment.")
                                   % {"year": year, "state": budget.get_state_display()}})
        row["year"] = year
        if not _text(row, "period"):
            row["period"] = BudgetPeriod.YEAR
        # category and period are part of the row's key: check them here so that a bad
        # value is a row error naming its column, not a failure of the lookup
        for column in ("category", "period"):
            try:
                if self.fields[column].widget.clean(row.get(column)) is None:
                    raise ValueError(_("This field is required."))
            except ValueError as exc:
                raise ValidationError({column: str(exc)}) from None


class BudgetResource(BackofficeResource):
    """Export of budget headers (their lines have their own spreadsheet)."""

    prepared_by = fields.Field(attribute="prepared_by__username", column_name="prepared_by",
                               readonly=True)
    approved_by = fields.Field(attribute="approved_by__username", column_name="approved_by",
                               readonly=True)

    class Meta:
        model = Budget
        fields = ("year", "title", "state", "prepared_by", "approved_by", "approved_at", "notes")
        export_order = fields
        import_id_fields = ("year",)


class BudgetAdjustmentResource(BackofficeResource):
    year = fields.Field(attribute="budget__year", column_name="year", readonly=True)
    requested_by = fields.Field(attribute="requested_by__username", column_name="requested_by",
                                readonly=True)
    decided_by = fields.Field(attribute="decided_by__username", column_name="decided_by",
                              readonly=True)

    class Meta:
        model = BudgetAdjustment
        fields = ("number", "year", "kind", "from_category", "category", "amount", "reason",
                  "state", "requested_by", "decided_by", "decided_at", "rejection_reason")
        export_order = fields
        import_id_fields = ("number",)


class ExpenseClaimResource(BackofficeResource):
    """Claim headers. Importing creates draft claims of the importing user (leave
    ``number`` empty) or updates the purpose and notes of their own editable claims."""

    never_import = (*BackofficeResource.never_import, "total", "submitted_at", "approved_at",
                    "paid_on", "payment_reference", "budget_note", "rejection_reason")
    template_example = {"title": "三月上门服务差旅"}

    claimant = fields.Field(attribute="claimant__username", column_name="claimant",
                            readonly=True)
    approved_by = fields.Field(attribute="approved_by__username", column_name="decided_by",
                               readonly=True)

    class Meta:
        model = ExpenseClaim
        fields = ("number", "claimant", "title", "notes", "total", "state", "submitted_at",
                  "approved_by", "approved_at", "paid_on", "payment_reference")
        export_order = fields
        import_id_fields = ("number",)

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.claimant = getattr(self, "_import_user", None)
        return instance

    def before_import_row(self, row, **kwargs):
        user = getattr(self, "_import_user", None)
        if user is None:
            raise ValidationError(_("Claims are imported by a signed-in user."))
        number = _text(row, "number")
        if number:
            claim = ExpenseClaim.objects.filter(number=number).first()
            if claim is None:
                raise ValidationError({"number": _("No expense claim “%(number)s”; leave the "
                                                   "number empty for a new claim.")
                                       % {"number": number}})
            if claim.claimant_id != user.pk:
                raise ValidationError({"number": _("Claim %(number)s is not yours.")
                                       % {"number": number}})
            if not claim.is_editable:
                raise ValidationError({"number": _("Claim %(number)s is %(state)s and can no "
                                                   "longer change.")
                                       % {"number": number, "state": claim.get_state_display()}})


class ExpenseLineResource(BackofficeResource):
    """Claim lines, flattened with their claim's header on export. Importing adds lines to
    (or, with their ``id``, changes lines of) the importer's own draft or rejected claims;
    receipts are attached on the claim page afterwards."""

    never_import = (*BackofficeResource.never_import, "receipt")
    template_example = {"category": "travel", "description": "高铁 上海—杭州", "amount": "73.00",
                        "ticket": "", "customer": ""}

    claim = fields.Field(attribute="claim", column_name="claim",
                         widget=LookupWidget(ExpenseClaim, field="number"))
    claimant = fields.Field(attribute="claim__claimant__username", column_name="claimant",
                            readonly=True)
    claim_title = fields.Field(attribute="claim__title", column_name="purpose", readonly=True)
    claim_state = fields.Field(attribute="claim__state", column_name="claim_state",
                               readonly=True)
    date = fields.Field(attribute="date", column_name="date", widget=DateWidget())
    category = fields.Field(attribute="category", column_name="category",
                            widget=ChoiceWidget(ExpenseCategory))
    amount = fields.Field(attribute="amount", column_name="amount", widget=DecimalWidget())
    ticket = fields.Field(attribute="ticket", column_name="ticket",
                          widget=LookupWidget(Ticket, field="number"))
    customer = fields.Field(attribute="customer", column_name="customer",
                            widget=LookupWidget(Customer, field="code"))
    receipt = fields.Field(attribute="receipt", column_name="receipt", readonly=True)

    class Meta:
        model = ExpenseLine
        fields = ("id", "claim", "claimant", "claim_title", "claim_state", "date", "category",
                  "description", "amount", "ticket", "customer", "receipt")
        export_order = fields
        import_id_fields = ("id",)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if dataset.headers and "id" not in dataset.headers:
            dataset.append_col([""] * len(dataset), header="id")
        self._touched_claims = set()

    def get_instance(self, instance_loader, row):
        if not _text(row, "id"):
            return None
        return super().get_instance(instance_loader, row)

    def before_import_row(self, row, **kwargs):
        user = getattr(self, "_import_user", None)
        number = _text(row, "claim")
        claim = ExpenseClaim.objects.filter(number=number).first() if number else None
        if claim is None:
            raise ValidationError({"claim": _("No expense claim “%(number)s”.")
                                   % {"number": number}})
        if user is not None and claim.claimant_id != user.pk:
            raise ValidationError({"claim": _("Claim %(number)s is not yours.")
                                   % {"number": number}})
        if not claim.is_editable:
            raise ValidationError({"claim": _("Claim %(number)s is %(state)s and can no longer "
                                              "change.")
                                   % {"number": number, "state": claim.get_state_display()}})
        line_id = _text(row, "id")
        if line_id:
            try:  # "twelve": said so, on the id column
                line_pk = self.fields["id"].clean(row)
            except ValueError as exc:
                raise ValidationError({"id": str(exc)}) from None
            if not ExpenseLine.objects.filter(pk=line_pk, claim=claim).exists():
                raise ValidationError({"id": _("Line %(id)s is not a line of claim %(number)s; "
                                               "leave the id empty for a new line.")
                                       % {"id": line_id, "number": number}})
        for column, model, key in (("ticket", Ticket, "number"), ("customer", Customer, "code")):
            value = _text(row, column)
            if value and not model.objects.filter(**{key: value}).exists():
                raise ValidationError({column: _("No %(model)s “%(value)s”.")
                                       % {"model": model._meta.verbose_name, "value": value}})
        self._touched_claims.add(claim.pk)

    def after_import(self, dataset, result, **kwargs):
        """Lines changed: store the new totals on their claims (rolled back on dry runs)."""
        super().after_import(dataset, result, **kwargs)
        if result.has_errors() or result.has_validation_errors():
            return
        from billing.services import claim_recompute_total

        for claim in ExpenseClaim.objects.filter(pk__in=self._touched_claims):
            claim_recompute_total(claim)


class CustomerChargeResource(BackofficeResource):
    ticket = fields.Field(attribute="ticket__number", column_name="ticket", readonly=True)
    customer = fields.Field(attribute="customer__code", column_name="customer", readonly=True)
    created_by = fields.Field(attribute="created_by__username", column_name="created_by",
                              readonly=True)

    class Meta:
        model = CustomerCharge
        fields = ("number", "ticket", "customer", "kind", "title", "amount", "currency",
                  "effort_days", "valid_until", "state", "sent_at", "decided_at",
                  "accepted_by", "customer_reference", "decline_reason", "created_by")
        export_order = fields
        import_id_fields = ("number",)
