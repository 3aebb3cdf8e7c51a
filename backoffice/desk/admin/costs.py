"""Time entries (工时) and the ticket's cost panel.

The ticket page gets a "Cost" section (``TicketCostMixin``): the hours recorded on it for
everyone who reads time entries, and for those who may see money
(``billing.view_ticket_cost``: the after-sales manager, finance, the business manager)
the parts, expense lines, time at the roles' cost rates, the total and the accepted quotes
against it; every row links to its record. Figures come from ``billing.selectors``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.forms import TimeEntryAdminForm, TimeEntryForm
from backoffice.desk.models import TimeEntry
from backoffice.platform.admin.base import BackofficeAdmin

MONEY_PERMISSION = "billing.view_ticket_cost"


def _url(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:  # an app left out of BACKOFFICE_DOMAINS
        return ""


def may_see_time(user) -> bool:
    return user.has_perm("backoffice.view_timeentry")


def may_see_money(user) -> bool:
    return user.has_perm(MONEY_PERMISSION)


def ticket_costs(ticket, user):
    """The ticket's parts, hours and, for those who may see money, its claims, quotes and
    the cost of its time (``billing.selectors.ticket_cost``, one query): read once for
    the page, whose cost section and service record ("parts used") both show them."""
    from billing.selectors import ticket_cost

    money = may_see_money(user)
    read = ticket.__dict__.setdefault("_page_costs", {})
    if money not in read:
        read[money] = ticket_cost(ticket, money=money)
    return read[money]


def cost_panel_context(ticket, user) -> dict:
    """What the cost section shows this user, with the link of every row."""
    money = may_see_money(user)
    # without the money: the hours alone (no claims, quotes or rates read)
    cost = ticket_costs(ticket, user)
    for row in cost.time:
        row["url"] = _url("admin:backoffice_timeentry_change", row["entry_id"])
    for row in cost.parts:
        row["url"] = _url("admin:inventory_stockentry_change", row["entry_id"])
        row["requisition_url"] = (_url("admin:inventory_requisition_change",
                                       row["requisition_id"]) if row["requisition_id"] else "")
    for row in cost.expenses:
        row["url"] = _url("admin:billing_expenseclaim_change", row["claim_id"])
    for row in cost.charges:
        row["url"] = _url("admin:billing_customercharge_change", row["charge_id"])
    of_ticket = f"?ticket__id__exact={ticket.pk}"
    return {
        "cost": cost, "money": money, "ticket": ticket,
        "time_list_url": _url("admin:backoffice_timeentry_changelist", query=of_ticket),
        "parts_list_url": _url("admin:inventory_stockentry_changelist", query=of_ticket),
        "expenses_list_url": _url("admin:billing_expenseline_changelist", query=of_ticket),
        "charges_list_url": _url("admin:billing_customercharge_changelist", query=of_ticket),
        "report_url": _url("admin:billing_cost_report") if money else "",
    }


class TicketCostMixin:
    """Mixed into the ticket admin: the "Cost" section and the "Record time" button."""

    cost_actions = ["record_time_action"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = [a for a in self.actions_detail if a not in self.cost_actions]
        self.actions_detail = [*others, *self.cost_actions]

    def cost_fieldsets(self, request, obj=None) -> list:
        """The "Cost" section, for the ticket admin's ``get_fieldsets`` to append."""
        if obj is None or not obj.pk or not may_see_time(request.user):
            return []
        obj._cost_viewer = request.user  # the readonly field renders for this user
        return [(_("Cost"), {"fields": ["cost_panel"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "cost_panel"]

    def parts_used_rows(self, obj) -> list[dict]:
        """The parts used of the service record: from the page's read of the costs when
        it shows them (``cost_fieldsets`` named the viewer), else one query."""
        user = getattr(obj, "_cost_viewer", None)
        if user is not None:
            return ticket_costs(obj, user).parts_used
        try:
            from inventory.selectors import parts_used_on_ticket
        except ImportError:  # the parts app is not installed
            return []
        return parts_used_on_ticket(obj)

    @display(description=_("what this ticket cost"))
    def cost_panel(self, obj):
        user = getattr(obj, "_cost_viewer", None)
        if user is None or obj.pk is None:
            return "-"
        return render_to_string("backoffice/ticket_cost.html", cost_panel_context(obj, user))

    @action(description=_("Record time"), url_path="record-time", icon="schedule",
            permissions=["record_time"],
            dialog={"title": _("Record time on this ticket"),
                    "description": _("The hours you worked on this ticket on one day."),
                    "form_class": TimeEntryForm, "form_submit_text": _("Record")})
    def record_time_action(self, request, form, object_id):
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        data = form.cleaned_data
        try:
            entry = services.time_entry_record(
                ticket=ticket, hours=data["hours"], worked_on=data["worked_on"],
                description=data["description"], person=data.get("person"),
                actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("Recorded %(hours)s h on %(day)s.")
                             % {"hours": entry.hours, "day": entry.worked_on})
        return HttpResponse(headers={"HX-Redirect": reverse("admin:backoffice_ticket_change",
                                                            args=[ticket.pk])})

    def has_record_time_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        return services.may_record_time(ticket, request.user)


@admin.register(TimeEntry)
class TimeEntryAdmin(BackofficeAdmin):
    """Every time entry; recorded from the ticket page, corrected here (the person
    their own, the after-sales manager anyone's), never on a closed ticket."""

    list_display = ["worked_on", "ticket", "person", "hours", "description", "recorded_by"]
    list_select_related = ["ticket", "person", "recorded_by"]
    list_filter = [("worked_on", RangeDateFilter), "person"]
    list_filter_submit = True
    search_fields = ["=ticket__number", "description"]
    date_hierarchy = "worked_on"
    fields = ["ticket", "person", "worked_on", "hours", "description", "recorded_by"]
    readonly_fields = ["ticket", "person", "recorded_by"]

    form = TimeEntryAdminForm
    autocomplete_fields = ["ticket"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.readonly_fields
        # a new entry is one's own unless a supervisor records it for someone
        if request.user.has_perm("backoffice.supervise_ticket"):
            return ["recorded_by"]
        return ["person", "recorded_by"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # through the ticket page's service: it locks the ticket and checks the rule again
        entry = services.time_entry_record(
            ticket=obj.ticket, hours=obj.hours, actor=request.user,
            person=obj.person if obj.person_id else None, worked_on=obj.worked_on,
            description=obj.description)
        obj.pk, obj.person, obj.recorded_by = entry.pk, entry.person, entry.recorded_by
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.ticket_id and obj.ticket.state in wf.NO_TIME_STATES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.ticket_id and obj.ticket.state in wf.NO_TIME_STATES:
            return False
        return super().has_delete_permission(request, obj)
