"""Reads of the billing app: budget figures and consumption, always as DB aggregates;
what tickets cost (``billing.selectors.costs``).

Vocabulary (per fiscal year and category):
- original: the sum of the approved budget's lines;
- adjustments: the net of its approved adjustments (increases, decreases, transfers);
- current = original + adjustments;
- actual: money that has left - paid claims plus every registered spending source
  (received purchases from inventory, ...); committed: approved but not yet paid/received;
- remaining = current - actual - committed.
Claims count in the year and month of each line's expense date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth

from backoffice.platform import budget as seam
from billing.models import Budget, BudgetAdjustment, BudgetControl, BudgetLine, ExpenseLine
from billing.money import ZERO, currency, to_money
from billing.workflows import (
    AdjustmentKind,
    AdjustmentStatus,
    BudgetStatus,
    ClaimStatus,
    ExpenseCategory,
    OverrunPolicy,
    period_kind,
    period_months,
    quarter_of,
)

LABELS = dict(ExpenseCategory.choices)


@dataclass
class CategoryFigures:
    category: str
    policy: str = OverrunPolicy.IGNORE
    original: Decimal = ZERO
    adjustments: Decimal = ZERO
    actual: Decimal = ZERO
    committed: Decimal = ZERO

    @property
    def label(self) -> str:
        return str(LABELS[self.category])

    @property
    def policy_label(self) -> str:
        return str(dict(OverrunPolicy.choices)[self.policy]).split(":")[0]

    @property
    def current(self) -> Decimal:
        return self.original + self.adjustments

    @property
    def used(self) -> Decimal:
        return self.actual + self.committed

    @property
    def remaining(self) -> Decimal:
        return self.current - self.used

    @property
    def used_percent(self) -> int:
        if self.current <= 0:
            return 100 if self.used > 0 else 0
        return int(self.used * 100 / self.current)


def approved_budget(year: int) -> Budget | None:
    return Budget.objects.filter(year=year, state=BudgetStatus.APPROVED).first()


def _as_budget(budget_or_year):
    if isinstance(budget_or_year, Budget):
        return budget_or_year
    return approved_budget(int(budget_or_year))


# -- budget amounts ------------------------------------------------------------------------
def original_by_category(budget, category: str | None = None) -> dict[str, Decimal]:
    lines = BudgetLine.objects.filter(budget=budget)
    if category:
        lines = lines.filter(category=category)
    return {c: to_money(s)
            for c, s in lines.values_list("category").annotate(s=Sum("amount")).order_by()}


def adjustments_by_category(budget, category: str | None = None) -> dict[str, Decimal]:
    """Net approved change per category (transfers move money between two categories)."""
    adjustments = BudgetAdjustment.objects.filter(budget=budget, state=AdjustmentStatus.APPROVED)
    if category:
        adjustments = adjustments.filter(Q(category=category) | Q(from_category=category))
    net: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, to, frm, total in (adjustments.values_list("kind", "category", "from_category")
                                 .annotate(s=Sum("amount")).order_by()):
        total = to_money(total)
        if kind == AdjustmentKind.DECREASE:
            net[to] -= total
        else:
            net[to] += total
        if kind == AdjustmentKind.TRANSFER:
            net[frm] -= total
    return dict(net)


def policies(budget) -> dict[str, str]:
    return dict(BudgetControl.objects.filter(budget=budget)
                .values_list("category", "overrun_policy"))


# -- consumption ---------------------------------------------------------------------------
def claim_consumption(year: int, *, category: str | None = None, exclude=None):
    """{(category, month): [actual, committed]} from approved and paid claims."""
    lines = ExpenseLine.objects.filter(
        date__year=year, claim__state__in=[ClaimStatus.APPROVED, ClaimStatus.PAID])
    if category:
        lines = lines.filter(category=category)
    if exclude is not None and getattr(exclude, "_meta", None) and \
            exclude._meta.label == "billing.ExpenseClaim" and exclude.pk:
        lines = lines.exclude(claim_id=exclude.pk)
    out: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for cat, month, state, total in (lines.annotate(month=ExtractMonth("date"))
                                     .values_list("category", "month", "claim__state")
                                     .annotate(s=Sum("amount")).order_by()):
        out[(cat, month)][0 if state == ClaimStatus.PAID else 1] += to_money(total)
    return out


def consumption(year: int, *, category: str | None = None, exclude=None):
    """{(category, month): [actual, committed]}: claims plus every registered source."""
    out = claim_consumption(year, category=category, exclude=exclude)
    for spend in seam.spending(year):
        if category and spend.category != category:
            continue
        cell = out[(spend.category, int(spend.month))]
        cell[0] += to_money(spend.actual)  # sources report Decimals; a float is refused
        cell[1] += to_money(spend.committed)
    return out


def category_position(year: int, category: str, *, budget=None, exclude=None
                      ) -> CategoryFigures:
    """One category's figures (what the budget guard compares an approval against)."""
    budget = budget if budget is not None else approved_budget(year)
    figures = CategoryFigures(category=category)
    if budget is not None:
        figures.original = original_by_category(budget, category).get(category, ZERO)
        figures.adjustments = adjustments_by_category(budget, category).get(category, ZERO)
        figures.policy = policies(budget).get(category, OverrunPolicy.WARN)
    for (_cat, _month), (actual, committed) in consumption(
            year, category=category, exclude=exclude).items():
        figures.actual += actual
        figures.committed += committed
    return figures


