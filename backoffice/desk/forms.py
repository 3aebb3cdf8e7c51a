"""Dialog forms of the ticket workflow buttons."""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from backoffice.desk.selectors import engineers
from backoffice.desk.workflows import RequirementDecision, SupportLevel
from backoffice.platform.forms import TransitionForm


class EngineerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class AssignForm(TransitionForm):
    assignee = EngineerChoiceField(queryset=None, label=_("Engineer"),
                                   widget=UnfoldAdminSelectWidget)
    support_level = forms.TypedChoiceField(label=_("Support level"), coerce=int,
                                           choices=SupportLevel.choices, initial=1,
                                           widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers()
        self.order_fields(["assignee", "support_level", "note"])


class EscalateForm(TransitionForm):
    assignee = EngineerChoiceField(queryset=None, label=_("Hand over to"), required=False,
                                   widget=UnfoldAdminSelectWidget,
                                   help_text=_("Leave empty to keep the current engineer."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers()
        self.order_fields(["assignee", "note"])


class VisitForm(TransitionForm):
    visit_at = forms.SplitDateTimeField(label=_("Appointment"),
                                        widget=UnfoldAdminSplitDateTimeWidget)
    visit_address = forms.CharField(label=_("Address"), required=False,
                                    widget=UnfoldAdminTextInputWidget,
                                    help_text=_("Empty: the customer's address."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["visit_at", "visit_address", "note"])


class VisitDoneForm(TransitionForm):
    findings = forms.CharField(label=_("Findings on site"), required=False,
                               widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))


class RequirementForm(TransitionForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=RequirementDecision.choices,
                                 widget=UnfoldAdminSelectWidget)
    chargeable = forms.BooleanField(label=_("Charge the customer"), required=False,
                                    widget=UnfoldBooleanSwitchWidget)
    planned_for = forms.DateField(label=_("Planned for"), required=False,
                                  widget=UnfoldAdminSingleDateWidget)
    effort_days = forms.DecimalField(label=_("Effort (person-days)"), required=False,
                                     min_value=0, max_digits=7, decimal_places=1,
                                     widget=UnfoldAdminDecimalFieldWidget)
    approach = forms.CharField(label=_("Approach"), required=False,
                               widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))
    assignee = EngineerChoiceField(queryset=None, label=_("Engineer"), required=False,
                                   widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers()


class ConfirmForm(TransitionForm):
    confirmed_by = forms.CharField(label=_("Confirmed by (customer's name)"), max_length=100,
                                   widget=UnfoldAdminTextInputWidget)
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), coerce=int, widget=UnfoldAdminSelectWidget,
        choices=[(5, _("5 - very satisfied")), (4, _("4 - satisfied")), (3, _("3 - neutral")),
                 (2, _("2 - dissatisfied")), (1, _("1 - very dissatisfied"))])
    feedback = forms.CharField(label=_("Customer feedback"), required=False,
                               widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirmed_by", "satisfaction", "feedback", "note"])


class FileMailForm(TransitionForm):
    """Files a mail of an unknown sender for the customer the clerk recognised: it becomes
    a ticket of that customer."""

    customer = forms.ModelChoiceField(queryset=None, label=_("Customer"),
                                      widget=UnfoldAdminSelectWidget)
    contact = forms.ModelChoiceField(queryset=None, label=_("Contact"), required=False,
                                     widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        from backoffice.desk.models import Contact, Customer

        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(is_active=True)
        self.fields["contact"].queryset = Contact.objects.select_related("customer")
        self.order_fields(["customer", "contact", "note"])

    def clean(self):
        data = super().clean()
        contact, customer = data.get("contact"), data.get("customer")
        if contact and customer and contact.customer_id != customer.pk:
            self.add_error("contact", _("This contact belongs to another customer."))
        return data
