"""The history page's change reason in words.

``apply_transition`` records a workflow step as the change reason ``"<step>: <comment>"``
(or ``"<step>"`` without a comment), e.g. ``"resolve: 已修复"``. The history page
(``templates/simple_history/object_history_list.html``) shows it as the step's button
label and the comment: "解决 · 已修复". The reasons the bulk writes record (``import``,
``computed`` …) are named in words too; any other reason is shown as it is, so rows
written before or by other paths keep reading as they did.
"""

from django import template
from django.utils.translation import gettext_lazy as _

from backoffice.platform import workflow

register = template.Library()

SEPARATOR = " · "

#: the change reasons of bulk writes (``bulk_create_with_history(default_change_reason=…)``)
BULK_REASONS = {
    "import": _("Import"),  # platform.resources: spreadsheet imports
    "computed": _("Computed from tickets"),  # training.services: monthly appraisals
    "announce": _("Announce"),  # care: recipients of an announced update notice
    "proposed": _("Propose"),  # inventory.services: proposed purchase-plan lines
}


@register.filter
def change_reason(reason, opts) -> str:
    """``{{ record.history_change_reason|change_reason:opts }}`` (``opts``: the model's
    ``_meta``, or the model)."""
    if not reason:
        return reason
    model = getattr(opts, "model", opts)
    name, _colon, note = str(reason).partition(":")
    name = name.strip()
    try:
        steps = {info.name for info in workflow.transitions_of(model)}
    except (LookupError, AttributeError, TypeError):  # no state machine
        steps = set()
    if name not in steps:
        return str(BULK_REASONS.get(str(reason).strip(), reason))
    label = workflow.transition_label(model, name)
    note = note.strip()
    return f"{label}{SEPARATOR}{note}" if note else label
