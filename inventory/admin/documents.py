"""Requisitions (the keeper's queue), stocktakes and count sheets, scrap and disposal."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.desk.models import Ticket
from backoffice.desk.workflows import Priority
from backoffice.platform.admin.base import BackofficeAdmin, ReadOnlyAdminMixin
from backoffice.platform.admin.printing import PrintableAdmin
from inventory import selectors, services
from inventory import workflows as wf
from inventory.admin.common import DocumentAdmin, LineInline
from inventory.forms import ConfirmDialogForm
from inventory.models import (
    DisposalBatch,
    DisposalLine,
    Requisition,
    RequisitionLine,
    ScrapRequest,
    StockBalance,
    StockEntry,
    Stocktake,
    StocktakeLine,
)
from inventory.resources import (
    CountSheetResource,
    RequisitionResource,
    ScrapRequestResource,
    StocktakeLineResource,
)
from inventory.workflows import EntryKind


def _ledger_sum(**filters):
    rows = (StockEntry.objects.filter(**filters).order_by().values("requisition_line")
            .annotate(q=Sum("quantity")).values("q"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


# -- requisitions ------------------------------------------------------------------------
class RequisitionLineInline(LineInline):
    model = RequisitionLine
    fields = ["part", "quantity", "note", "display_on_hand", "display_issued",
              "display_returned"]
    readonly_fields = ["display_on_hand", "display_issued", "display_returned"]
    autocomplete_fields = ["part"]

    def get_queryset(self, request):
        on_hand = (StockBalance.objects.filter(part=OuterRef("part"),
                                               warehouse=OuterRef("requisition__warehouse"))
                   .values("quantity")[:1])
        return (super().get_queryset(request).select_related("part")
                .annotate(on_hand=Coalesce(Subquery(on_hand, output_field=IntegerField()),
                                           Value(0)),
                          issued=-_ledger_sum(requisition_line=OuterRef("pk"),
                                              kind=EntryKind.ISSUE),
                          returned=_ledger_sum(requisition_line=OuterRef("pk"),
                                               kind=EntryKind.RETURN)))

    @display(description=_("on hand"))
    def display_on_hand(self, obj):
        return getattr(obj, "on_hand", "-")

    @display(description=_("issued"))
    def display_issued(self, obj):
        return getattr(obj, "issued", "-")

    @display(description=_("returned"))
    def display_returned(self, obj):
        return getattr(obj, "returned", "-")


class MineFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("Mine"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(requester=request.user)
        return queryset


#: why a requisition's ticket is refused (closed, cancelled or unknown)
CLOSED_TICKET = _("Parts are requested only for open tickets.")

PRIORITY_RANK = Case(*[When(ticket__priority=p, then=Value(i))
                       for i, p in enumerate([Priority.CRITICAL, Priority.HIGH,
                                              Priority.NORMAL, Priority.LOW])],
                     default=Value(9), output_field=IntegerField())


@admin.register(Requisition)
class RequisitionAdmin(PrintableAdmin, DocumentAdmin):
    """Requisitions; filtered to "waiting to be issued" it is the keeper's queue, most
    urgent ticket first, then by the date the parts are needed."""

    resource_classes = [RequisitionResource]
    print_template = "inventory/print/requisition.html"
    owner_field = "requester"
    list_display = ["number", "display_state", "display_ticket", "requester", "warehouse",
                    "display_lines", "needed_by", "submitted_at"]
    list_display_links = ["number"]
    list_select_related = ["ticket", "requester", "warehouse"]
    list_filter = [MineFilter, ("state", ChoicesDropdownFilter),
                   ("warehouse", RelatedDropdownFilter), ("needed_by", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "=ticket__number", "requester__username",
                     "requester__last_name"]
    search_help_text = _("Requisition number, ticket number or engineer")
    autocomplete_fields = ["ticket"]
    readonly_fields = ["number", "requester", "submitted_at", "issued_at", "issued_by",
                       "received_at", "closed_at", "parts_used", "ticket_link"]
    inlines = [RequisitionLineInline]

    def get_fieldsets(self, request, obj=None):
        main = ["ticket", "warehouse", "needed_by", "purpose"]
        if obj is None:
            return [(None, {"fields": ["requester", *main]})]
        return [
            (None, {"fields": [("number", "state"), "requester", *main, "ticket_link"]}),
            (_("Issue and receipt"), {"fields": [("submitted_at", "issued_at", "issued_by"),
                                                 ("received_at", "closed_at"), "parts_used"]}),
        ]

    def get_queryset(self, request):
        # annotate before ordering: the queue's order uses the annotation
        lines = Prefetch("lines", queryset=RequisitionLine.objects.select_related("part"))
        queryset = (self.model._default_manager.get_queryset()
                    .annotate(queue_rank=PRIORITY_RANK).prefetch_related(lines))
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        if request.GET.get("state__exact") == wf.RequisitionStatus.SUBMITTED:
            return ["queue_rank", F("needed_by").asc(nulls_last=True), "submitted_at"]
        return ["-created_at", "-id"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ticket":
            kwargs["queryset"] = Ticket.objects.open()
            kwargs["error_messages"] = {"invalid_choice": CLOSED_TICKET}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        """The ticket from the address (the ticket page's "Request parts" button) and the
        default parts warehouse."""
        initial = super().get_changeform_initial_data(request)
        if "warehouse" not in initial and (warehouse := selectors.default_warehouse()):
            initial["warehouse"] = warehouse.pk
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        """Opened from a closed ticket: back to the ticket, with the reason."""
        wanted = request.GET.get("ticket", "")
        if request.method == "GET" and wanted.isdigit():
            ticket = Ticket.objects.filter(pk=wanted).first()
            if ticket is not None and not ticket.is_open:
                messages.error(request, _("%(ticket)s is %(state)s. %(reason)s") % {
                    "ticket": ticket.number, "state": ticket.get_state_display(),
                    "reason": CLOSED_TICKET})
                return HttpResponseRedirect(reverse("admin:backoffice_ticket_change",
                                                    args=[ticket.pk]))
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        """A new requisition shows its engineer: whoever asks (they sign for the parts)."""
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            return form
        user = request.user

        class RequisitionAddForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.requester_id is None:
                    self.instance.requester = user

        return RequisitionAddForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.requester = request.user
        super().save_model(request, obj, form, change)


    def print_context(self, request, obj):
        return selectors.requisition_slip(obj)

    @display(description=_("ticket"), ordering="ticket__number")
    def display_ticket(self, obj):
        return format_html("{} <span class=\"text-xs text-base-500\">{}</span>",
                           obj.ticket.number, obj.ticket.get_priority_display())

    @display(description=_("back to the ticket"))
    def ticket_link(self, obj):
        if not obj.ticket_id:
            return "-"
        return format_html('<a class="text-primary-600" href="{}" data-ticket-link>{} {}</a>',
                           reverse("admin:backoffice_ticket_change", args=[obj.ticket_id]),
                           obj.ticket.number, obj.ticket.subject)

    @display(description=_("parts"))
    def display_lines(self, obj):
        return ", ".join(f"{line.part.code}×{line.quantity}" for line in obj.lines.all())

    @display(description=_("used on the ticket"))
    def parts_used(self, obj):
        if not obj.pk:
            return "-"
        taken = obj.taken_by_line()
        rows = [(line.part, t["issued"], t["returned"], t["issued"] - t["returned"])
                for line in obj.lines.all() if (t := taken.get(line.pk))]
        if not rows:
            return "-"
        return format_html_join(
            "", "<div>{}: {} {} − {} {} = <b>{}</b></div>",
            ((part, _("issued"), issued, _("returned"), returned, used)
             for part, issued, returned, used in rows))


# -- stocktakes ----------------------------------------------------------------------------
def book_quantities_shown(request, stocktake) -> bool:
    """Whether this page shows ``stocktake``'s book quantities to the user (blind counts:
    ``workflows.can_see_book_quantities``), worked out once per request."""
    seen = request.__dict__.setdefault("_book_quantities_shown", {})
    if stocktake.pk not in seen:
        seen[stocktake.pk] = wf.can_see_book_quantities(stocktake, request.user)
    return seen[stocktake.pk]


class StocktakeLineInline(LineInline):
    model = StocktakeLine
    fields = ["part", "book_quantity", "previous_count", "counted_quantity", "display_variance",
              "display_recount", "display_moved", "reason", "note"]
    readonly_fields = ["book_quantity", "previous_count", "display_variance", "display_recount",
                       "display_moved"]
    #: what the counters of a blind stocktake do not see
    book_fields = ("book_quantity", "previous_count", "display_variance")
    autocomplete_fields = ["part"]
    per_page = 100

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not book_quantities_shown(request, obj):
            return [f for f in fields if f not in self.book_fields]
        return fields

    def get_queryset(self, request):
        moved = (StockEntry.objects.filter(part=OuterRef("part"),
                                           warehouse=OuterRef("stocktake__warehouse"),
                                           posted_at__gt=OuterRef("stocktake__snapshot_at"))
                 .exclude(stocktake=OuterRef("stocktake")).order_by().values("part")
                 .annotate(q=Sum("quantity")).values("q"))
        return (super().get_queryset(request).select_related("part")
                .annotate(moved=Coalesce(Subquery(moved, output_field=IntegerField()),
                                         Value(0))))

    @display(description=_("variance"))
    def display_variance(self, obj):
        variance = obj.variance if obj.pk else None
        if not variance:
            return "" if variance is None else "0"
        colour = "text-green-700" if variance > 0 else "text-red-700"
        return format_html('<span class="{} font-semibold">{}</span>', colour, f"{variance:+d}")

    @display(description=_("recount"))
    def display_recount(self, obj):
        return recount_label(obj)

    @display(description=_("moved since snapshot"))
    def display_moved(self, obj):
        moved = getattr(obj, "moved", 0)
        return f"{moved:+d}" if moved else ""


def recount_label(line):
    if not line.recount_requested:
        return ""
    return format_html('<span class="text-orange-700 font-semibold" data-recount="{}">{}</span>',
                       line.pk, _("Recount"))


@admin.register(Stocktake)
class StocktakeAdmin(DocumentAdmin):
    editable_states = {"draft", "counting"}
    list_display = ["number", "display_state", "warehouse", "category", "snapshot_at",
                    "started_by", "display_progress", "display_variances"]
    list_select_related = ["warehouse", "category", "started_by"]
    list_filter = [("state", ChoicesDropdownFilter), ("warehouse", RelatedDropdownFilter)]
    search_fields = ["=number"]
    readonly_fields = ["number", "snapshot_at", "started_by", "submitted_by", "approved_by",
                       "posted_at", "count_sheet", "count_sheet_blind"]
    inlines = [StocktakeLineInline]

    #: set when the stocktake is made, frozen once counting starts
    count_rules = ["blind", ("recount_tolerance_units", "recount_tolerance_percent")]

    def get_fieldsets(self, request, obj=None):
        scope = ["warehouse", "category", "include_all_parts", *self.count_rules, "note"]
        if obj is None:
            return [(None, {"fields": scope})]
        # the blind page links the count sheet, not the variances
        sheet = "count_sheet" if book_quantities_shown(request, obj) else "count_sheet_blind"
        return [(None, {"fields": [("number", "state"), *scope, sheet]}),
                (_("Who and when"), {"fields": [("snapshot_at", "started_by"),
                                                ("submitted_by", "approved_by", "posted_at")]})]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != wf.StocktakeStatus.DRAFT:
            readonly += ["warehouse", "category", "include_all_parts", "blind",
                         "recount_tolerance_units", "recount_tolerance_percent"]
        return readonly

    def get_queryset(self, request):
        counted = Q(lines__counted_quantity__isnull=False)
        return super().get_queryset(request).annotate(
            line_count=Count("lines"), counted_count=Count("lines", filter=counted),
            variance_count=Count("lines", filter=counted & ~Q(
                lines__counted_quantity=F("lines__book_quantity"))))


    def get_changelist_instance(self, request):
        """Each row of the page says whether its variances are shown to this user."""
        changelist = super().get_changelist_instance(request)
        for obj in changelist.result_list:
            obj.book_shown = wf.can_see_book_quantities(obj, request.user)
        return changelist

    @display(description=_("counted"))
    def display_progress(self, obj):
        return f"{obj.counted_count} / {obj.line_count}"

    @display(description=_("variances"))
    def display_variances(self, obj):
        if not getattr(obj, "book_shown", False):
            return format_html('<span class="text-base-400" title="{}" data-blind="{}">-</span>',
                               _("Blind count: hidden until submitted"), obj.pk)
        return obj.variance_count

    def _count_sheet_url(self, obj):
        return (reverse("admin:inventory_stocktakeline_changelist")
                + f"?stocktake__id__exact={obj.pk}")

    @display(description=_("count sheet"))
    def count_sheet(self, obj):
        if not obj.pk:
            return "-"
        url = self._count_sheet_url(obj)
        return format_html('<a class="text-primary-600" href="{}">{}</a> · '
                           '<a class="text-primary-600" href="{}&variance=yes">{}</a>', url,
                           _("Export the count sheet or import counted quantities"), url,
                           _("Review the variances"))

    @display(description=_("count sheet"))
    def count_sheet_blind(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           self._count_sheet_url(obj),
                           _("Export the count sheet or import counted quantities"))


class VarianceFilter(admin.SimpleListFilter):
    title = _("variance")
    parameter_name = "variance"

    def lookups(self, request, model_admin):
        return [("yes", _("With a variance")), ("uncounted", _("Not counted yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(counted_quantity__isnull=False).exclude(
                counted_quantity=F("book_quantity"))
        if self.value() == "uncounted":
            return queryset.filter(counted_quantity__isnull=True)
        return queryset


@admin.register(StocktakeLine)
class StocktakeLineAdmin(ReadOnlyAdminMixin, BackofficeAdmin):
    """Count sheets: export to fill in on paper or in a spreadsheet, import the counts.

    Blind counts: the book quantities, the variances (column, filter, ordering) and the
    sheet with the book column are there only when no stocktake on the list hides them
    from the user (``workflows.can_see_book_quantities``); the list reached from a
    stocktake's page is that stocktake's."""

    resource_classes = [StocktakeLineResource]
    list_display = ["stocktake", "part", "book_quantity", "previous_count", "counted_quantity",
                    "display_variance", "display_recount", "reason", "note"]
    book_columns = ("book_quantity", "previous_count", "display_variance")
    list_select_related = ["stocktake", "part"]
    list_filter = [("stocktake", AutocompleteSelectFilter), VarianceFilter]
    search_fields = ["=part__code", "part__name"]
    ordering = ["stocktake", "part__code"]

    def get_model_perms(self, request):
        return {}  # reached from the stocktake page

    def has_import_permission(self, request):
        return request.user.has_perm("inventory.count_stocktake")

    def book_quantities_shown(self, request) -> bool:
        """Whether no stocktake of this list (the one it is filtered to, else any) hides
        its book quantities from the user; one query, once per request."""
        if "_book_quantities_listed" not in request.__dict__:
            only = request.GET.get("stocktake__id__exact")
            ids = [only] if only and only.isdigit() else None
            request._book_quantities_listed = not selectors.stocktakes_hiding_book_quantities(
                request.user, ids) if request.user.is_authenticated else False
        return request._book_quantities_listed

    def get_list_display(self, request):
        if self.book_quantities_shown(request):
            return self.list_display
        return [name for name in self.list_display if name not in self.book_columns]

    def get_list_filter(self, request):
        if self.book_quantities_shown(request):
            return self.list_filter
        return [f for f in self.list_filter if f is not VarianceFilter]

    def get_resource_classes(self, request=None):
        """The sheet with the book column only for whom the list shows it; a background
        job (no request) gets the blind one."""
        if request is not None and self.book_quantities_shown(request):
            return [StocktakeLineResource]
        return [CountSheetResource]

    def get_import_resource_classes(self, request):
        """Counts come in through the blind sheet, whoever imports them: the book column
        of an exported sheet is ignored, and the preview never shows one."""
        return [CountSheetResource]

    @display(description=_("variance"))
    def display_variance(self, obj):
        return "" if obj.variance is None else f"{obj.variance:+d}"

    @display(description=_("recount"), ordering="recount_requested")
    def display_recount(self, obj):
        return recount_label(obj)


# -- scrap and disposal --------------------------------------------------------------------
@admin.register(ScrapRequest)
class ScrapRequestAdmin(PrintableAdmin, DocumentAdmin):
    resource_classes = [ScrapRequestResource]
    print_template = "inventory/print/scrap_request.html"
    owner_field = "requester"
    list_display = ["number", "display_state", "part", "warehouse", "quantity", "reason",
                    "ticket", "requester", "created_at"]
    list_select_related = ["part", "warehouse", "ticket", "requester"]
    list_filter = [("state", ChoicesDropdownFilter), ("reason", ChoicesDropdownFilter),
                   ("warehouse", RelatedDropdownFilter)]
    search_fields = ["=number", "=part__code", "part__name"]
    autocomplete_fields = ["part", "ticket"]
    readonly_fields = ["number", "requester", "approved_by", "approved_at", "scrap_warehouse"]

    def get_fieldsets(self, request, obj=None):
        main = [("part", "warehouse", "quantity"), "reason", "description", "ticket"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), "requester", *main]}),
                (_("Decision"), {"fields": [("approved_by", "approved_at", "scrap_warehouse")]})]

    def print_context(self, request, obj):
        return selectors.scrap_request_form(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.requester = request.user
        super().save_model(request, obj, form, change)



class DisposalLineInline(LineInline):
    model = DisposalLine
    fields = ["scrap_request", "part", "quantity"]
    autocomplete_fields = ["scrap_request", "part"]


@admin.register(DisposalBatch)
class DisposalBatchAdmin(DocumentAdmin):
    list_display = ["number", "display_state", "warehouse", "method", "disposed_on",
                    "recipient_company", "display_quantity", "proceeds"]
    list_select_related = ["warehouse"]
    list_filter = [("state", ChoicesDropdownFilter), ("method", ChoicesDropdownFilter)]
    search_fields = ["=number", "recipient_company"]
    readonly_fields = ["number", "completed_by"]
    inlines = [DisposalLineInline]
    actions_detail = ["add_scrap_action"]

    def get_fieldsets(self, request, obj=None):
        main = ["warehouse", ("method", "disposed_on"), ("recipient_company", "proceeds"), "note"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), *main, "completed_by"]})]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total_quantity=Sum("lines__quantity"))


    @display(description=_("quantity"))
    def display_quantity(self, obj):
        return obj.total_quantity or 0

    def has_add_scrap_permission(self, request, object_id=None):
        batch = DisposalBatch.objects.filter(pk=object_id).first()
        return bool(batch and batch.state == wf.DisposalStatus.DRAFT
                    and request.user.has_perm("inventory.add_disposalline"))

    @action(description=_("Add approved scrap"), url_path="add-scrap", icon="playlist_add",
            permissions=["add_scrap"],
            dialog={"title": _("Add every approved scrap request of this scrap area"),
                    "form_class": ConfirmDialogForm, "form_submit_text": _("Add")})
    def add_scrap_action(self, request, form, object_id):
        batch = get_object_or_404(DisposalBatch, pk=object_id)
        try:
            added = services.disposal_add_approved_scrap(batch)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("%(n)s lines added.") % {"n": added})
        url = reverse("admin:inventory_disposalbatch_change", args=[object_id])
        return HttpResponse(headers={"HX-Redirect": url})
