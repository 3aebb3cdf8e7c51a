"""Printable records: one HTML template per document, printed from the browser or as PDF.

A printout is rendered in the language of the paper (Chinese unless ``?lang=`` asks for
another of ``settings.LANGUAGES``), whatever the language of the admin page it came from.
The same HTML is shown to print and turned into the PDF by WeasyPrint; the toolbar of the
print page is hidden on paper (``@media print``), so the two look the same.

The PDF renderer fetches nothing: a printout carries its images as ``data:`` URLs (the
customer's signature) and its CSS inline, so no text of a record can make the server
read a file or open a connection.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.platform import people, workflow

#: the language a printout is in unless the request asks for another
DEFAULT_LANGUAGE = "zh-hans"
#: the journal printed under a document: its newest entries at most (oldest first)
JOURNAL_LIMIT = 200


def print_language(requested: str | None) -> str:
    """``requested`` if it is one of the site's languages, else the default (Chinese)."""
    codes = {code for code, _name in settings.LANGUAGES}
    return requested if requested in codes else DEFAULT_LANGUAGE


def languages() -> list[tuple[str, str]]:
    """(code, name) of the languages a printout can be had in."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def organisation() -> str:
    """The name at the top of every printout (``PRINT_ORGANISATION`` when set)."""
    return getattr(settings, "PRINT_ORGANISATION", "") or str(_("After-sales service department"))


def render_html(template_name: str, context: dict, *, request=None) -> str:
    """The printout's HTML, in the active language."""
    return render_to_string(template_name, {"organisation": organisation(),
                                            "printed_at": timezone.now(), **context},
                            request=request)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of ``html`` (A4 and its margins come from the template's ``@page``)."""
    from weasyprint import HTML  # slow to import: only where a PDF is made

    return HTML(string=html, url_fetcher=_data_urls_only()).write_pdf()


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """The PDF of a template and its context (the HTML the print page shows)."""
    return html_to_pdf(render_html(template_name, context, request=request))


def _data_urls_only():
    """A WeasyPrint URL fetcher that only reads ``data:`` URLs."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before the fetcher class: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"not fetched in a printout: {url[:80]}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def journal(obj, limit: int = JOURNAL_LIMIT) -> list[dict]:
    """The document's workflow journal for paper, oldest first: the newest ``limit``
    entries with their actors, in one query. Each entry: ``name`` (the step's code),
    ``at``, ``by``, ``action`` (its label), ``source``, ``target`` (state labels), ``note``."""
    model = type(obj)
    entries = list(obj.events.select_related("actor").order_by("-created_at", "-id")[:limit])
    return [{"name": e.action, "at": e.created_at, "by": person(e.actor),
             "action": workflow.transition_label(model, e.action),
             "source": workflow.state_label(model, e.source) if e.source else "",
             "target": workflow.state_label(model, e.target) if e.target else "",
             "note": e.note}
            for e in reversed(entries)]


def person(user) -> str:
    """A user's name as printed (platform.people: full name in the reader's order, else
    the username; empty for nobody)."""
    return people.display_name(user)


def last_step(entries: list[dict], *names: str) -> dict | None:
    """The latest entry of :func:`journal` whose step is one of ``names``."""
    return next((e for e in reversed(entries) if e["name"] in names), None)
