"""The budget guard and the consumption figures: stop / warn / ignore, confirmations,
other spending sources, and what actual / committed / remaining mean."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from backoffice.platform import budget as seam
from backoffice.platform.budget import BudgetOverrun, BudgetWarning, Spend
from billing import selectors, services
from billing.models import ExpenseClaim, OverrunConfirmation
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from billing.workflows import OverrunPolicy as P
from tests.billing.factories import a_day, approved_budget, submitted_claim, this_year

pytestmark = pytest.mark.django_db


def budget_with(manager, finance, policy, amount="1000"):
    return approved_budget(manager, finance, amounts={C.TRAVEL: Decimal(amount)},
                           policies={C.TRAVEL: policy})


def test_guard_is_registered_by_the_app():
    assert seam._guard is services.budget_guard


def test_within_budget_passes_under_every_policy(manager, finance, engineer):
    budget_with(manager, finance, P.STOP)
    claim = submitted_claim(engineer, (C.TRAVEL, "1000"))  # exactly what is left
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED and claim.budget_note == ""


def test_stop_refuses_with_a_clear_message(manager, finance, engineer):
    # submitted before the budget was approved (a "stop" overrun is refused at submit too)
    claim = submitted_claim(engineer, (C.TRAVEL, "1000.01"))
    budget_with(manager, finance, P.STOP)
    with pytest.raises(BudgetOverrun) as exc:
        services.claim_approve(claim=claim, actor=manager, confirm_overrun=True)
    message = " ".join(exc.value.messages)
    assert "Travel" in message and "CNY 1,000.00" in message and "over by CNY 0.01" in message
    assert "adjustment" in message
    assert ExpenseClaim.objects.get(pk=claim.pk).state == S.SUBMITTED
    assert not OverrunConfirmation.objects.exists()


def test_warn_asks_for_confirmation_and_records_it(manager, finance, engineer):
    budget = budget_with(manager, finance, P.WARN)
    claim = submitted_claim(engineer, (C.TRAVEL, "1500"))
    with pytest.raises(BudgetWarning, match="confirm budget overrun"):
        services.claim_approve(claim=claim, actor=manager)
    claim = ExpenseClaim.objects.get(pk=claim.pk)
    assert claim.state == S.SUBMITTED
    services.claim_approve(claim=claim, actor=manager, confirm_overrun=True, note="项目紧急")
    claim.refresh_from_db()
    assert claim.state == S.APPROVED
    assert "overrun confirmed" in claim.budget_note and "CNY 500.00" in claim.budget_note
    record = OverrunConfirmation.objects.get()
    assert (record.budget, record.category, record.actor) == (budget, C.TRAVEL, manager)
    assert record.amount == Decimal("1500") and record.remaining == Decimal("1000")
    assert record.overrun == Decimal("500") and record.reference == claim.number


def test_ignore_never_checks(manager, finance, engineer):
    budget_with(manager, finance, P.IGNORE, amount="10")
    claim = submitted_claim(engineer, (C.TRAVEL, "99999"))
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED and not OverrunConfirmation.objects.exists()


def test_each_category_has_its_own_policy(manager, finance, engineer):
    approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("100"),
                                               C.OFFICE: Decimal("100")},
                    policies={C.TRAVEL: P.IGNORE, C.OFFICE: P.STOP})
    claim = submitted_claim(engineer, (C.TRAVEL, "500"), (C.OFFICE, "50"))
    second = submitted_claim(engineer, (C.TRAVEL, "1"), (C.OFFICE, "51"))  # room at submit
    services.claim_approve(claim=claim, actor=manager)  # travel ignored, office within
    with pytest.raises(BudgetOverrun, match="Office"):
        services.claim_approve(claim=second, actor=manager)


def test_committed_and_paid_claims_use_up_the_budget(manager, finance, engineer, clerk):
    budget_with(manager, finance, P.STOP)
    first = submitted_claim(engineer, (C.TRAVEL, "600"))
    third = submitted_claim(engineer, (C.TRAVEL, "100.01"))  # submitted while there was room
    services.claim_approve(claim=first, actor=manager)
    services.claim_pay(claim=first, actor=finance, payment_reference="P1")
    second = submitted_claim(clerk, (C.TRAVEL, "300"))
    services.claim_approve(claim=second, actor=manager)
    figures = selectors.category_position(this_year(), C.TRAVEL)
    assert (figures.actual, figures.committed, figures.remaining) == (
        Decimal("600"), Decimal("300"), Decimal("100"))
    with pytest.raises(BudgetOverrun):
        services.claim_approve(claim=third, actor=manager)
    # submitted, draft and rejected claims do not count
    services.claim_reject(claim=third, actor=manager, reason="超预算")
    assert selectors.category_position(this_year(), C.TRAVEL).remaining == Decimal("100")


def test_an_increase_makes_room(manager, finance, engineer):
    claim = submitted_claim(engineer, (C.TRAVEL, "1400"))  # before the budget was approved
    budget = budget_with(manager, finance, P.STOP)
    with pytest.raises(BudgetOverrun):
        services.claim_approve(claim=claim, actor=manager)
    adjustment = services.adjustment_create(budget=budget, actor=manager, kind="increase",
                                            category=C.TRAVEL, amount="400", reason="x")
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    services.adjustment_approve(adjustment=adjustment, actor=finance)
    claim = ExpenseClaim.objects.get(pk=claim.pk)
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED


def test_no_approved_budget_is_not_checked_by_default(manager, engineer):
    claim = submitted_claim(engineer, (C.TRAVEL, "10"))
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED and not OverrunConfirmation.objects.exists()


def test_no_budget_policy_is_a_setting(manager, engineer, settings):
    claim = submitted_claim(engineer, (C.TRAVEL, "10"))  # submitted under the default
    settings.BILLING_NO_BUDGET_POLICY = "stop"
    with pytest.raises(BudgetOverrun, match="no approved"):
        services.claim_approve(claim=claim, actor=manager)
    settings.BILLING_NO_BUDGET_POLICY = "warn"
    claim = ExpenseClaim.objects.get(pk=claim.pk)
    with pytest.raises(BudgetWarning, match="no approved"):
        services.claim_approve(claim=claim, actor=manager)
    claim = ExpenseClaim.objects.get(pk=claim.pk)
    services.claim_approve(claim=claim, actor=manager, confirm_overrun=True)
    assert OverrunConfirmation.objects.get().budget is None


def test_claim_spanning_two_years_is_checked_against_each_budget(manager, finance, engineer):
    year = this_year()
    claim = submitted_claim(engineer, (C.TRAVEL, "200", dt.date(year - 1, 12, 30)),
                            (C.TRAVEL, "200", a_day()))  # before the budgets were approved
    approved_budget(manager, finance, year=year - 1, amounts={C.TRAVEL: Decimal("100")},
                    policies={C.TRAVEL: P.STOP})
    approved_budget(manager, finance, year=year, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: P.STOP})
    with pytest.raises(BudgetOverrun, match=str(year - 1)):
        services.claim_approve(claim=claim, actor=manager)


# -- the seam used by other spenders ----------------------------------------------------------
class FakeSource:
    """A spender like inventory's received purchases, registered for one test."""

    def __init__(self, *spends):
        self.spends = spends

    def __call__(self, year):
        return [s for s in self.spends if year == this_year()]


