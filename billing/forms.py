"""Dialog forms behind the billing workflow buttons."""

from django import forms
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from backoffice.platform.forms import BudgetSubmitForm, TransitionForm
from billing import receipts, selectors
from billing.models import ExpenseLine
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


class ClaimSubmitForm(BudgetSubmitForm):
    """Submit: the claimant sees the budget position and confirms a "warn" overrun."""

    def document(self, request, object_id):
        from billing.models import ExpenseClaim

        return ExpenseClaim.objects.visible_to(request.user).filter(pk=object_id).first()


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


# -- expense lines: the receipt survives a form error --------------------------------------
class KeptReceiptWidget(UnfoldAdminFileFieldWidget):
    """The receipt input; after an error, also the receipt kept from the post (a hidden
    signed token, and "Receipt kept: name.pdf" so the user knows not to upload again)."""

    #: (token, original file name), set by the form when it keeps or reuses a receipt
    kept = None

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.kept:
            return html
        token, original = self.kept
        return format_html(
            '{}<input type="hidden" name="{}" value="{}">'
            '<p class="kept-receipt text-xs text-primary-600 mt-1">{}</p>',
            html, name + ExpenseLineForm.KEPT_SUFFIX, token,
            _("Receipt kept: %(name)s") % {"name": original})


class ExpenseLineForm(forms.ModelForm):
    """A claim line whose checked receipt is kept when the page comes back with an error
    (in this line or anywhere else on the page): saving the corrected page attaches it
    without a new upload. The kept file is checked again (type, size, content) when it is
    attached, and only by the user who uploaded it."""

    KEPT_SUFFIX = "_kept"
    #: the signed-in user (see :func:`expense_line_form`); without one nothing is kept
    user = None

    class Meta:
        model = ExpenseLine
        fields = ["claim", "date", "category", "description", "amount", "receipt", "ticket",
                  "customer"]  # the pages name theirs

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending = []  # pending receipt files to remove once the line is saved
        field = self.fields.get("receipt")
        if field is not None:
            field.widget = KeptReceiptWidget(attrs=field.widget.attrs)

    def _posted(self, suffix=""):
        key = self.add_prefix("receipt") + suffix
        return (self.files if not suffix else self.data).get(key) if self.is_bound else None

    def has_changed(self):
        """A kept receipt is a change: the row is validated and saved."""
        return super().has_changed() or bool("receipt" in self.fields
                                             and self._posted(self.KEPT_SUFFIX))

    def clean(self):
        cleaned = super().clean()
        token = self._posted(self.KEPT_SUFFIX) if "receipt" in self.fields else None
        if not token:
            return cleaned
        kept = receipts.kept_upload(token, self.user)
        if self._posted() is not None or cleaned.get("receipt") is False:
            if kept:  # replaced by a new upload or cleared: the kept copy goes
                self._pending.append(kept[0])
            return cleaned
        if kept is None:
            self.add_error("receipt", _("The receipt kept from your earlier attempt can no "
                                        "longer be used; choose the file again."))
            return cleaned
        name, original = kept
        with receipts.receipt_storage().open(name, "rb") as stored:
            cleaned["receipt"] = ContentFile(stored.read(), name=original)
        self._pending.append(name)
        self.fields["receipt"].widget.kept = (token, original)
        return cleaned

    def full_clean(self):
        super().full_clean()
        if "receipt" not in self.fields or not self.is_bound:
            return
        widget, upload = self.fields["receipt"].widget, self._posted()
        if self.has_error("receipt"):
            widget.kept = None  # a receipt that fails its checks is not offered again
        elif (upload is not None and self.user is not None
              and self.cleaned_data.get("receipt") is upload):
            # checked (ReceiptValidator ran in _post_clean): kept in case the page comes
            # back with an error; removed once the line is saved with its own copy
            name, token = receipts.keep_upload(upload, self.user)
            self._pending.append(name)
            widget.kept = (token, upload.name)

    def save(self, commit=True):
        line = super().save(commit)
        pending, self._pending = self._pending, []
        for name in pending:  # the line has its own copy now (or none was wanted)
            transaction.on_commit(lambda name=name: receipts.discard_kept(name))
        return line


def expense_line_form(user, form=ExpenseLineForm):
    """The line form for this user (whose kept receipts it may attach)."""
    return type(form.__name__, (form,), {"user": user, "__module__": form.__module__})
