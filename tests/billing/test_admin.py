"""The billing admin pages: they render for the right people, with a bounded number of
queries, the workflow buttons follow the FSM, and nobody sees other people's claims."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.desk import workflows as desk
from billing.models import Budget, ExpenseClaim, OverrunConfirmation
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import (
    PDF,
    BudgetLineFactory,
    ExpenseClaimFactory,
    ExpenseLineFactory,
    a_day,
    approved_budget,
    receipt,
    submitted_claim,
)
from tests.factories import TicketFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:billing_{name}", args=args)


@pytest.fixture
def budget(manager, finance):
    return approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("1000"),
                                                     C.OFFICE: Decimal("500")},
                           policies={C.TRAVEL: "warn", C.OFFICE: "stop"})


# -- pages render, queries stay flat ---------------------------------------------------------
def _count_queries(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(path)
    assert response.status_code == 200, path
    return response


@pytest.mark.parametrize("model", ["expenseclaim", "expenseline", "budget", "budgetline",
                                   "budgetadjustment", "overrunconfirmation",
                                   "customercharge"])
def test_changelists_render_with_flat_query_count(client, superuser, manager, finance,
                                                  model, django_assert_max_num_queries):
    budget = approved_budget(manager, finance)
    for i in range(20):
        claim = ExpenseLineFactory(claim__claimant=manager, ticket=TicketFactory()).claim
        BudgetLineFactory(budget=Budget.objects.create(year=2100 - i))
        from billing.models import BudgetAdjustment, CustomerCharge

        BudgetAdjustment.objects.create(budget=budget, kind="increase", category=C.TRAVEL,
                                        amount=1, reason="x", requested_by=manager)
        CustomerCharge.objects.create(ticket=TicketFactory(), title="t", amount=1,
                                      created_by=manager)
        OverrunConfirmation.objects.create(year=2026, category=C.TRAVEL, amount=1,
                                           remaining=0, reference=claim.number, actor=manager)
    client.force_login(superuser)
    _count_queries(client, url(f"{model}_changelist"), django_assert_max_num_queries, 12)


def test_add_and_change_pages_render(client, manager, finance, business, engineer, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "100"))
    from billing.models import BudgetAdjustment, CustomerCharge

    adjustment = BudgetAdjustment.objects.create(budget=budget, kind="increase",
                                                 category=C.TRAVEL, amount=1, reason="x",
                                                 requested_by=manager)
    quote = CustomerCharge.objects.create(ticket=TicketFactory(), title="t", amount=1)
    pages = [
        (manager, url("budget_add")), (manager, url("budget_change", budget.pk)),
        (manager, url("budgetadjustment_add")),
        (manager, url("budgetadjustment_change", adjustment.pk)),
        (manager, url("budgetline_add")),
        (engineer, url("expenseclaim_add")), (engineer, url("expenseclaim_change", claim.pk)),
        (manager, url("expenseclaim_change", claim.pk)),
        (finance, url("expenseclaim_change", claim.pk)),
        (business, url("customercharge_add")), (business, url("customercharge_change", quote.pk)),
        (finance, url("budget_report")), (manager, url("budget_report") + "?by=quarter"),
    ]
    for user, path in pages:
        client.force_login(user)
        assert client.get(path).status_code == 200, (user.username, path)


def test_budget_page_shows_the_figures_and_report_link(client, manager, budget):
    client.force_login(manager)
    page = client.get(url("budget_change", budget.pk)).content.decode()
    for heading in ("Original", "Adjustments", "Current", "Committed", "Actual", "Remaining"):
        assert heading in page
    assert "CNY 1,000.00" in page and "Travel" in page
    assert 'name="lines-0-amount"' not in page  # approved: lines read-only
    assert "report-link" in page


def test_report_page_has_charts_and_needs_budget_rights(client, manager, engineer, budget):
    client.force_login(manager)
    page = client.get(url("budget_report")).content.decode()
    assert 'data-type="bar"' in page and "Budget vs actual" in page
    assert "CNY 1,500.00" in page  # current total
    client.force_login(engineer)
    assert client.get(url("budget_report")).status_code == 403


# -- claims: own only, buttons, dialogs ---------------------------------------------------------
def test_staff_see_and_open_only_their_own_claims(client, engineer, make_user):
    mine = ExpenseClaimFactory(claimant=engineer, title="我的报销")
    theirs = ExpenseClaimFactory(claimant=make_user("clerk"), title="别人的报销")
    client.force_login(engineer)
    page = client.get(url("expenseclaim_changelist")).content.decode()
    assert "我的报销" in page and "别人的报销" not in page
    assert client.get(url("expenseclaim_change", mine.pk)).status_code == 200
    assert client.get(url("expenseclaim_change", theirs.pk)).status_code in (302, 404)
    lines = client.get(url("expenseline_changelist")).content.decode()
    assert theirs.number not in lines


def test_claimant_creates_a_claim_with_a_receipt_and_gets_the_total(client, engineer):
    client.force_login(engineer)
    data = {
        "title": "上门服务", "notes": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-date": a_day().isoformat(), "lines-0-category": C.TRAVEL,
        "lines-0-description": "出租车", "lines-0-amount": "45.50",
        "lines-0-receipt": receipt("taxi.pdf"),
        "lines-1-date": a_day().isoformat(), "lines-1-category": C.OFFICE,
        "lines-1-description": "U盘", "lines-1-amount": "59.00",
        "lines-1-receipt": receipt("usb.png", b"\x89PNG\r\n\x1a\n0000"),
    }
    response = client.post(url("expenseclaim_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = ExpenseClaim.objects.get()
    assert claim.claimant == engineer and claim.total == Decimal("104.50")
    assert claim.lines.count() == 2


def test_bad_receipt_is_refused_in_the_form(client, engineer):
    client.force_login(engineer)
    data = {"title": "x", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-date": a_day().isoformat(), "lines-0-category": C.TRAVEL,
            "lines-0-description": "x", "lines-0-amount": "1",
            "lines-0-receipt": receipt("virus.exe", b"MZ")}
    response = client.post(url("expenseclaim_add"), data)
    assert response.status_code == 200 and "PDF, JPG or PNG" in response.content.decode()
    assert not ExpenseClaim.objects.exists()


def test_buttons_follow_the_workflow_and_four_eyes(client, engineer, manager, budget):
    mine = submitted_claim(manager, (C.TRAVEL, "10"))
    theirs = submitted_claim(engineer, (C.TRAVEL, "10"))
    client.force_login(manager)
    page = client.get(url("expenseclaim_change", theirs.pk)).content.decode()
    assert "transition/approve" in page and "transition/reject" in page
    assert "transition/pay" not in page
    page = client.get(url("expenseclaim_change", mine.pk)).content.decode()
    assert "transition/approve" not in page and "transition/withdraw" in page


def test_approve_dialog_shows_the_budget_and_needs_confirmation(client, engineer, manager,
                                                                budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "1200"))
    client.force_login(manager)
    dialog = client.get(url("expenseclaim_transition_approve", claim.pk)).content.decode()
    assert "Confirm budget overrun" in dialog and "After approval" in dialog
    assert "CNY -200.00" in dialog

    client.post(url("expenseclaim_transition_approve", claim.pk), {"_form_submitted": "on"})
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED
    client.post(url("expenseclaim_transition_approve", claim.pk),
                {"_form_submitted": "on", "confirm_overrun": "on", "note": "紧急项目"})
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.budget_note
    assert OverrunConfirmation.objects.get().actor == manager


def test_reject_dialog_requires_reason(client, engineer, manager, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "10"))
    client.force_login(manager)
    response = client.post(url("expenseclaim_transition_reject", claim.pk),
                           {"_form_submitted": "on", "note": ""})
    assert "HX-Redirect" not in response.headers  # the dialog is shown again
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED
    client.post(url("expenseclaim_transition_reject", claim.pk),
                {"_form_submitted": "on", "note": "发票抬头错误"})
    claim.refresh_from_db()
    assert claim.state == S.REJECTED and claim.rejection_reason == "发票抬头错误"


def test_forged_approval_by_the_claimant_is_refused(client, manager, budget):
    claim = submitted_claim(manager, (C.TRAVEL, "10"))
    client.force_login(manager)
    client.post(url("expenseclaim_transition_approve", claim.pk), {"_form_submitted": "on"})
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED and not claim.events.filter(action="approve").exists()


def test_pay_dialog(client, engineer, manager, finance, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "10"))
    from billing import services

    services.claim_approve(claim=claim, actor=manager)
    from django.utils import timezone

    client.force_login(finance)
    client.post(url("expenseclaim_transition_pay", claim.pk),
                {"_form_submitted": "on", "payment_reference": "TX-1",
                 "paid_on": timezone.localdate().isoformat()})
    claim.refresh_from_db()
    assert claim.state == S.PAID and claim.payment_reference == "TX-1"


def test_submitted_claim_is_read_only_for_its_claimant(client, engineer, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "10"))
    client.force_login(engineer)
    page = client.get(url("expenseclaim_change", claim.pk)).content.decode()
    assert 'name="title"' not in page and 'name="lines-0-amount"' not in page


def test_receipts_are_served_only_to_who_may_see_the_claim(client, engineer, manager,
                                                          make_user):
    line = ExpenseLineFactory(claim__claimant=engineer)
    path = line.receipt.url
    client.force_login(engineer)
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    client.force_login(manager)
    assert client.get(path).status_code == 200
    client.force_login(make_user("engineer"))
    assert client.get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code == 302  # to the login page


def test_lines_page_links_to_the_claim_and_offers_import(client, engineer):
    line = ExpenseLineFactory(claim__claimant=engineer)
    client.force_login(engineer)
    page = client.get(url("expenseline_changelist")).content.decode()
    assert url("expenseclaim_change", line.claim.pk) in page
    assert url("expenseline_import") in page


# -- budgets and adjustments in the admin ------------------------------------------------------
def test_manager_prepares_a_budget_in_the_admin(client, manager):
    client.force_login(manager)
    response = client.post(url("budget_add"), {
        "year": "2040", "title": "2040预算", "notes": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-0-category": C.TRAVEL, "lines-0-period": "year", "lines-0-amount": "5000",
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    budget = Budget.objects.get(year=2040)
    assert budget.prepared_by == manager and budget.lines.count() == 1
    assert budget.controls.count() == 6


def test_adjustment_is_requested_in_the_admin(client, manager, budget):
    client.force_login(manager)
    response = client.post(url("budgetadjustment_add"), {
        "budget": budget.pk, "kind": "transfer", "from_category": C.OFFICE,
        "category": C.TRAVEL, "amount": "100", "reason": "差旅增加"})
    assert response.status_code == 302, response.content.decode()[:2000]
    adjustment = budget.adjustments.get()
    assert adjustment.requested_by == manager and adjustment.number.startswith("BA")


def test_charge_created_by_business_takes_the_ticket_customer(client, business):
    ticket = TicketFactory(category=desk.Category.REQUIREMENT)
    client.force_login(business)
    response = client.post(url("customercharge_add"), {
        "ticket": ticket.pk, "kind": "requirement", "title": "接口开发", "description": "",
        "amount": "12000", "currency": "CNY", "effort_days": "", "valid_until": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    from billing.models import CustomerCharge

    quote = CustomerCharge.objects.get()
    assert quote.customer == ticket.customer and quote.created_by == business


def test_engineer_cannot_open_budgets(client, engineer, budget):
    client.force_login(engineer)
    assert client.get(url("budget_changelist")).status_code == 403


def test_adjustment_page_shows_the_budget_figures(client, manager, finance, budget):
    from billing import services

    adjustment = services.adjustment_create(budget=budget, actor=manager, kind="decrease",
                                            category=C.OFFICE, amount="100", reason="x")
    services.adjustment_submit(adjustment=adjustment, actor=manager)
    client.force_login(finance)
    page = client.get(url("budgetadjustment_change", adjustment.pk)).content.decode()
    assert "Remaining" in page and "CNY 500.00" in page
    assert "transition/approve" in page and "transition/reject" in page


def test_only_draft_budgets_can_be_deleted(client, manager, budget):
    client.force_login(manager)
    assert client.get(url("budget_delete", budget.pk)).status_code == 403
    draft = Budget.objects.create(year=2050, prepared_by=manager)
    assert client.get(url("budget_delete", draft.pk)).status_code == 200


def test_leadership_changes_a_policy_on_an_approved_budget(client, finance, manager, budget):
    client.force_login(finance)
    page = client.get(url("budget_change", budget.pk)).content.decode()
    data = form_data(page)
    travel = budget.controls.get(category=C.TRAVEL)
    prefix = next(k for k, v in data.items()
                  if k.startswith("controls-") and k.endswith("-id") and v == str(travel.pk))
    data[prefix.removesuffix("-id") + "-overrun_policy"] = "stop"
    response = client.post(url("budget_change", budget.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert budget.controls.get(category=C.TRAVEL).overrun_policy == "stop"
    history = budget.controls.get(category=C.TRAVEL).history.first()
    assert history.history_user == finance

    client.force_login(manager)  # the preparer may not loosen it after approval
    page = client.get(url("budget_change", budget.pk)).content.decode()
    assert not any(k.endswith("-overrun_policy") for k in form_data(page))


def test_claimant_edits_a_rejected_claim_and_total_follows(client, engineer, manager, budget):
    from billing import services

    claim = submitted_claim(engineer, (C.TRAVEL, "100"))
    services.claim_reject(claim=claim, actor=manager, reason="金额有误")
    client.force_login(engineer)
    page = client.get(url("expenseclaim_change", claim.pk)).content.decode()
    data = form_data(page)
    amount = next(k for k in data if k.startswith("lines-0-amount"))
    data[amount] = "80.00"
    response = client.post(url("expenseclaim_change", claim.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    claim.refresh_from_db()
    assert claim.total == Decimal("80.00") and claim.lines.get().receipt


def test_xlsx_budget_lines_import(client, manager):
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    budget = Budget.objects.create(year=2042, prepared_by=manager)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["year", "category", "period", "amount", "note"])
    sheet.append([2042, "travel", "m01", 1234.56, "一月差旅"])
    sheet.append([2042, "Office", "Whole year", 800, None])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(manager)
    preview = client.post(url("budgetline_import"), {
        "format": "1", "resource": "0",
        "import_file": SimpleUploadedFile("lines.xlsx", buffer.getvalue())})
    import re

    page = preview.content.decode()
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                             r'[^>]*value="([^"]*)"', page))
    assert "import_file_name" in fields, page[:3000]
    client.post(url("budgetline_process_import"), fields)
    assert budget.lines.get(period="m01").amount == Decimal("1234.56")
    assert budget.lines.get(category=C.OFFICE).amount == Decimal("800.00")


def test_a_line_is_added_to_an_own_open_claim_from_the_lines_page(client, engineer, make_user):
    mine = ExpenseClaimFactory(claimant=engineer)
    theirs = ExpenseClaimFactory(claimant=make_user("clerk"))
    client.force_login(engineer)
    page = client.get(url("expenseline_add")).content.decode()
    assert mine.number in page and theirs.number not in page
    data = {"claim": mine.pk, "date": a_day().isoformat(), "category": C.TRAVEL,
            "description": "地铁", "amount": "6.00", "receipt": receipt()}
    assert client.post(url("expenseline_add"), data).status_code == 302
    mine.refresh_from_db()
    assert mine.total == Decimal("6.00")
    response = client.post(url("expenseline_add"), {**data, "claim": theirs.pk,
                                                    "receipt": receipt()})
    assert response.status_code == 200 and not theirs.lines.exists()


def test_others_lines_cannot_be_changed_or_bulk_deleted(client, manager, engineer, budget):
    line = ExpenseLineFactory(claim__claimant=engineer)
    client.force_login(manager)  # sees every line, changes none of them
    page = client.get(url("expenseline_change", line.pk)).content.decode()
    assert 'name="amount"' not in page
    response = client.post(url("expenseline_changelist"),
                           {"action": "delete_selected", "_selected_action": [line.pk],
                            "post": "yes"})
    assert response.status_code in (200, 403)
    assert line.__class__.objects.filter(pk=line.pk).exists()


def test_deleting_own_lines_keeps_the_total_right(client, engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    keep = ExpenseLineFactory(claim=claim, amount=Decimal("5"))
    drop = ExpenseLineFactory(claim=claim, amount=Decimal("7"))
    client.force_login(engineer)
    client.post(url("expenseline_changelist"),
                {"action": "delete_selected", "_selected_action": [drop.pk], "post": "yes"})
    claim.refresh_from_db()
    assert list(claim.lines.all()) == [keep] and claim.total == Decimal("5.00")


def test_manager_cannot_bulk_delete_someone_elses_claim(client, manager, engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    client.force_login(manager)
    client.post(url("expenseclaim_changelist"),
                {"action": "delete_selected", "_selected_action": [claim.pk], "post": "yes"})
    assert ExpenseClaim.objects.filter(pk=claim.pk).exists()
