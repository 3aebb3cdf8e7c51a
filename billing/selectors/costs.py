"""What tickets cost: parts issued (the ledger's unit cost, returns deducted), expense
claim lines (claimed, not refused), and time (hours × the hourly cost rate of the person's
role valid on the day), against the accepted quotes (margin).

One ticket: one query (the four sources read together, ``platform.together``). The report:
each source aggregated in the database by the grouping key, then joined in Python (never a
loop over tickets).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from backoffice.desk.models import Customer, Product, Ticket, TimeEntry
from backoffice.desk.workflows import Category
from backoffice.platform import roles as platform_roles
from backoffice.platform.people import display_name_of
from backoffice.platform.reference import ReferenceData
from backoffice.platform.together import choice_label, read_together
from billing.models import CostRate, CustomerCharge, ExpenseClaim, ExpenseLine
from billing.money import ZERO, currency, to_money
from billing.workflows import COST_CLAIM_STATES, REVENUE_CHARGE_STATES

MONEY = DecimalField(max_digits=16, decimal_places=2)
RATE = DecimalField(max_digits=10, decimal_places=2)


# -- cost rates ----------------------------------------------------------------------------
#: the cost rates, read by every ticket page that shows money: kept in the process until
#: a rate is saved or deleted (or imported)
RATES = ReferenceData("billing.cost-rates", "billing.CostRate")


def rate_schedule() -> dict[str, list[tuple[dt.date, Decimal]]]:
    """{role: [(valid from, hourly rate), ...] oldest first}: this process's copy, or one
    query. Shared: read it, never change it."""
    return RATES.get("schedule", _read_rate_schedule)


def _read_rate_schedule() -> dict[str, list[tuple[dt.date, Decimal]]]:
    schedule: dict[str, list] = defaultdict(list)
    for role, since, rate in (CostRate.objects.order_by("role", "valid_from")
                              .values_list("role", "valid_from", "hourly_rate")):
        schedule[role].append((since, rate))
    return dict(schedule)


def roles_of_people(person_ids=None) -> dict[int, frozenset[str]]:
    """{user id: the person's roles} from their groups: of ``person_ids`` as the platform
    keeps them (no query once seen), of everyone in one query."""
    if person_ids is not None:
        return {pk: roles for pk, roles in platform_roles.roles_by_user(person_ids).items()
                if roles}
    by_name = {platform_roles.group_name(role): role for role in platform_roles.ROLES}
    links = get_user_model().groups.through.objects.filter(group__name__in=by_name)
    out: dict[int, set[str]] = defaultdict(set)
    for user_id, name in links.values_list("user_id", "group__name"):
        out[user_id].add(by_name[name])
    return {k: frozenset(v) for k, v in out.items()}


def rate_on(schedule, roles, day) -> Decimal | None:
    """The hourly rate of someone in ``roles`` on ``day``: the highest of their roles'
    rates valid then; None when none of their roles has a rate yet."""
    best = None
    for role in roles:
        steps = schedule.get(role, ())
        i = bisect_right([since for since, _rate in steps], day)
        if i:
            rate = steps[i - 1][1]
            best = rate if best is None or rate > best else best
    return best


def rate_expression(schedule, people: dict[int, frozenset[str]]):
    """A SQL ``CASE`` giving each time entry's hourly rate (0 without one): one branch per
    (set of roles, span between two rate changes), whatever the number of entries."""
    by_roles: dict[frozenset, list[int]] = defaultdict(list)
    for person_id, person_roles in people.items():
        by_roles[person_roles].append(person_id)
    whens = []
    for person_roles, ids in by_roles.items():
        days = sorted({since for role in person_roles for since, _r in schedule.get(role, ())})
        for i, since in enumerate(days):
            rate = rate_on(schedule, person_roles, since)
            span = Q(person_id__in=sorted(ids), worked_on__gte=since)
            if i + 1 < len(days):
                span &= Q(worked_on__lt=days[i + 1])
            whens.append(When(span, then=Value(rate, output_field=RATE)))
    if not whens:
        return Value(ZERO, output_field=RATE)
    return Case(*whens, default=Value(ZERO, output_field=RATE), output_field=RATE)


# -- one ticket ----------------------------------------------------------------------------
@dataclass
class TicketCost:
    parts: list[dict] = field(default_factory=list)
    expenses: list[dict] = field(default_factory=list)
    time: list[dict] = field(default_factory=list)
    charges: list[dict] = field(default_factory=list)
    #: the parts net of returns, by part (the service record's "parts used")
    parts_used: list[dict] = field(default_factory=list)

    @property
    def parts_total(self) -> Decimal:
        return to_money(sum((r["value"] for r in self.parts), ZERO))

    @property
    def expenses_total(self) -> Decimal:
        return to_money(sum((r["amount"] for r in self.expenses if r["counts"]), ZERO))

    @property
    def hours(self) -> Decimal:
        return sum((r["hours"] for r in self.time), Decimal("0"))

    @property
    def time_total(self) -> Decimal:
        return to_money(sum((r["cost"] for r in self.time), ZERO))

    @property
    def unrated_hours(self) -> Decimal:
        return sum((r["hours"] for r in self.time if r["rate"] is None), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.parts_total + self.expenses_total + self.time_total

    @property
    def quoted(self) -> Decimal:
        return to_money(sum((r["amount"] for r in self.charges if r["counts"]), ZERO))

    @property
    def margin(self) -> Decimal:
        return self.quoted - self.total


def _time_entries(ticket):
    """The ticket's time entries, unread, with their person's name."""
    return (TimeEntry.objects.filter(ticket=ticket)
            .values("pk", "worked_on", "hours", "description", "person_id",
                    "person__first_name", "person__last_name", "person__username")
            .order_by("worked_on", "pk"))


def _time_rows(entries, *, rated) -> list[dict]:
    """Each time entry, valued at its person's rate on the day (``rated``: else no rate)."""
    schedule = rate_schedule() if rated and entries else {}
    people = roles_of_people({e["person_id"] for e in entries}) if rated and entries else {}
    rows = []
    for e in entries:
        rate = rate_on(schedule, people.get(e["person_id"], ()), e["worked_on"]) if rated \
            else None
        rows.append({
            "entry_id": e["pk"], "worked_on": e["worked_on"], "hours": e["hours"],
            "description": e["description"], "rate": rate,
            "person": display_name_of(e["person__first_name"], e["person__last_name"],
                                      e["person__username"]),
            "cost": to_money(e["hours"] * rate) if rate is not None else (ZERO if rated
                                                                          else None)})
    return rows


def ticket_cost(ticket, *, money=True) -> TicketCost:
    """Parts, expense lines, time and quotes of one ticket, in one query (the four read
    together). ``money=False``: the parts and the hours alone (no rates, claims or
    quotes read), for those who may see the time but not the money."""
    cost = TicketCost()
    if ticket is None or ticket.pk is None:
        return cost
    lists = {"time": _time_entries(ticket)}
    if apps.is_installed("inventory"):
        from inventory.selectors import ticket_issue_lines

        lists["parts"] = ticket_issue_lines(ticket)
    if money:
        lists["expenses"] = (
            ExpenseLine.objects.filter(ticket=ticket)
            .values("pk", "date", "amount", "category", "description", "claim_id",
                    "claim__number", "claim__state").order_by("date", "pk"))
        lists["charges"] = (
            CustomerCharge.objects.filter(ticket=ticket)
            .values("pk", "number", "title", "amount", "currency", "state", "created_at")
            .order_by("created_at", "pk"))
    rows = read_together(**lists)
    if "parts" in rows:
        from inventory.selectors import parts_issued, parts_used

        cost.parts_used = parts_used(rows["parts"])
        cost.parts = parts_issued(rows["parts"]) if money else []
    cost.time = _time_rows(rows["time"], rated=money)
    for line in rows.get("expenses", ()):
        cost.expenses.append({
            "line_id": line["pk"], "claim_id": line["claim_id"],
            "claim_number": line["claim__number"], "date": line["date"],
            "amount": line["amount"],
            "category": choice_label(ExpenseLine, "category", line["category"]),
            "description": line["description"], "state": line["claim__state"],
            "state_label": choice_label(ExpenseClaim, "state", line["claim__state"]),
            "counts": line["claim__state"] in COST_CLAIM_STATES})
    home = currency()
    for charge in rows.get("charges", ()):
        cost.charges.append({
            "charge_id": charge["pk"], "number": charge["number"], "title": charge["title"],
            "amount": charge["amount"], "currency": charge["currency"],
            "state_label": choice_label(CustomerCharge, "state", charge["state"]),
            "counts": charge["state"] in REVENUE_CHARGE_STATES and charge["currency"] == home})
    return cost


# -- the cost report -----------------------------------------------------------------------
GROUPINGS = ("customer", "product", "category", "month")


_KEY_FIELDS = {"customer": "customer_id", "product": "product_id", "category": "category"}


def _key(grouping: str, prefix: str = ""):
    """The grouping key as an expression on the ticket (``prefix`` "ticket__" from a source)."""
    if grouping == "month":
        return TruncMonth(f"{prefix}received_at")
    return F(f"{prefix}{_KEY_FIELDS[grouping]}")


@dataclass
class CostRow:
    key: object
    label: str
    tickets: int = 0
    parts: Decimal = ZERO
    expenses: Decimal = ZERO
    time: Decimal = ZERO
    hours: Decimal = Decimal("0")
    quoted: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.parts + self.expenses + self.time

    @property
    def margin(self) -> Decimal:
        return self.quoted - self.total


def period_bounds(year: int, first_month: int = 1, last_month: int = 12):
    """The aware datetimes [start, end) of the months ``first_month``..``last_month``."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, first_month, 1, tzinfo=tz)
    end = (dt.datetime(year + 1, 1, 1, tzinfo=tz) if last_month == 12
           else dt.datetime(year, last_month + 1, 1, tzinfo=tz))
    return start, end


def cost_report(grouping: str, year: int, first_month: int = 1, last_month: int = 12,
                *, limit: int | None = 200) -> dict:
    """Cost of the tickets received in the period, per customer, product, category or
    month of receipt: tickets, parts, expenses, time (and hours), total, quoted, margin.

    A ticket's costs count in the group and period of the ticket (whenever they were
    incurred), so the margin sets what the tickets cost against what they earn. Rows by
    total cost, highest first (months in calendar order); at most ``limit`` rows, the
    totals cover all of them. Seven aggregate queries and two for the labels.
    """
    grouping = grouping if grouping in GROUPINGS else "customer"
    start, end = period_bounds(year, first_month, last_month)
    tickets = Q(ticket__received_at__gte=start, ticket__received_at__lt=end)
    key = _key(grouping, "ticket__")
    rows: dict[object, CostRow] = {}

    def row(k) -> CostRow:
        if k not in rows:
            rows[k] = CostRow(key=k, label="")
        return rows[k]

    for k, n in (Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
                 .annotate(key=_key(grouping)).values("key").annotate(n=Count("pk"))
                 .order_by().values_list("key", "n")):
        row(k).tickets = n
    if apps.is_installed("inventory"):
        from inventory.selectors import parts_value_by

        for k, v in parts_value_by(key, tickets).items():
            row(k).parts = v
    for k, v in (ExpenseLine.objects.filter(tickets, claim__state__in=COST_CLAIM_STATES)
                 .annotate(key=key).values("key").annotate(v=Sum("amount")).order_by()
                 .values_list("key", "v")):
        row(k).expenses = to_money(v)
    people = roles_of_people()
    cost = Sum(F("hours") * rate_expression(rate_schedule(), people), output_field=MONEY)
    for k, h, v in (TimeEntry.objects.filter(tickets).annotate(key=key).values("key")
                    .annotate(h=Sum("hours"), v=cost).order_by().values_list("key", "h", "v")):
        row(k).hours, row(k).time = h or Decimal("0"), to_money(v)
    for k, v in (CustomerCharge.objects.filter(tickets, state__in=REVENUE_CHARGE_STATES,
                                               currency=currency())
                 .annotate(key=key).values("key").annotate(v=Sum("amount")).order_by()
                 .values_list("key", "v")):
        row(k).quoted = to_money(v)
    all_rows = list(rows.values())
    total = CostRow(key=None, label="", tickets=sum(r.tickets for r in all_rows),
                    parts=sum((r.parts for r in all_rows), ZERO),
                    expenses=sum((r.expenses for r in all_rows), ZERO),
                    time=sum((r.time for r in all_rows), ZERO),
                    hours=sum((r.hours for r in all_rows), Decimal("0")),
                    quoted=sum((r.quoted for r in all_rows), ZERO))
    if grouping == "month":
        shown = sorted(all_rows, key=lambda r: r.key or start)
    else:
        shown = sorted(all_rows, key=lambda r: (-r.total, -r.tickets, str(r.key)))
    more = max(0, len(shown) - limit) if limit else 0
    shown = shown[:limit] if limit else shown
    _label_rows(grouping, shown)
    return {"grouping": grouping, "year": year, "first_month": first_month,
            "last_month": last_month, "rows": shown, "more": more, "total": total,
            "currency": currency()}


def _label_rows(grouping: str, rows: list[CostRow]) -> None:
    from django.utils.translation import gettext as _

    if grouping == "customer":
        names = dict(Customer.objects.filter(pk__in=[r.key for r in rows])
                     .values_list("pk", "name"))
        for r in rows:
            r.label = names.get(r.key, "?")
    elif grouping == "product":
        names = dict(Product.objects.filter(pk__in=[r.key for r in rows if r.key])
                     .values_list("pk", "name"))
        for r in rows:
            r.label = names.get(r.key, "") if r.key else _("No product")
    elif grouping == "category":
        labels = dict(Category.choices)
        for r in rows:
            r.label = str(labels.get(r.key, r.key))
    else:
        for r in rows:
            r.label = timezone.localtime(r.key).strftime("%Y-%m") if isinstance(
                r.key, dt.datetime) else (r.key.strftime("%Y-%m") if r.key else "?")
