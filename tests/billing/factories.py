"""factory-boy factories and small builders for the billing tests."""

import datetime as dt
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services
from billing.models import Budget, BudgetLine, ExpenseClaim, ExpenseLine
from billing.workflows import BudgetPeriod, ExpenseCategory
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def receipt(name="receipt.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def this_year() -> int:
    return timezone.localdate().year


def a_day(month=None) -> dt.date:
    """A past day of this year (expense dates may not lie in the future)."""
    today = timezone.localdate()
    if month is None or dt.date(today.year, month, 1) > today:
        return today.replace(day=1) if today.day > 1 else today
    return dt.date(today.year, month, 1)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    year = factory.Sequence(lambda n: 2030 + n)
    title = factory.LazyAttribute(lambda o: f"{o.year}年售后服务费用预算")


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    budget = factory.SubFactory(BudgetFactory)
    category = ExpenseCategory.TRAVEL
    period = BudgetPeriod.YEAR
    amount = Decimal("10000.00")


class ExpenseClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpenseClaim

    claimant = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"上门服务差旅费 {n}")


class ExpenseLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpenseLine

    claim = factory.SubFactory(ExpenseClaimFactory)
    date = factory.LazyFunction(a_day)
    category = ExpenseCategory.TRAVEL
    description = "高铁票 北京-上海"
    amount = Decimal("553.00")
    receipt = factory.LazyFunction(receipt)


def approved_budget(preparer, approver, *, year=None, amounts=None, policies=None,
                    period=BudgetPeriod.YEAR):
    """An approved budget (through the real workflow) with one line per category given."""
    amounts = amounts or {ExpenseCategory.TRAVEL: Decimal("10000.00")}
    budget = services.budget_create(
        year=year or this_year(), actor=preparer, title="预算",
        lines=[(c, period, a) for c, a in amounts.items()], policies=policies)
    services.budget_submit(budget=budget, actor=preparer)
    services.budget_approve(budget=budget, actor=approver)
    budget.refresh_from_db()
    return budget


def submitted_claim(claimant, *lines, title="出差报销"):
    """A submitted claim; lines = (category, amount[, date]) tuples. The claimant
    confirms a "warn" overrun at submit (these claims are about what the approver does)."""
    claim = services.claim_create(
        claimant=claimant, title=title,
        lines=[{"date": (line[2] if len(line) > 2 else a_day()), "category": line[0],
                "description": "费用", "amount": Decimal(line[1]), "receipt": receipt()}
               for line in lines])
    services.claim_submit(claim=claim, actor=claimant, confirm_overrun=True)
    claim.refresh_from_db()
    return claim