@pytest.fixture
def source():
    def register(*spends):
        seam.register_source("test-purchases", FakeSource(*spends))

    yield register
    seam._sources.pop("test-purchases", None)


def test_other_sources_count_as_actual_and_committed(manager, finance, engineer, source):
    approved_budget(manager, finance, amounts={C.PARTS: Decimal("5000")},
                    policies={C.PARTS: P.STOP})
    claim = submitted_claim(engineer, (C.PARTS, "2700.01"))  # before the purchases counted
    source(Spend(C.PARTS, 1, Decimal("1200"), Decimal("0")),
           Spend(C.PARTS, 2, Decimal("300"), Decimal("800")),
           Spend(C.TRAVEL, 2, Decimal("50"), Decimal("0")))
    figures = selectors.category_position(this_year(), C.PARTS)
    assert (figures.actual, figures.committed, figures.remaining) == (
        Decimal("1500"), Decimal("800"), Decimal("2700"))
    with pytest.raises(BudgetOverrun):
        services.claim_approve(claim=claim, actor=manager)


def test_purchase_approval_through_the_seam(manager, finance, warehouse, source):
    """What inventory does: check_spend inside its approval transaction."""
    approved_budget(manager, finance, amounts={C.PARTS: Decimal("1000")},
                    policies={C.PARTS: P.WARN})
    source(Spend(C.PARTS, 1, Decimal("900"), Decimal("0")))
    with transaction.atomic():
        assert seam.check_spend(category=C.PARTS, amount=Decimal("100"),
                                on_date=a_day(), actor=manager, reference="PO-1") is None
    with pytest.raises(BudgetWarning):
        with transaction.atomic():
            seam.check_spend(category=C.PARTS, amount=Decimal("100.01"), on_date=a_day(),
                             actor=manager, reference="PO-2")
    with transaction.atomic():
        text = seam.check_spend(category=C.PARTS, amount=Decimal("150"),
                                on_date=dt.datetime.now(dt.UTC), actor=manager,
                                confirmed=True, reference="PO-3")
    assert "PO-3" == OverrunConfirmation.objects.get().reference
    assert "Parts purchases" in text


