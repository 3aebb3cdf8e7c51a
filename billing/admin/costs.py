"""Cost rates per role, and the cost report: what the tickets received in a period cost
(parts, expense claims, time) against the accepted quotes, per customer, product,
category or month, with a chart and an xlsx download of the same rows."""

import io

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.decorators import action
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.platform.admin.base import BackofficeAdmin
from backoffice.platform.dashboard import bar_chart, dataset
from backoffice.platform.resources import escape_formula
from billing.models import CostRate
from billing.money import currency
from billing.selectors import cost_report

GROUPING_LABELS = {"customer": _("Customer"), "product": _("Product"),
                   "category": _("Problem category"), "month": _("Month received")}


def report_params(params) -> dict:
    """year, first and last month, grouping from the query string (bad values: defaults)."""
    today = timezone.localdate()

    def number(name, default, low, high):
        try:
            value = int(params.get(name) or default)
        except ValueError:
            return default
        return value if low <= value <= high else default

    first = number("from", 1, 1, 12)
    last = number("to", 12, 1, 12)
    grouping = params.get("by") if params.get("by") in GROUPING_LABELS else "customer"
    return {"grouping": grouping, "year": number("year", today.year, 2000, 2100),
            "first_month": min(first, last), "last_month": max(first, last)}


def report_table(report) -> tuple[list[str], list[list]]:
    """The header and the rows the page shows and the workbook holds, total row last."""
    header = [str(GROUPING_LABELS[report["grouping"]]), gettext("Tickets"),
              gettext("Parts"), gettext("Expenses"), gettext("Hours"), gettext("Time spent"),
              gettext("Total cost"), gettext("Accepted quotes"), gettext("Margin")]

    def cells(label, r):
        return [label, r.tickets, r.parts, r.expenses, r.hours, r.time, r.total, r.quoted,
                r.margin]

    rows = [cells(r.label, r) for r in report["rows"]]
    rows.append(cells(gettext("Total"), report["total"]))
    return header, rows


def report_workbook(report) -> bytes:
    """The page's table as an xlsx file (numbers stay numbers, text cells escaped)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = report_table(report)
    wb = Workbook()
    ws = wb.active
    ws.title = gettext("Cost of tickets")[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([escape_formula(v) if isinstance(v, str) else v for v in row])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def report_chart(report) -> dict:
    """Stacked cost per row (parts, expenses, time) and the accepted quotes beside it;
    amounts as decimal strings (Chart.js parses them), never floats."""
    rows = report["rows"][:30]
    return bar_chart(
        [r.label for r in rows],
        dataset(_("Parts"), [str(r.parts) for r in rows], "primary", stack="cost"),
        dataset(_("Expenses"), [str(r.expenses) for r in rows], "secondary", stack="cost"),
        dataset(_("Time spent"), [str(r.time) for r in rows], "var(--color-base-300)",
                stack="cost"),
        dataset(_("Accepted quotes"), [str(r.quoted) for r in rows], "green",
                stack="quoted"),
        options={"scales": {"x": {"stacked": True}, "y": {"stacked": True}}})


class CostReportView(UnfoldModelAdminViewMixin, TemplateView):
    """What the tickets received in the period cost, per customer, product, category or
    month."""

    title = _("Cost of tickets")
    permission_required = ("billing.view_ticket_cost",)
    template_name = "billing/cost_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = report_params(self.request.GET)
        report = cost_report(**params)
        header, rows = report_table(report)
        today = timezone.localdate()
        context.update({
            **params, "report": report, "header": header, "rows": rows[:-1],
            "total_row": rows[-1], "currency": currency(),
            "groupings": [(k, str(v)) for k, v in GROUPING_LABELS.items()],
            "years": list(range(today.year, today.year - 6, -1)),
            "months": list(range(1, 13)),
            "export_query": self.request.GET.urlencode(),
            "chart": report_chart(report),
        })
        return context


@admin.register(CostRate)
class CostRateAdmin(BackofficeAdmin):
    """The hourly cost of each role from a date on (finance and the after-sales manager)."""

    list_display = ["role", "hourly_rate", "valid_from", "note"]
    list_filter = ["role"]
    ordering = ["role", "-valid_from"]
    fields = ["role", "hourly_rate", "valid_from", "note"]
    actions_list = ["cost_report_action"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        report = self.admin_site.admin_view(CostReportView.as_view(model_admin=self))
        return [path("report/", report, name="billing_cost_report"),
                path("report/export/", self.admin_site.admin_view(self.export_view),
                     name="billing_cost_report_export"),
                *super().get_urls()]

    @action(description=_("Cost of tickets"), icon="monitoring", url_path="report-link",
            permissions=["view_ticket_cost"])
    def cost_report_action(self, request):
        from django.shortcuts import redirect

        return redirect("admin:billing_cost_report")

    def has_view_ticket_cost_permission(self, request):
        return request.user.has_perm("billing.view_ticket_cost")

    def export_view(self, request):
        if not self.has_view_ticket_cost_permission(request):
            raise PermissionDenied
        params = report_params(request.GET)
        content = report_workbook(cost_report(**params))
        name = (f"ticket-cost-{params['grouping']}-{params['year']}-"
                f"{params['first_month']:02d}-{params['last_month']:02d}.xlsx")
        return HttpResponse(content, headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{name}"'})
