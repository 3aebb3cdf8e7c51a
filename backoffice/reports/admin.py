"""Weekly and monthly report pages (same figures as the dashboard, for a chosen period),
with an xlsx download. Registered on the table-less ``Report`` model so that the sidebar
entry and the page follow the ``view_report`` permission."""

import io

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from unfold.admin import ModelAdmin

from backoffice.platform.admin.base import ReadOnlyAdminMixin
from backoffice.platform.dashboard import line_chart
from backoffice.platform.resources import escape_formula
from backoffice.reports import definitions
from backoffice.reports import selectors as reports
from backoffice.reports.models import Report
from backoffice.reports.selectors.levels import level_times


def build_report(period: reports.Period) -> dict:
    daily = reports.daily_series(period)
    return {
        "period": period,
        "summary": reports.period_summary(period),
        "daily": daily,
        "daily_chart": line_chart(
            daily["labels"],
            (_("Received"), daily["received"], "primary", daily["received_links"]),
            (_("Resolved"), daily["resolved"], "green", daily["resolved_links"])),
        "categories": reports.by_category(period),
        "people": reports.by_person(period),
        "recurring": reports.recurring_problems(period.first_day, period.last_day),
        "care": reports.care_summary(period),
        "levels": level_times(period),
        "defs": definitions.REGISTRY,
        # each card opens the list its figure counts (the figure's first drill-down)
        "links": definitions.links(period),
    }


def _pct(value):
    return None if value is None else value / 100


def report_workbook(report: dict) -> bytes:
    """The report as an xlsx file: one sheet per table, numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    period, summary, care = report["period"], report["summary"], report["care"]
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title, header, rows, ws=None):
        ws = ws or wb.create_sheet()
        ws.title = str(title)[:31]
        ws.append([str(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([escape_formula(v) if isinstance(v, str) else v for v in row])
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
        return ws

    pct = "0.0%"
    overview = [
        (_("Period"), period.label, None),
        (_("Tickets received"), summary["received"], None),
        (_("Tickets resolved in the period (throughput)"), summary["resolved"], None),
        (_("Tickets received, not cancelled"), summary["cohort"], None),
        (_("Of them resolved by the end of the period"), summary["cohort_resolved"], None),
        (_("Resolution rate (of the tickets received)"), _pct(summary["resolution_rate"]),
         pct),
        (_("Answered within target"), _pct(summary["response_share"]), pct),
        (_("Target"), _pct(summary["response_target"]), pct),
        (_("Resolved within target"), _pct(summary["resolution_share"]), pct),
        (_("Average first response (working hours)"), summary["first_response_hours"], None),
        (_("Average first response (wall-clock hours)"), summary["first_response_wall_hours"],
         None),
        (_("Average time to resolution (working hours)"),
         summary["resolution_working_hours"], None),
        (_("Average time to resolution (wall-clock hours)"),
         summary["resolution_wall_hours"], None),
        (_("Average satisfaction at confirmation (1-5)"), summary["satisfaction"], None),
        (_("Satisfied customers (4-5)"), _pct(summary["satisfied_share"]), pct),
        (_("Complaints"), summary["complaints"], None),
        (_("Emergencies"), summary["emergencies"], None),
        (_("Resolved with a knowledge article"), summary["kb_resolved"], None),
        (_("Follow-up calls done"), care["followups_done"], None),
        (_("Customers unreachable"), care["followups_unreachable"], None),
        (_("Average follow-up rating"), care["followup_rating"], None),
        (_("Maintenance visits due"), care["visits_due"], None),
        (_("Maintenance visits done"), care["visits_done"], None),
        (_("Maintenance visits still open"), care["visits_open"], None),
    ]
    ws = sheet(_("Summary"), [_("Figure"), _("Value")], [(a, b) for a, b, _f in overview],
               ws=wb.active)
    for (_label, _value, fmt), row in zip(overview, ws.iter_rows(min_row=2), strict=True):
        if fmt:
            row[1].number_format = fmt
    daily = report["daily"]
    sheet(_("Per day"), [_("Date"), _("Received"), _("Resolved")],
          zip(daily["days"], daily["received"], daily["resolved"], strict=True))
    sheet(_("By category"), [_("Category"), _("Received")],
          [(str(c["label"]), c["count"]) for c in report["categories"]])
    sheet(_("By staff member"), [_("Staff member"), _("Received"),
                                 _("Of them resolved by the end of the period"),
                                 _("Resolution rate %"), _("Answered in time %"),
                                 _("Satisfaction at confirmation"),
                                 _("Answered on the first call")],
          [(e["name"], e["count"], e["resolved"], e["resolution_rate"], e["response_share"],
            e["satisfaction"], e["first_contact"]) for e in report["people"]])
    sheet(_("Recurring problems"), [_("Problem record"), _("Category / title"), _("Product"),
                                    _("Tickets"), _("Published articles")],
          [(r["number"] or str(_("Not recorded")), str(r["category"]), r["product"],
            r["count"], r["articles"]) for r in report["recurring"]])
    sheet(_("Time per support level"), [_("Support level"), _("Tickets held"),
                                        _("Average working hours held"),
                                        _("Held within the level's target %")],
          [(str(r["label"]), r["tickets"], r["hours"], r["within_share"])
           for r in report["levels"]])
    sheet(_("Definitions"), [_("Figure"), _("Definition"), _("Unit")],
          [(str(f.label), str(f.definition), str(f.unit)) for f in definitions.FIGURES])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Not a business model: no rows, no history, no import; just the report pages."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("backoffice.view_report")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="backoffice_report_export"),
            path("definitions/", self.admin_site.admin_view(self.definitions_view),
                 name="backoffice_report_definitions"),
            path("", self.admin_site.admin_view(self.changelist_view),
                 name="backoffice_report_changelist"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = reports.Period.from_params(request.GET)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Service report %(period)s") % {"period": period.label},
            "opts": self.model._meta,
            "report": build_report(period),
            "export_query": period.query(),
            "previous_query": period.previous().query(),
            "next_query": period.next().query(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "backoffice/report.html", context)

    def definitions_view(self, request):
        """What each figure counts: open to every staff member (the dashboard's figures
        are shown beyond the report's readers, and a definition reveals no data; the
        lists it links open only for those who may see them)."""
        week = reports.Period.of("week", timezone.localdate())
        context = {
            **self.admin_site.each_context(request),
            "title": _("What the figures count"),
            "opts": self.model._meta,
            "figures": definitions.FIGURES,
            # each figure's lists this week: the definition next to what it counts
            "rows": [(f, f.lists(week)) for f in definitions.FIGURES],
        }
        return TemplateResponse(request, "backoffice/figure_definitions.html", context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = reports.Period.from_params(request.GET)
        content = report_workbook(build_report(period))
        name = f"service-report-{period.kind}-{period.first_day.isoformat()}.xlsx"
        return HttpResponse(
            content, headers={
                "Content-Type": "application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet",
                "Content-Disposition": f'attachment; filename="{name}"'})