def test_works_with_no_source_registered(manager, finance):
    approved_budget(manager, finance)
    assert seam._sources == {}
    assert selectors.category_position(this_year(), C.PARTS).actual == Decimal("0")


def test_unknown_category_is_a_programming_error(manager):
    with pytest.raises(ValueError):
        seam.check_spend(category="coffee", amount=Decimal("1"), on_date=a_day(), actor=manager)


def test_exclude_leaves_the_document_itself_out(manager, finance, engineer):
    budget_with(manager, finance, P.STOP)
    claim = submitted_claim(engineer, (C.TRAVEL, "800"))
    services.claim_approve(claim=claim, actor=manager)
    assert selectors.category_position(this_year(), C.TRAVEL).remaining == Decimal("200")
    assert selectors.category_position(this_year(), C.TRAVEL,
                                       exclude=claim).remaining == Decimal("1000")


# -- the figures on the budget page and the report ---------------------------------------------
def test_budget_position_and_period_report(manager, finance, engineer, source):
    budget = approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("1200")},
                             period="m01")
    source(Spend(C.PARTS, 1, Decimal("70"), Decimal("30")))
    month = a_day().month
    paid = submitted_claim(engineer, (C.TRAVEL, "100", a_day(month)))
    services.claim_approve(claim=paid, actor=manager)
    services.claim_pay(claim=paid, actor=finance, payment_reference="X")
    services.claim_approve(claim=submitted_claim(engineer, (C.TRAVEL, "50", a_day(month))),
                           actor=manager)
    figures = {f.category: f for f in selectors.budget_position(budget)}
    travel = figures[C.TRAVEL]
    assert (travel.original, travel.current, travel.actual, travel.committed,
            travel.remaining) == (Decimal("1200"), Decimal("1200"), Decimal("100"),
                                  Decimal("50"), Decimal("1050"))
    assert travel.used_percent == 12
    assert figures[C.PARTS].used_percent == 100  # spending without a budget line

    report = selectors.budget_vs_actual(this_year(), "month")
    row = next(r for r in report["rows"] if r.figures.category == C.TRAVEL)
    assert row.cells[0].budget == Decimal("1200")  # the January line
    assert row.cells[month - 1].actual == Decimal("100")
    assert row.cells[month - 1].committed == Decimal("50")
    assert report["totals"][0].actual >= Decimal("70")
    quarter = selectors.budget_vs_actual(this_year(), "quarter")
    assert len(quarter["rows"][0].cells) == 4
    assert next(r for r in quarter["rows"]
                if r.figures.category == C.TRAVEL).cells[0].budget == Decimal("1200")


def test_float_money_is_refused():
    from billing.money import to_money

    with pytest.raises(TypeError):
        to_money(0.1)
    assert to_money("1.005") == Decimal("1.01")


def test_guard_error_is_a_validation_error(manager, finance, engineer):
    """Admin buttons show ValidationErrors as messages; overruns must be one."""
    assert issubclass(BudgetOverrun, ValidationError) and issubclass(BudgetWarning,
                                                                     ValidationError)