def spend_position(*, category: str, year: int, amount: Decimal, exclude=None,
                   no_budget_policy: str = OverrunPolicy.IGNORE) -> seam.Position:
    """What a document drafting ``amount`` of ``category`` in ``year`` meets: the figures
    the guard will compare it against (without the document itself), for its page."""
    budget = approved_budget(year)
    figures = category_position(year, category, budget=budget, exclude=exclude)
    policy = figures.policy if budget is not None else no_budget_policy
    return seam.Position(
        category=category, label=figures.label, year=year, policy=str(policy),
        policy_label=str(dict(OverrunPolicy.choices)[policy]).split(":")[0],
        has_budget=budget is not None, budget=figures.current, actual=figures.actual,
        committed=figures.committed, amount=to_money(amount), currency=currency())


def budget_position(budget_or_year, *, spent=None) -> list[CategoryFigures]:
    """Per category: original, adjustments, current, actual, committed, remaining.

    ``spent`` is a ``consumption(year)`` result the caller already has."""
    budget = _as_budget(budget_or_year)
    year = budget.year if budget else int(budget_or_year)
    rows = {c: CategoryFigures(category=c) for c in ExpenseCategory.values}
    if budget is not None:
        counts_from = budget.state == BudgetStatus.APPROVED
        for c, total in original_by_category(budget).items():
            rows[c].original = total
        if counts_from:
            for c, total in adjustments_by_category(budget).items():
                rows[c].adjustments = total
        for c, policy in policies(budget).items():
            rows[c].policy = policy
    for (c, _month), (actual, committed) in (spent if spent is not None
                                             else consumption(year)).items():
        if c in rows:
            rows[c].actual += actual
            rows[c].committed += committed
    return list(rows.values())


# -- budget versus actual per period ---------------------------------------------------------
@dataclass
class PeriodCell:
    budget: Decimal | None = None  # None: the category is not phased that finely
    actual: Decimal = ZERO
    committed: Decimal = ZERO


@dataclass
class ReportRow:
    figures: CategoryFigures
    cells: list[PeriodCell] = field(default_factory=list)


