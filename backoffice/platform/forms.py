"""Forms shared by the four apps: transition dialogs and safe imports."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget


class TransitionForm(BaseDialogForm):
    """The dialog behind every workflow button: an optional comment, plus whatever the
    transition needs (declared by subclasses; their cleaned values become the transition
    method's keyword arguments)."""

    note = forms.CharField(label=_("Comment"), required=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def transition_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"note", "_form_submitted"}}


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


__all__ = ["ExportForm", "NoteRequiredTransitionForm", "SafeImportForm", "TransitionForm"]
