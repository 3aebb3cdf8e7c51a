"""Dialog forms of the ticket workflow buttons."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from signature_pad.fields import SignaturePadWidget, validate_png_data_url
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from backoffice.desk.models import CallSpotCheck, ProductVersion, TicketAttachment, TicketMessage
from backoffice.desk.selectors import engineers, engineers_with_open_tickets
from backoffice.desk.workflows import (
    MAX_HOURS_PER_ENTRY,
    Channel,
    ConfirmationOutcome,
    MessageDirection,
    Priority,
    RequirementDecision,
    SupportLevel,
)
from backoffice.platform.forms import TransitionForm
from backoffice.platform.people import display_name

#: how a message reached or left the customer (a web form is a ticket's channel, not a message's)
MESSAGE_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.WEB]


class EngineerChoiceField(forms.ModelChoiceField):
    """An engineer by name, with the open tickets they hold when the queryset counts them
    (``selectors.engineers_with_open_tickets``)."""

    def label_from_instance(self, user):
        count = getattr(user, "open_tickets", None)
        if count is None:
            return display_name(user)
        return _("%(name)s (%(count)d open)") % {"name": display_name(user), "count": count}


class TicketForm(forms.ModelForm):
    """The ticket's page: its contact is the customer's, its version the product's (the
    pickers offer only those; this refuses a forged or stale choice)."""

    def clean(self):
        data = super().clean()
        customer, contact = data.get("customer"), data.get("contact")
        if contact and customer and contact.customer_id != customer.pk:
            self.add_error("contact", _("This contact belongs to another customer."))
        product, version = data.get("product"), data.get("product_version")
        if version and product and version.product_id != product.pk:
            self.add_error("product_version", _("This version belongs to another product."))
        return data

    class Media:
        js = ["backoffice/js/forward_autocomplete.js"]


class AssignForm(TransitionForm):
    assignee = EngineerChoiceField(queryset=None, label=_("Engineer"),
                                   widget=UnfoldAdminSelectWidget)
    support_level = forms.TypedChoiceField(label=_("Support level"), coerce=int,
                                           choices=SupportLevel.choices, initial=1,
                                           widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers_with_open_tickets()
        self.order_fields(["assignee", "support_level", "note"])


class EscalateForm(TransitionForm):
    assignee = EngineerChoiceField(queryset=None, label=_("Hand over to"), required=False,
                                   widget=UnfoldAdminSelectWidget,
                                   help_text=_("Leave empty to keep the current engineer."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers_with_open_tickets()
        self.order_fields(["assignee", "note"])


class RndForm(TransitionForm):
    reference = forms.CharField(label=_("Bug / issue reference"), max_length=100,
                                widget=UnfoldAdminTextInputWidget,
                                help_text=_("The R&D bug tracker's number or link."))
    target_version = forms.ModelChoiceField(queryset=None, label=_("Fixed in version"),
                                            required=False, widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_version"].queryset = (
            ProductVersion.objects.select_related("product").order_by("product__code", "-id"))
        self.order_fields(["reference", "target_version", "note"])


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
        self.fields["assignee"].queryset = engineers_with_open_tickets()


#: the five ratings, best first (no default: the customer gives one, nobody presets it)
RATINGS = [(5, _("5 - very satisfied")), (4, _("4 - satisfied")), (3, _("3 - neutral")),
           (2, _("2 - dissatisfied")), (1, _("1 - very dissatisfied"))]


class ConfirmForm(TransitionForm):
    """The customer's confirmation taken on the phone: staff enter what the customer said."""

    confirmed_by = forms.CharField(label=_("Confirmed by (customer's name)"), max_length=100,
                                   widget=UnfoldAdminTextInputWidget)
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), coerce=int, widget=UnfoldAdminSelectWidget,
        choices=[("", _("— ask the customer —")), *RATINGS],
        error_messages={"required": _("Ask the customer for a rating from 1 to 5.")})
    feedback = forms.CharField(label=_("Customer feedback"), required=False,
                               widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirmed_by", "satisfaction", "feedback", "note"])

    def transition_kwargs(self):
        return {**super().transition_kwargs(), "source": "phone"}


class FirstContactForm(TransitionForm):
    answer = forms.CharField(label=_("Answer given to the customer"), max_length=20000,
                             widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}),
                             help_text=_("Becomes the solution of the service record."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["answer", "note"])