def budget_vs_actual(year: int, granularity: str = "month") -> dict:
    """Rows per category with one cell per month (or quarter), plus totals and labels.

    Phased budget amounts appear in a period only when the category's lines are at least
    that fine (monthly lines fill both views, quarterly lines the quarter view); whole-year
    lines show in the totals. Adjustments apply to the year's totals.
    """
    n = 12 if granularity == "month" else 4
    budget = approved_budget(year)
    spent = consumption(year)
    figures = {f.category: f for f in budget_position(budget or year, spent=spent)}
    rows = {c: ReportRow(figures=figures[c], cells=[PeriodCell() for _ in range(n)])
            for c in ExpenseCategory.values}

    def bucket(month: int) -> int:
        return month - 1 if granularity == "month" else quarter_of(month) - 1

    if budget is not None:
        for category, period, amount in BudgetLine.objects.filter(budget=budget).values_list(
                "category", "period", "amount"):
            kind = period_kind(period)
            if kind == "year" or (kind == "quarter" and granularity == "month"):
                continue
            cell = rows[category].cells[bucket(period_months(period)[0])]
            cell.budget = (cell.budget or ZERO) + amount
    for (category, month), (actual, committed) in spent.items():
        if category in rows:
            cell = rows[category].cells[bucket(month)]
            cell.actual += actual
            cell.committed += committed
    totals = [PeriodCell(actual=sum((r.cells[i].actual for r in rows.values()), ZERO),
                         committed=sum((r.cells[i].committed for r in rows.values()), ZERO))
              for i in range(n)]
    return {"year": year, "budget": budget, "granularity": granularity,
            "rows": list(rows.values()), "totals": totals, "periods": n}


# -- the printed expense claim (报销单) --------------------------------------------------------
#: a claim goes on paper once approved: the approver's decision is part of the form
CLAIM_PRINTABLE = (ClaimStatus.APPROVED, ClaimStatus.PAID)


def claim_printable(claim) -> bool:
    return claim.state in CLAIM_PRINTABLE


def expense_claim_form(claim) -> dict:
    """What the printed expense claim shows: the claimant, the lines (with the ticket and
    customer each served), the total by category and in words, who submitted, approved
    and paid when (from the journal, else the claim's own fields), the journal."""
    from backoffice.platform import printing
    from billing.models import ExpenseClaim

    claim = (ExpenseClaim.objects.select_related("claimant", "approved_by", "paid_by")
             .get(pk=claim.pk))
    lines = list(claim.lines.select_related("ticket", "customer").order_by("date", "id"))
    for line in lines:
        line.amount_display = _grouped(line.amount)
    total = to_money(sum((line.amount for line in lines), ZERO))
    by_category: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_category[line.category] += line.amount
    journal = printing.journal(claim)
    submitted = printing.last_step(journal, "submit")
    approved = printing.last_step(journal, "approve")
    return {
        "claim": claim,
        "lines": lines,
        "total": total,
        "total_display": _grouped(total),
        "total_in_words": amount_in_chinese(total),
        "currency": currency(),
        "by_category": [(str(LABELS[c]), _grouped(a)) for c, a in sorted(by_category.items())],
        "submitted_at": submitted["at"] if submitted else claim.submitted_at,
        "approver": approved["by"] if approved else printing.person(claim.approved_by),
        "approved_at": approved["at"] if approved else claim.approved_at,
        "approval_note": approved["note"] if approved else "",
        "journal": journal,
    }


def _grouped(value) -> str:
    """12,345.00: thousands grouped with commas, as on Chinese financial documents."""
    return f"{to_money(value):,.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def amount_in_chinese(value) -> str:
    """An amount in Chinese capital numerals, as financial forms write it out
    (553.00 → 伍佰伍拾叁元整, 1005.30 → 壹仟零伍元叁角, 100000.05 → 壹拾万元零伍分)."""
    value = to_money(value)
    if value < 0:
        return "负" + amount_in_chinese(-value)
    yuan, cents = divmod(int(value * 100), 100)
    jiao, fen = divmod(cents, 10)
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    text, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        part, zero = "", False
        for position in range(3, -1, -1):
            digit = group // 10 ** position % 10
            if digit == 0:
                zero = zero or bool(part or text)
                continue
            if zero:
                part, zero = part + "零", False
            part += _DIGITS[digit] + _IN_GROUP[position]
        if zero_pending and not part.startswith("零"):
            part = "零" + part
        text, zero_pending = text + part + _GROUPS[index], False
    if not text and not cents:
        return "零元整"
    words = text + "元" if text else ""
    if not cents:
        return words + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif text:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    return words


from billing.selectors.costs import (  # noqa: E402, F401  (what tickets cost)
    TicketCost,
    cost_report,
    ticket_cost,
)
