"""Forms shared by the four apps: transition dialogs and safe imports."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldBooleanSwitchWidget

from backoffice.platform import budget


class TransitionForm(BaseDialogForm):
    """The dialog behind every workflow button: an optional comment, plus whatever the
    transition needs (declared by subclasses; their cleaned values become the transition
    method's keyword arguments)."""

    note = forms.CharField(label=_("Comment"), required=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def transition_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"note", "_form_submitted"}}


class BudgetSubmitForm(TransitionForm):
    """The submit of a document that asks for money: its budget position in front of the
    submitter, and the switch that confirms a "warn" overrun (the approver sees it).

    A domain subclasses it naming ``model`` (and narrowing ``document`` to what the user
    may see)."""

    confirm_overrun = forms.BooleanField(
        label=_("I confirm the overrun"), required=False, widget=UnfoldBooleanSwitchWidget,
        help_text=_("Needed when a category with a “warn” policy would exceed its budget: "
                    "the approver will see that you confirmed it."))
    form_before_template = "backoffice/partials/budget_position.html"
    model = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["confirm_overrun", "note"])

    def document(self, request, object_id):
        return self.model._default_manager.filter(pk=object_id).first()

    def get_before_template_context(self, request, object_id=None):
        document = self.document(request, object_id) if object_id else None
        return {"budget_panel": {"positions": budget.positions_of(document)}
                if document is not None else None}


class NoteRequiredTransitionForm(TransitionForm):
    note = forms.CharField(label=_("Reason"), required=True,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))


class SafeImportForm(ImportForm):
    """Import form that refuses oversized files before anything parses them."""

    def clean_import_file(self):
        return self.check_upload(self.cleaned_data["import_file"])

    @staticmethod
    def check_upload(upload):
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; files over %(limit).0f MB are refused.")
                % {"size": upload.size / 1e6, "limit": limit / 1e6}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


__all__ = ["BudgetSubmitForm", "ExportForm", "NoteRequiredTransitionForm", "SafeImportForm", "TransitionForm"]
