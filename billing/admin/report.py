"""Pages and page fragments of the billing admin that are not plain model forms:
the budget-versus-actual report (a custom unfold page) and the budget figures table."""

import datetime as dt
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.platform.dashboard import bar_chart, dataset
from billing import selectors
from billing.models import Budget
from billing.money import ZERO, currency
from billing.workflows import BudgetPeriod, ClaimStatus

MONTHS = [label for value, label in BudgetPeriod.choices if value.startswith("m")]
QUARTERS = [label for value, label in BudgetPeriod.choices if value.startswith("q")]


def figures_rows(figures):
    """Template-friendly rows (and a total row) from CategoryFigures."""
    rows = []
    for f in figures:
        rows.append({
            "label": f.label, "policy": f.policy_label, "original": f.original,
            "adjustments": f.adjustments, "current": f.current, "actual": f.actual,
            "committed": f.committed, "remaining": f.remaining, "percent": f.used_percent,
            "over": f.remaining < 0,
        })
    total = {key: sum((r[key] for r in rows), ZERO)
             for key in ("original", "adjustments", "current", "actual", "committed",
                         "remaining")}
    total["percent"] = (int((total["actual"] + total["committed"]) * 100 / total["current"])
                        if total["current"] > 0 else 0)
    total["over"] = total["remaining"] < 0
    total["percent_capped"] = min(total["percent"], 100)
    total["percent_text"] = f"{total['percent']}%"
    return rows, total


def figures_table(budget) -> str:
    """The budget page's table: original, adjustments, current, committed, actual,
    remaining per category."""
    rows, total = figures_rows(selectors.budget_position(budget))
    return render_to_string("billing/budget_figures.html",
                            {"rows": rows, "total": total, "currency": currency(),
                             "budget": budget})


def _lines_link(**params) -> str:
    """The claim lines behind a figure (paid: actual; approved, not paid: committed)."""
    return f"{reverse('admin:billing_expenseline_changelist')}?{urlencode(params)}"


def _period_days(year: int, granularity: str) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each month or quarter of ``year``."""
    step = 1 if granularity == "month" else 3
    starts = [dt.date(year, month, 1) for month in range(1, 13, step)]
    ends = [*starts[1:], dt.date(year + 1, 1, 1)]
    return [(first, nxt - dt.timedelta(days=1)) for first, nxt in zip(starts, ends, strict=True)]


def report_charts(year: int, granularity: str, report) -> dict:
    """The report's two bar charts; each bar opens the lines behind it: a category's current
    budget its budget lines, its actual and committed the claim lines of the year (received
    purchases count in "parts" too; they are on the purchase orders' list), a period's bars
    the claim lines of that month or quarter. Amounts travel as decimal strings (Chart.js
    parses them), never floats."""
    budget = report["budget"]
    figures = [r.figures for r in report["rows"]]
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lines_of = {ClaimStatus.PAID: [], ClaimStatus.APPROVED: []}
    budget_links = []
    for category in (f.category for f in figures):
        for state, links in lines_of.items():
            links.append(_lines_link(category__exact=category, claim__state__exact=state,
                                     date__gte=first.isoformat(), date__lte=last.isoformat()))
        budget_links.append(
            f"{reverse('admin:billing_budgetline_changelist')}?"
            + urlencode({"budget__id__exact": budget.pk, "category__exact": category})
            if budget else None)
    periods = _period_days(year, granularity)
    period_links = {state: [_lines_link(claim__state__exact=state, date__gte=a.isoformat(),
                                        date__lte=b.isoformat()) for a, b in periods]
                    for state in lines_of}
    labels = MONTHS if granularity == "month" else QUARTERS
    return {
        "category_chart": bar_chart(
            [f.label for f in figures],
            dataset(_("Current budget"), [str(f.current) for f in figures],
                    "var(--color-base-300)", links=budget_links),
            dataset(_("Actual"), [str(f.actual) for f in figures], "primary",
                    links=lines_of[ClaimStatus.PAID]),
            dataset(_("Committed"), [str(f.committed) for f in figures], "secondary",
                    links=lines_of[ClaimStatus.APPROVED])),
        "period_chart": bar_chart(
            labels,
            dataset(_("Actual"), [str(c.actual) for c in report["totals"]], "primary",
                    links=period_links[ClaimStatus.PAID]),
            dataset(_("Committed"), [str(c.committed) for c in report["totals"]], "secondary",
                    links=period_links[ClaimStatus.APPROVED])),
    }


class BudgetReportView(UnfoldModelAdminViewMixin, TemplateView):
    """Budget versus actual per category and month (or quarter), with charts."""

    title = _("Budget vs actual")
    permission_required = ("billing.view_budget",)
    template_name = "billing/budget_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year") or today.year)
        except ValueError:
            year = today.year
        granularity = "quarter" if self.request.GET.get("by") == "quarter" else "month"
        report = selectors.budget_vs_actual(year, granularity)
        rows, total = figures_rows([r.figures for r in report["rows"]])
        period_labels = MONTHS if granularity == "month" else QUARTERS
        years = sorted({*Budget.objects.values_list("year", flat=True), today.year},
                       reverse=True)
        context.update({
            "year": year, "years": years, "granularity": granularity,
            "budget": report["budget"], "currency": currency(),
            "figures": rows, "total": total,
            "period_labels": [str(p) for p in period_labels],
            "period_rows": [
                {"label": r.figures.label,
                 "cells": [{"budget": c.budget, "used": c.actual + c.committed,
                            "over": c.budget is not None and c.actual + c.committed > c.budget}
                           for c in r.cells],
                 "actual": r.figures.actual, "committed": r.figures.committed}
                for r in report["rows"]],
            "period_totals": [c.actual + c.committed for c in report["totals"]],
            **report_charts(year, granularity, report),
        })
        return context
