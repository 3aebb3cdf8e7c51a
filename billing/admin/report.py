"""Pages and page fragments of the billing admin that are not plain model forms:
the budget-versus-actual report (a custom unfold page) and the budget figures table."""

import json

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from billing import selectors
from billing.models import Budget
from billing.money import ZERO, currency
from billing.workflows import BudgetPeriod

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


def _chart(labels, datasets) -> str:
    """Chart.js data; amounts travel as decimal strings (Chart.js parses them), never floats."""
    return json.dumps({"labels": [str(label) for label in labels], "datasets": datasets})


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
            "category_chart": _chart(
                [r["label"] for r in rows],
                [{"label": str(_("Current budget")), "data": [str(r["current"]) for r in rows],
                  "backgroundColor": "var(--color-base-300)"},
                 {"label": str(_("Actual")), "data": [str(r["actual"]) for r in rows],
                  "backgroundColor": "var(--color-primary-600)"},
                 {"label": str(_("Committed")), "data": [str(r["committed"]) for r in rows],
                  "backgroundColor": "var(--color-primary-300)"}]),
            "period_chart": _chart(
                period_labels,
                [{"label": str(_("Actual")),
                  "data": [str(c.actual) for c in report["totals"]],
                  "backgroundColor": "var(--color-primary-600)"},
                 {"label": str(_("Committed")),
                  "data": [str(c.committed) for c in report["totals"]],
                  "backgroundColor": "var(--color-primary-300)"}]),
        })
        return context