class LoadHolidaysForm(BaseDialogForm):
    """Nothing to fill in: the dialog says what the load does (its description), and the
    button POSTs it (a detail action without a dialog would be a GET link)."""


class ConfirmationLinkForm(BaseDialogForm):
    """Sends the customer a confirmation link (by e-mail, and as text to paste into
    WeChat, QQ or a text message)."""

    send_mail = forms.BooleanField(label=_("Send it by e-mail"), required=False, initial=True,
                                   widget=UnfoldBooleanSwitchWidget)
    mail_to = forms.EmailField(label=_("E-mail address"), required=False,
                               widget=UnfoldAdminTextInputWidget,
                               help_text=_("Empty: the ticket's contact."))


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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    """A call note, an internal note or a reply to the customer, with attachments.

    Its fields carry a prefix: the dialog sits on the ticket's page, whose own form has a
    "channel" too."""

    prefix_name = "message"

    direction = forms.ChoiceField(label=_("Kind"), choices=MessageDirection.choices,
                                  widget=UnfoldAdminSelectWidget)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", "—"), *MESSAGE_CHANNELS],
                                widget=UnfoldAdminSelectWidget)
    body = forms.CharField(label=_("Message"), max_length=20000,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 6}))
    files = MultipleFileField(label=_("Attachments"), required=False,
                              help_text=_("Screenshots, logs, exports, the call's recording: "
                                          "images, PDF, text, zip or audio (MP3, WAV, M4A, "
                                          "OGG)."))

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def clean_files(self):
        from backoffice.desk.models.conversation import TicketAttachment

        validator = next(v for v in TicketAttachment._meta.get_field("file").validators)
        errors = []
        for upload in self.cleaned_data.get("files") or []:
            try:
                validator(upload)
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return self.cleaned_data.get("files") or []

    def clean(self):
        data = super().clean()
        direction, channel = data.get("direction"), data.get("channel")
        if direction and direction != MessageDirection.INTERNAL and not channel:
            self.add_error("channel", _("Say how the customer was reached."))
        return data


