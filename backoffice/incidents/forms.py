"""Admin forms (tickets by number) and the dialogs of the incident and problem pages."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.desk.models import ProductVersion, Ticket
from backoffice.incidents.models import Incident, PlanStep, Problem
from backoffice.incidents.selectors import open_incidents_for
from backoffice.incidents.services import tickets_by_numbers
from backoffice.incidents.workflows import NoticeKind
from backoffice.platform.forms import TransitionForm


class _TicketNumbersForm(forms.ModelForm):
    """A document's form with a box for ticket numbers to add (the service links them)."""

    attach_tickets = forms.CharField(
        label=_("Add tickets (numbers)"), required=False, widget=UnfoldAdminTextInputWidget,
        help_text=_("Ticket numbers separated by spaces or commas, e.g. SR202612-00012."))

    def clean_attach_tickets(self):
        return tickets_by_numbers(self.cleaned_data.get("attach_tickets", ""))


class IncidentForm(_TicketNumbersForm):
    class Meta:
        model = Incident
        fields = ["title", "kind", "severity", "description", "plan", "commander",
                  "started_at", "products", "versions", "customers", "root_cause",
                  "timeline_summary", "went_well", "went_badly"]


class ProblemForm(_TicketNumbersForm):
    class Meta:
        model = Problem
        fields = ["title", "product", "versions", "owner", "root_cause", "workaround",
                  "article", "bug_reference", "fixed_in"]


class _ObjectDialogForm(BaseDialogForm):
    model = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj = self.model.objects.filter(pk=self.object_id).first()


class IncidentActionForm(_ObjectDialogForm):
    model = Incident
    text = forms.CharField(label=_("What was done"),
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))
    plan_step = forms.ModelChoiceField(label=_("Plan step done"), required=False,
                                       queryset=PlanStep.objects.none(),
                                       widget=UnfoldAdminSelectWidget)
    at = forms.SplitDateTimeField(label=_("At"), initial=timezone.now, required=False,
                                  widget=UnfoldAdminSplitDateTimeWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None and self.obj.plan_id:
            self.fields["plan_step"].queryset = self.obj.plan.steps.all()
            step = self.obj.next_step()
            self.fields["plan_step"].initial = step.pk if step else None

    def clean_at(self):
        at = self.cleaned_data.get("at")
        if at and at > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("An action cannot be recorded in the future."))
        return at


class IncidentNoticeForm(_ObjectDialogForm):
    model = Incident
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices,
                             widget=UnfoldAdminSelectWidget)
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              widget=UnfoldAdminTextInputWidget)
    body = forms.CharField(label=_("Text"), widget=UnfoldAdminTextareaWidget(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            resolved = self.obj.state == "resolved"
            self.fields["kind"].initial = (NoticeKind.ALL_CLEAR if resolved else
                                           NoticeKind.UPDATE if self.obj.notices.exists()
                                           else NoticeKind.FIRST)
            self.fields["subject"].initial = self.obj.title


class AttachToIncidentForm(BaseDialogForm):
    incident = forms.ModelChoiceField(label=_("Open incident"), queryset=Incident.objects.none(),
                                      widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = Ticket.objects.filter(pk=self.object_id).first()
        if ticket is not None:
            choices = open_incidents_for(ticket)
            self.fields["incident"].queryset = Incident.objects.open()
            self.fields["incident"].choices = [(i.pk, str(i)) for i in choices]


class LinkToProblemForm(BaseDialogForm):
    problem = forms.ModelChoiceField(label=_("Problem record"), required=False,
                                     queryset=Problem.objects.none(),
                                     widget=UnfoldAdminSelectWidget)
    number = forms.CharField(label=_("…or its number"), required=False, max_length=32,
                             widget=UnfoldAdminTextInputWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = Ticket.objects.filter(pk=self.object_id).first()
        problems = Problem.objects.exclude(state="closed")
        if ticket is not None and ticket.product_id:
            problems = problems.filter(product=ticket.product_id)
        self.fields["problem"].queryset = problems.order_by("-created_at")

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("number") or "").strip().upper()
        if number:
            cleaned["problem"] = Problem.objects.filter(number=number).first()
            if cleaned["problem"] is None:
                self.add_error("number", _("No problem record has this number."))
        elif not cleaned.get("problem"):
            self.add_error("problem", _("Choose a problem record or type its number."))
        return cleaned


class ProblemFixedForm(TransitionForm):
    fixed_in = forms.ModelChoiceField(label=_("Fixed in version"),
                                      queryset=ProductVersion.objects.none(),
                                      widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        problem = Problem.objects.filter(pk=self.object_id).first()
        if problem is not None:
            self.fields["fixed_in"].queryset = problem.product.versions.all()
            self.fields["fixed_in"].initial = problem.fixed_in_id
        self.order_fields(["fixed_in", "note"])
