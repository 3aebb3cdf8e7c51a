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


class LineInline(TabularInline):
    """Lines of a document: editable only while the parent document is."""

    extra = 0
    tab = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("part")  # every line has a part

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
