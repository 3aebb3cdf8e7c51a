"""Dialog forms of the maintenance, update-notice and follow-up workflow buttons."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.care.workflows import CallOutcome, NoticeChannel
from backoffice.platform.forms import TransitionForm

RATING_CHOICES = [("", "-"), (5, _("5 - very satisfied")), (4, _("4 - satisfied")),
                  (3, _("3 - neutral")), (2, _("2 - dissatisfied")),
                  (1, _("1 - very dissatisfied"))]


def _textarea():
    return UnfoldAdminTextareaWidget(attrs={"rows": 3})


class VisitAppointmentForm(TransitionForm):
    appointment = forms.SplitDateTimeField(label=_("Appointment"),
                                           widget=UnfoldAdminSplitDateTimeWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["appointment", "note"])


class VisitRecordForm(TransitionForm):
    performed_on = forms.DateField(label=_("Performed on"), initial=timezone.localdate,
                                   widget=UnfoldAdminSingleDateWidget)
    findings = forms.CharField(label=_("Findings"), widget=_textarea(),
                               help_text=_("What you checked and what you found."))
    work_done = forms.CharField(label=_("Work done"), required=False, widget=_textarea())
    signed_by = forms.CharField(label=_("Signed by (customer)"), required=False,
                                max_length=100, widget=UnfoldAdminTextInputWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["performed_on", "findings", "work_done", "signed_by", "note"])

    def clean_performed_on(self):
        day = self.cleaned_data["performed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be recorded in the future."))
        return day


class RecipientNotifyForm(TransitionForm):
    channel = forms.ChoiceField(label=_("Notified by"), choices=NoticeChannel.choices,
                                widget=UnfoldAdminSelectWidget)
    contact_person = forms.CharField(label=_("Contact person"), required=False,
                                     max_length=100, widget=UnfoldAdminTextInputWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["channel", "contact_person", "note"])


class RecipientUpdatedForm(TransitionForm):
    updated_on = forms.DateField(label=_("Updated on"), initial=timezone.localdate,
                                 widget=UnfoldAdminSingleDateWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["updated_on", "note"])


class FollowUpRecordForm(TransitionForm):
    outcome = forms.ChoiceField(label=_("Call outcome"), choices=CallOutcome.choices,
                                widget=UnfoldAdminSelectWidget)
    rating = forms.TypedChoiceField(label=_("Satisfaction"), choices=RATING_CHOICES,
                                    coerce=int, empty_value=None, required=False,
                                    widget=UnfoldAdminSelectWidget)
    remarks = forms.CharField(label=_("Remarks"), required=False, widget=_textarea())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["outcome", "rating", "remarks", "note"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") in {CallOutcome.SATISFIED, CallOutcome.PROBLEM_PERSISTS} \
                and not cleaned.get("rating"):
            self.add_error("rating", _("Ask the customer for a rating from 1 to 5."))
        if cleaned.get("outcome") == CallOutcome.PROBLEM_PERSISTS \
                and not (cleaned.get("remarks") or "").strip():
            self.add_error("remarks", _("Describe what is still wrong: it opens a new ticket."))
        return cleaned
