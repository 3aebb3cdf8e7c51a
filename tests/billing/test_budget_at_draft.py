"""The claimant meets the budget where the money is asked for: the draft claim's page shows
the category's position, a "stop" overrun is refused at submit with the figures, a "warn"
one needs the claimant's confirmation, which is journaled and shown to the approver."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import a_day, approved_budget, receipt, submitted_claim

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:billing_{name}", args=args)


@pytest.fixture
def budget(manager, finance):
    return approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("1000"),
                                                     C.OFFICE: Decimal("500")},
                           policies={C.TRAVEL: "warn", C.OFFICE: "stop"})


def draft(claimant, *lines, title="出差报销"):
    return services.claim_create(
        claimant=claimant, title=title,
        lines=[{"date": a_day(), "category": category, "description": "费用",
                "amount": Decimal(amount), "receipt": receipt()} for category, amount in lines])


def row(page, category):
    """The panel's row of a category (its opening tag carries the level)."""
    start = page.index(f'data-budget-category="{category}"')
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def test_the_draft_claim_page_shows_the_claimant_the_budget_position(
        client, engineer, manager, budget, django_assert_max_num_queries, make_user):
    colleague = make_user("engineer", username="colleague")
    other = submitted_claim(colleague, (C.TRAVEL, "300"), title="同事的差旅报销")
    services.claim_approve(claim=other, actor=manager)  # committed 300 of travel
    claim = draft(engineer, (C.TRAVEL, "1200"), (C.OFFICE, "100"))
    client.force_login(engineer)

    with django_assert_max_num_queries(25):
        response = client.get(url("expenseclaim_change", claim.pk))
    page = response.content.decode()

    travel = row(page, "travel")
    assert 'data-budget-level="warn"' in travel
    for figure in ("CNY 1,000.00", "CNY 0.00", "CNY 300.00", "CNY 700.00", "CNY 1,200.00",
                   "CNY -500.00"):
        assert figure in travel
    assert "Warn" in travel
    office = row(page, "office")
    assert 'data-budget-level="ok"' in office and "CNY 400.00" in office
    assert "Over budget: submitting needs your confirmation" in page
    # figures only: the colleague's claim itself is not shown to the claimant
    assert "同事的差旅报销" not in page and other.number not in page


def test_the_add_page_says_when_the_position_appears(client, engineer, budget):
    client.force_login(engineer)
    page = client.get(url("expenseclaim_add")).content.decode()
    assert "The budget position appears once the lines are saved." in page


def test_a_stop_overrun_is_refused_at_submit_with_the_figures(client, engineer, budget):
    claim = draft(engineer, (C.OFFICE, "800"))
    client.force_login(engineer)
    page = client.get(url("expenseclaim_change", claim.pk)).content.decode()
    assert 'data-budget-level="stop"' in row(page, "office")

    response = client.post(url("expenseclaim_transition_submit", claim.pk),
                           {"_form_submitted": "on", "confirm_overrun": "on"}, follow=True)
    page = response.content.decode()
    claim.refresh_from_db()
    assert claim.state == S.DRAFT and not claim.events.exists()
    for text in ("Office 20", "budget CNY 500.00", "already spent or committed CNY 0.00",
                 "this document CNY 800.00", "over by CNY 300.00", "cannot be submitted"):
        assert text in page


def test_a_warn_overrun_needs_the_claimants_confirmation_which_the_approver_sees(
        client, engineer, manager, budget):
    claim = draft(engineer, (C.TRAVEL, "1200"))
    client.force_login(engineer)
    dialog = client.get(url("expenseclaim_transition_submit", claim.pk)).content.decode()
    assert "I confirm the overrun" in dialog and "the approver will see" in dialog
    assert 'data-budget-level="warn"' in dialog

    page = client.post(url("expenseclaim_transition_submit", claim.pk),
                       {"_form_submitted": "on"}, follow=True).content.decode()
    claim.refresh_from_db()
    assert claim.state == S.DRAFT
    assert "Tick “I confirm the overrun” to submit anyway" in page
    assert "over by CNY 200.00" in page

    client.post(url("expenseclaim_transition_submit", claim.pk),
                {"_form_submitted": "on", "confirm_overrun": "on", "note": "紧急抢修"})
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED
    note = claim.events.get(action="submit").note
    assert note.startswith("紧急抢修\nOverrun confirmed at submit by")
    assert "over by CNY 200.00" in note and claim.budget_note in note

    client.force_login(manager)
    page = client.get(url("expenseclaim_change", claim.pk)).content.decode()
    assert 'data-budget-level="warn"' in row(page, "travel")
    confirmed = page[page.index("data-budget-confirmed"):]
    assert "Overrun confirmed at submit by" in confirmed[:600]
    # the approval still has to confirm for itself, and then the approver's note replaces it
    services.claim_approve(claim=claim, actor=manager, confirm_overrun=True)
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.budget_note.startswith("Budget overrun confirmed")


def test_a_claim_within_budget_submits_without_a_word(client, engineer, budget):
    claim = draft(engineer, (C.TRAVEL, "200"))
    client.force_login(engineer)
    client.post(url("expenseclaim_transition_submit", claim.pk), {"_form_submitted": "on"})
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED and claim.budget_note == ""
    assert claim.events.get(action="submit").note == ""
