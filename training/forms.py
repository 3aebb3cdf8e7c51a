"""Dialog forms of the training and appraisal buttons."""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldBooleanSwitchWidget

from backoffice.platform.forms import BudgetSubmitForm, TransitionForm


class PlanSubmitForm(BudgetSubmitForm):
    """Submit: the training budget in front of whoever submits; a "warn" overrun is
    confirmed."""

    @property
    def model(self):
        from training.models import TrainingPlan

        return TrainingPlan


class ApprovePlanForm(TransitionForm):
    confirm_over_budget = forms.BooleanField(
        label=_("Approve even if the training budget warns"), required=False,
        widget=UnfoldBooleanSwitchWidget,
        help_text=_("Only needed when a first attempt reported that the plan exceeds the "
                    "remaining training budget."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirm_over_budget", "note"])


class AcknowledgeForm(TransitionForm):
    """The employee signs off their appraisal, optionally with a comment kept on it."""

    employee_comment = forms.CharField(label=_("Your comment (optional)"), required=False,
                                       widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["note"]


class ConfirmDialogForm(BaseDialogForm):
    """A plain "are you sure" dialog: the action runs on its POST, never on a GET link."""
