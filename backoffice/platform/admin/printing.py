"""Printable documents in the admin: a print page, a PDF download and a detail button.

Mixed into a ``BackofficeAdmin`` subclass (before it in the bases)::

    class TicketAdmin(PrintableAdmin, BackofficeAdmin):
        print_template = "backoffice/print/service_record.html"

        def print_context(self, request, obj):
            return selectors.service_record(obj)

``<id>/print/`` is the page to print from the browser (with a small toolbar that paper
does not show) and ``<id>/pdf/`` the same page as a PDF attachment named after the
document's number. Both read the record through the admin's queryset and answer 404 when
the user may not see it, or when ``may_print`` says the document is not printable (yet):
a printout shows nothing its page would not.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from backoffice.platform import printing

PRINT_ACTION = "print_document"


class PrintableAdmin:
    """Adds the print page, the PDF download and the "Print" button of a document."""

    #: the document's template (extends ``print/base.html``)
    print_template: str = ""

    def __init__(self, *args, **kwargs):
        # first of the detail buttons; BackofficeAdmin appends the workflow's after it
        if PRINT_ACTION not in self.actions_detail:
            self.actions_detail = [PRINT_ACTION, *self.actions_detail]
        super().__init__(*args, **kwargs)

    # -- what the domain says ------------------------------------------------------------
    def print_context(self, request, obj) -> dict:
        """The template's context (from the domain's selectors), in the paper's language."""
        raise NotImplementedError

    def may_print(self, request, obj) -> bool:
        """Whether this document can be printed now (e.g. a claim only once approved)."""
        return True

    def print_filename(self, obj) -> str:
        return f"{getattr(obj, 'number', '') or obj.pk}.pdf"

    # -- the button ----------------------------------------------------------------------
    @action(description=_("Print"), url_path="printout", icon="print",
            attrs={"target": "_blank"})
    def print_document(self, request, object_id):
        """A GET link (no dialog): opens the print page, which checks the user's right."""
        return redirect(self._print_url(object_id, "print"))

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_{PRINT_ACTION}"
        if self._printable(request, object_id) is None:
            actions = [a for a in actions if a.action_name != name]
        return actions

    # -- the pages -----------------------------------------------------------------------
    def get_urls(self):
        info = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        return [
            path("<path:object_id>/print/", self.admin_site.admin_view(self.print_view),
                 name=f"{info}_print"),
            path("<path:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view),
                 name=f"{info}_pdf"),
            *super().get_urls(),
        ]

    def print_view(self, request, object_id):
        obj = self._printable_or_404(request, object_id)
        language = printing.print_language(request.GET.get("lang"))
        with translation.override(language):
            html = printing.render_html(self.print_template,
                                        self._context(request, obj, language),
                                        request=request)
        response = HttpResponse(html)
        response["Cache-Control"] = "private, no-store"
        return response

    def pdf_view(self, request, object_id):
        obj = self._printable_or_404(request, object_id)
        language = printing.print_language(request.GET.get("lang"))
        with translation.override(language):
            pdf = printing.render_pdf(self.print_template,
                                      self._context(request, obj, language),
                                      request=request)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=self.print_filename(obj))
        response["Cache-Control"] = "private, no-store"
        return response

    # -- helpers -------------------------------------------------------------------------
    def _printable(self, request, object_id):
        """The record if this user may see it and it can be printed, else None."""
        obj = self.get_object(request, unquote(str(object_id)))
        if obj is None or not self.has_view_permission(request, obj) \
                or not self.may_print(request, obj):
            return None
        return obj

    def _printable_or_404(self, request, object_id):
        obj = self._printable(request, object_id)
        if obj is None:
            raise Http404
        return obj

    def _print_url(self, object_id, view, language=None):
        url = reverse(f"{self.admin_site.name}:{self.model._meta.app_label}_"
                      f"{self.model._meta.model_name}_{view}", args=[object_id])
        return f"{url}?lang={language}" if language else url

    def _context(self, request, obj, language):
        """The document's context and the toolbar's links (the toolbar is in the PDF's
        HTML too, hidden on paper: the page and the PDF are one HTML)."""
        languages = [(code, name, self._print_url(obj.pk, "print", code))
                     for code, name in printing.languages()]
        return {
            **self.print_context(request, obj),
            "object": obj,
            "opts": self.model._meta,
            "print_language": language,
            "print_languages": languages,
            "pdf_url": self._print_url(obj.pk, "pdf", language),
            "change_url": reverse(f"{self.admin_site.name}:{self.model._meta.app_label}_"
                                  f"{self.model._meta.model_name}_change", args=[obj.pk]),
        }
