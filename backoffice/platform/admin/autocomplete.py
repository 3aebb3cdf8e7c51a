"""The admin's autocomplete (select2's JSON view), asking the target admin two optional
questions, so that a picker can know its context and say more than ``str(obj)``:

- ``narrow_autocomplete(request, queryset, source_field)``: the choices for the field that
  asks (``source_field``, e.g. the ticket's contact), given the values the page forwards
  with the term (``forward_<field>``, sent by ``backoffice/js/forward_autocomplete.js``
  for widgets with ``data-forward``);
- ``autocomplete_label(obj)``: the text of one result.

Served at the site's own ``autocomplete/`` address (``backoffice.urls`` routes it here
ahead of the site's view: the same URL the widgets reverse).
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

#: the prefix of a forwarded value in the autocomplete request
FORWARD_PREFIX = "forward_"


def forwarded(request, name: str) -> str:
    """The value the page forwarded for ``name`` ("" when none)."""
    return (request.GET.get(FORWARD_PREFIX + name) or "").strip()


def forwarded_id(request, name: str) -> int | None:
    value = forwarded(request, name)
    return int(value) if value.isdigit() else None


class BackofficeAutocompleteView(AutocompleteJsonView):
    def get_queryset(self):
        queryset = super().get_queryset()
        narrow = getattr(self.model_admin, "narrow_autocomplete", None)
        return narrow(self.request, queryset, self.source_field) if narrow else queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


def autocomplete_view(request):
    return BackofficeAutocompleteView.as_view(admin_site=admin.site)(request)