class CustomerConfirmationForm(forms.Form):
    """The customer's page: solved or not, a rating (no default), a comment, the signer's
    name and a drawn signature (django-signature-pad's widget and PNG checks)."""

    outcome = forms.ChoiceField(label=_("Is the problem solved?"),
                                choices=ConfirmationOutcome.choices, widget=forms.RadioSelect)
    rating = forms.TypedChoiceField(label=_("How satisfied are you with our service?"),
                                    choices=RATINGS, coerce=int, empty_value=None,
                                    required=False, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = forms.CharField(label=_("Your name"), max_length=100)
    signature = forms.CharField(label=_("Your signature"), required=False,
                                validators=[validate_png_data_url],
                                widget=SignaturePadWidget(backgroundColor="rgb(255,255,255)"))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == ConfirmationOutcome.SOLVED:
            if data.get("rating") is None:
                self.add_error("rating", _("Please choose a rating from 1 to 5."))
            if not data.get("signature"):
                self.add_error("signature", _("Please sign in the box."))
        elif data.get("outcome") == ConfirmationOutcome.NOT_SOLVED \
                and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Please tell us what still goes wrong."))
        return data


# -- bulk actions of the ticket list (the page between choosing the action and running it)
class BulkAssignForm(forms.Form):
    assignee = EngineerChoiceField(queryset=None, label=_("Engineer"),
                                   widget=UnfoldAdminSelectWidget)
    note = forms.CharField(label=_("Comment"), required=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers_with_open_tickets()


class BulkPriorityForm(forms.Form):
    # the ticket field's own label ("priority", capitalised)
    priority = forms.ChoiceField(label=lazy(capfirst, str)(_("priority")),
                                 choices=Priority.choices, widget=UnfoldAdminSelectWidget)


class TimeEntryForm(BaseDialogForm):
    """Hours worked on the ticket (工时): one's own, or a colleague's for a supervisor."""

    worked_on = forms.DateField(label=_("Worked on"), widget=UnfoldAdminSingleDateWidget)
    hours = forms.DecimalField(label=_("Hours"), min_value=Decimal("0.01"),
                               max_value=Decimal(MAX_HOURS_PER_ENTRY), max_digits=4,
                               decimal_places=2, widget=UnfoldAdminDecimalFieldWidget)
    description = forms.CharField(label=_("Work done"), max_length=200, required=False,
                                  widget=UnfoldAdminTextInputWidget)
    person = forms.ModelChoiceField(queryset=None, label=_("Worked by"), required=False,
                                    widget=UnfoldAdminSelectWidget,
                                    help_text=_("Empty: yourself. Only the after-sales "
                                                "manager records time for someone else."))

    def __init__(self, *args, **kwargs):
        from django.utils import timezone

        kwargs.setdefault("initial", {}).setdefault("worked_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = engineers()


class TimeEntryAdminForm(forms.ModelForm):
    """A time entry added on the time-entry list: the same rule as the ticket page's
    dialog (one's own assigned ticket, anyone's for a supervisor, never a closed one)."""

    user = None  # set by the admin for the request

    def clean(self):
        from backoffice.desk.workflows import time_refusal

        data = super().clean()
        ticket = data.get("ticket")
        if self.instance.pk is None and ticket is not None and self.user is not None:
            refusal = time_refusal(ticket, self.user, data.get("person") or self.user)
            if refusal:
                self.add_error("ticket", refusal)
        return data


class CallSpotCheckForm(forms.ModelForm):
    """The manager's spot check: the call (fixed when opened from the call note, else
    chosen among the recent calls of others not checked yet), the recording heard, the
    score and the comment."""

    class Meta:
        model = CallSpotCheck
        fields = ["message", "recording", "score", "comment"]
        widgets = {"message": UnfoldAdminSelectWidget, "recording": UnfoldAdminSelectWidget,
                   "score": UnfoldAdminIntegerFieldWidget,
                   "comment": UnfoldAdminTextareaWidget(attrs={"rows": 4})}

    #: set by the admin: whose check it is
    user = None

    def __init__(self, *args, **kwargs):
        from backoffice.desk.selectors import calls_to_spot_check

        super().__init__(*args, **kwargs)
        message_field = self.fields.get("message")
        if message_field is not None:
            chosen = self.data.get("message") or self.initial.get("message")
            candidates = list(calls_to_spot_check(self.user))
            if chosen and str(chosen).isdigit() and int(chosen) not in {m.pk for m in candidates}:
                candidates += list(TicketMessage.objects.filter(pk=int(chosen))
                                   .select_related("ticket", "author"))
            message_field.queryset = TicketMessage.objects.filter(
                pk__in=[m.pk for m in candidates])
            labels = {m.pk: call_label(m) for m in candidates}
            message_field.label_from_instance = lambda m: labels.get(m.pk) or call_label(m)
            message_field.help_text = _("A phone call with the customer someone else took.")
        recording_field = self.fields.get("recording")
        if recording_field is not None:
            message_id = (self.instance.message_id if self.instance.pk
                          else self.data.get("message") or self.initial.get("message"))
            recordings = TicketAttachment.objects.filter(content_type__startswith="audio/")
            recording_field.queryset = (recordings.filter(message_id=message_id)
                                        if message_id and str(message_id).isdigit()
                                        else recordings.none())
            recording_field.help_text = _("The call's recording (an audio file attached to "
                                          "the call note) that you listened to.")

    def clean(self):
        from backoffice.desk.workflows import can_spot_check, is_call

        data = super().clean()
        message = data.get("message")
        if message is not None and not self.instance.pk:
            if not is_call(message):
                self.add_error("message", _("Only phone calls with the customer are "
                                            "spot-checked."))
            elif not can_spot_check(message, self.user):
                self.add_error("message", _("Nobody spot-checks a call they took themselves."))
        return data


def call_label(message) -> str:
    """"SR-2026-0042 · Wang Fang · 2026-11-03 10:15 · From the customer"."""
    return " · ".join([message.ticket.number, display_name(message.author),
                       f"{timezone.localtime(message.sent_at):%Y-%m-%d %H:%M}",
                       str(message.get_direction_display())])
