"""Dialog forms of the spare-parts workflow buttons and detail actions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from backoffice.platform.forms import BudgetSubmitForm, TransitionForm


class QualifySupplierForm(TransitionForm):
    qualified_until = forms.DateField(label=_("Qualified until"),
                                      widget=UnfoldAdminSingleDateWidget)
    evaluation = forms.CharField(label=_("Evaluation"), required=False,
                                 widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
                                 help_text=_("Licences checked, samples tested, references."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["qualified_until", "evaluation", "note"])


class OrderSubmitForm(BudgetSubmitForm):
    """Submit: the parts budget in front of the buyer; a "warn" overrun is confirmed."""

    @property
    def model(self):
        from inventory.models import PurchaseOrder

        return PurchaseOrder


class ApproveOrderForm(TransitionForm):
    confirm_budget_overrun = forms.BooleanField(
        label=_("Confirm budget overrun"), required=False, widget=UnfoldBooleanSwitchWidget,
        help_text=_("Tick only after a budget warning, to approve the order anyway."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirm_budget_overrun", "note"])


class _PerLineForm(TransitionForm):
    """A quantity field per document line (built from the dialog's object id)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = {}
        for line_id, label, left in self.open_lines():
            name = f"line_{line_id}"
            self.fields[name] = forms.IntegerField(
                label=label, min_value=0, max_value=left, initial=self.initial_for(left),
                required=False, widget=UnfoldAdminIntegerFieldWidget)
            self.line_fields[name] = line_id
        self.order_fields([*self.line_fields, *self.extra_fields, "note"])

    extra_fields: list[str] = []

    def open_lines(self):  # -> iterable of (line id, label, quantity left)
        return []

    def initial_for(self, left):
        return left

    def transition_kwargs(self):
        data = self.cleaned_data
        kwargs = {"quantities": {line_id: data.get(name) or 0
                                 for name, line_id in self.line_fields.items()}}
        for name in self.extra_fields:
            kwargs[name] = data.get(name, "")
        return kwargs


class ReceiveDeliveryForm(_PerLineForm):
    delivery_note = forms.CharField(label=_("Delivery note number"), required=False,
                                    max_length=100, widget=UnfoldAdminTextInputWidget)
    extra_fields = ["delivery_note"]

    def open_lines(self):
        from inventory.models import PurchaseOrder

        order = PurchaseOrder.objects.filter(pk=self.object_id).first()
        if order is None:
            return []
        received = order.received_by_line()
        for line in order.lines.select_related("part"):
            left = line.quantity - received.get(line.pk, 0)
            if left > 0:
                yield (line.pk, _("%(part)s (%(left)s of %(ordered)s still due)")
                       % {"part": line.part, "left": left, "ordered": line.quantity}, left)


class ReturnPartsForm(_PerLineForm):
    def open_lines(self):
        from inventory.models import Requisition

        requisition = Requisition.objects.filter(pk=self.object_id).first()
        if requisition is None:
            return []
        taken = requisition.taken_by_line()
        for line in requisition.lines.select_related("part"):
            slot = taken.get(line.pk, {"issued": 0, "returned": 0})
            left = slot["issued"] - slot["returned"]
            if left > 0:
                yield (line.pk, _("%(part)s (%(left)s taken, not returned)")
                       % {"part": line.part, "left": left}, left)

    def initial_for(self, left):
        return 0


class ReverseEntryForm(BaseDialogForm):
    reason = forms.CharField(label=_("Why is this line wrong?"), max_length=200,
                             widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))


class ConfirmDialogForm(BaseDialogForm):
    """A dialog that only asks for confirmation (a POST with CSRF, never a GET link)."""
