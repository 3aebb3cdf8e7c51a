"""Admin helpers shared by the inventory pages."""

from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin
from inventory.workflows import STATE_COLOURS

__all__ = ["STATE_COLOURS", "DocumentAdmin", "LineInline"]


class DocumentAdmin(BackofficeAdmin):
    """A document that can be edited only in some states, and maybe only by its owner.

    Outside those states the page is read-only and the workflow buttons do the work.
    """

    editable_states = {"draft"}
    owner_field: str | None = None  # e.g. "requester": only that user edits the draft

    def may_edit(self, request, obj) -> bool:
        if obj is None:
            return True
        if obj.state not in self.editable_states:
            return False
        if self.owner_field and request.user.pk != getattr(obj, f"{self.owner_field}_id"):
            return False
        return True

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.may_edit(request, obj)

    def has_import_permission(self, request):
        return False  # documents are made in the admin; their states are never imported

    def has_delete_permission(self, request, obj=None):
        return (super().has_delete_permission(request, obj)
                and (obj is None or (obj.state == "draft" and self.may_edit(request, obj))))

    @display(description=_("state"), ordering="state", label=STATE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()


def _show_loaded_choice(widget, obj):
    """Let an autocomplete ``widget`` draw ``obj`` as its selected option without a query
    when the value it renders is ``obj``'s (a bound form showing another value asks the
    database as usual)."""
    if not hasattr(widget, "optgroups") or not hasattr(widget, "choices"):
        return
    own = widget.optgroups

    def optgroups(name, value, attr=None):
        if [str(v) for v in value if str(v) not in ("", "None")] != [str(obj.pk)]:
            return own(name, value, attr)
        options = []
        if not widget.is_required:
            options.append(widget.create_option(name, "", "", False, 0))
        options.append(widget.create_option(name, obj.pk, widget.choices.field.label_from_instance(obj),
                                            {str(obj.pk)}, len(options)))
        return [(None, options, 0)]

    widget.optgroups = optgroups


class LineInline(TabularInline):
    """Lines of a document: editable only while the parent document is."""

    extra = 0
    tab = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("part")  # every line has a part

    def get_formset(self, request, obj=None, **kwargs):
        """Each row's part picker shows the part the row already loaded: Django's
        autocomplete widget would fetch it again, one query per row (80 on a count of
        80 lines)."""
        formset = super().get_formset(request, obj, **kwargs)
        base = formset.form

        class LineForm(base):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                field = self.fields.get("part")
                if field is not None and self.instance.pk and self.instance.part_id:
                    _show_loaded_choice(getattr(field.widget, "widget", field.widget),
                                        self.instance.part)

        LineForm.__name__ = base.__name__
        formset.form = LineForm
        return formset

    def _parent_editable(self, request, obj):
        if obj is None:
            return True
        parent_admin = self.admin_site._registry.get(type(obj))
        return bool(parent_admin and parent_admin.may_edit(request, obj))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)
