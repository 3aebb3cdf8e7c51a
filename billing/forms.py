"""Dialog forms behind the billing workflow buttons."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from backoffice.platform.forms import TransitionForm
from billing import selectors
from billing.money import format_money


class ReasonForm(TransitionForm):
    """Reject / return / decline: the reason is required and goes to the document and the
    journal alike."""

    note = forms.CharField(label=_("Reason"), required=True,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def transition_kwargs(self):
        return {"reason": self.cleaned_data["note"]}


def claim_budget_rows(claim):
    """Per (year, category) the claim spends in: the budget left and what this claim
    would leave, so the approver sees the overrun before deciding."""
    rows = []
    for year, category, amount, _last in claim.spend_by_year_category():
        budget = selectors.approved_budget(year)
        figures = selectors.category_position(year, category, budget=budget, exclude=claim)
        after = figures.remaining - amount
        rows.append({"year": year, "label": figures.label, "policy": figures.policy_label,
                     "policy_key": figures.policy,
                     "amount": format_money(amount), "current": format_money(figures.current),
                     "used": format_money(figures.used),
                     "remaining": format_money(figures.remaining),
                     "after": format_money(after), "over": after < 0,
                     "has_budget": budget is not None})
    return rows


class ClaimApproveForm(TransitionForm):
    """Approval with the budget figures in front of the manager."""

    confirm_overrun = forms.BooleanField(
        label=_("Confirm budget overrun"), required=False, widget=UnfoldBooleanSwitchWidget,
        help_text=_("Needed when a category with a “warn” policy would exceed its budget; "
                    "your confirmation is recorded."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirm_overrun", "note"])

    form_before_template = "billing/claim_budget.html"

    def get_before_template_context(self, request, object_id=None):
        from billing.models import ExpenseClaim

        claim = (ExpenseClaim.objects.visible_to(request.user).filter(pk=object_id).first()
                 if object_id else None)
        return {"rows": claim_budget_rows(claim) if claim else [], "claim": claim}


class PayForm(TransitionForm):
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=100,
                                        widget=UnfoldAdminTextInputWidget,
                                        help_text=_("Bank transfer or voucher number."))
    paid_on = forms.DateField(label=_("Paid on"), widget=UnfoldAdminSingleDateWidget,
                              initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["payment_reference", "paid_on", "note"])


class ChargeAcceptForm(TransitionForm):
    accepted_by = forms.CharField(label=_("Accepted by (customer's name)"), max_length=100,
                                  widget=UnfoldAdminTextInputWidget)
    customer_reference = forms.CharField(label=_("Customer's order or contract number"),
                                         max_length=100, required=False,
                                         widget=UnfoldAdminTextInputWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["accepted_by", "customer_reference", "note"])
