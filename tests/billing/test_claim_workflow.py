"""Expense claims: every transition, its permission, four-eyes, reasons, totals, receipts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from backoffice.platform.workflow import apply_transition, available_transitions
from billing import services
from billing.models import ExpenseClaim, ExpenseLine
from billing.receipts import ReceiptValidator
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import (
    JPG,
    PNG,
    ExpenseClaimFactory,
    ExpenseLineFactory,
    a_day,
    approved_budget,
    receipt,
    submitted_claim,
)
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(manager, finance):
    return approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("50000"),
                                                     C.OFFICE: Decimal("5000")})


def test_full_flow_draft_to_paid(engineer, manager, finance, budget):
    claim = services.claim_create(claimant=engineer, title="客户现场服务", lines=[
        {"date": a_day(), "category": C.TRAVEL, "description": "机票", "amount": "1280.50",
         "receipt": receipt()},
        {"date": a_day(), "category": C.OFFICE, "description": "打印", "amount": Decimal("19.50"),
         "receipt": receipt("r.png", PNG)},
    ])
    assert claim.state == S.DRAFT and claim.total == Decimal("1300.00")
    assert claim.number.startswith("EC")

    services.claim_submit(claim=claim, actor=engineer, note="请审批")
    assert claim.state == S.SUBMITTED and claim.submitted_at is not None
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED and claim.approved_by == manager
    services.claim_pay(claim=claim, actor=finance, payment_reference="BANK-20260301-7",
                       paid_on=timezone.localdate())
    claim.refresh_from_db()
    assert claim.state == S.PAID and claim.paid_by == finance
    assert claim.payment_reference == "BANK-20260301-7"

    journal = list(claim.events.order_by("created_at", "id")
                   .values_list("action", "source", "target", "actor__username"))
    assert journal == [("submit", "draft", "submitted", "engineer"),
                       ("approve", "submitted", "approved", "manager"),
                       ("pay", "approved", "paid", "finance")]
    assert claim.events.get(action="submit").note == "请审批"
    latest = claim.history.first()
    assert latest.state == S.PAID and latest.history_user == finance


def test_only_the_claimant_submits_and_withdraws(engineer, make_user, manager):
    other = make_user("engineer")
    claim = ExpenseLineFactory(claim__claimant=engineer).claim
    with pytest.raises(PermissionDenied):
        apply_transition(claim, "submit", actor=other)
    with pytest.raises(PermissionDenied):
        apply_transition(claim, "submit", actor=manager)
    apply_transition(claim, "submit", actor=engineer)
    with pytest.raises(PermissionDenied):
        apply_transition(claim, "withdraw", actor=manager)
    apply_transition(claim, "withdraw", actor=engineer)
    claim.refresh_from_db()
    assert claim.state == S.DRAFT and claim.submitted_at is None


def test_submit_needs_lines_and_receipts(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    with pytest.raises(ValidationError, match="no lines"):
        apply_transition(claim, "submit", actor=engineer)
    ExpenseLineFactory(claim=claim, receipt="")
    with pytest.raises(ValidationError, match="no receipt"):
        apply_transition(claim, "submit", actor=engineer)


def test_nobody_approves_their_own_claim(manager, make_user, budget):
    other_manager = make_user("manager")
    claim = submitted_claim(manager, (C.TRAVEL, "300"))
    assert "approve" not in available_transitions(claim, manager)
    with pytest.raises(PermissionDenied):
        services.claim_approve(claim=claim, actor=manager)
    with pytest.raises(PermissionDenied):
        services.claim_reject(claim=claim, actor=manager, reason="自己")
    services.claim_approve(claim=claim, actor=other_manager)
    assert claim.state == S.APPROVED


@pytest.mark.parametrize("role", ["engineer", "clerk", "finance", "business", "warehouse",
                                  "trainer"])
def test_only_the_after_sales_manager_approves(role, make_user, engineer, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))
    with pytest.raises(PermissionDenied):
        services.claim_approve(claim=claim, actor=make_user(role))


def test_reject_needs_a_reason_then_revise_and_resubmit(engineer, manager, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))
    with pytest.raises(ValidationError, match="reason"):
        services.claim_reject(claim=claim, actor=manager, reason="  ")
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED
    services.claim_reject(claim=claim, actor=manager, reason="缺少住宿发票")
    claim.refresh_from_db()
    assert claim.state == S.REJECTED and claim.rejection_reason == "缺少住宿发票"
    assert claim.events.get(action="reject").note == "缺少住宿发票"

    # the claimant revises the rejected claim and sends it again
    line = ExpenseLineFactory.build(claim=claim, amount=Decimal("420.00"))
    line.full_clean()
    line.save()
    services.claim_recompute_total(claim)
    assert claim.total == Decimal("720.00")
    services.claim_submit(claim=claim, actor=engineer)
    services.claim_approve(claim=claim, actor=manager)
    assert claim.state == S.APPROVED and claim.rejection_reason == ""


def test_pay_needs_finance_a_reference_and_a_sane_date(engineer, manager, finance, clerk,
                                                       budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))
    with pytest.raises(ValidationError, match="not possible while"):
        services.claim_pay(claim=claim, actor=finance, payment_reference="X")
    services.claim_approve(claim=claim, actor=manager)
    for outsider in (manager, clerk, engineer):
        with pytest.raises(PermissionDenied):
            services.claim_pay(claim=claim, actor=outsider, payment_reference="X")
    with pytest.raises(ValidationError, match="payment reference"):
        services.claim_pay(claim=claim, actor=finance, payment_reference=" ")
    with pytest.raises(ValidationError, match="future"):
        services.claim_pay(claim=claim, actor=finance, payment_reference="X",
                           paid_on=timezone.localdate() + dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="before the approval"):
        services.claim_pay(claim=claim, actor=finance, payment_reference="X",
                           paid_on=timezone.localdate() - dt.timedelta(days=30))
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and not claim.events.filter(action="pay").exists()
    services.claim_pay(claim=claim, actor=finance, payment_reference="网银 0042")
    assert claim.state == S.PAID and claim.paid_on == timezone.localdate()


def test_finance_does_not_pay_their_own_claim(finance, manager, make_user, budget):
    claim = submitted_claim(finance, (C.TRAVEL, "300"))
    services.claim_approve(claim=claim, actor=manager)
    with pytest.raises(PermissionDenied):
        services.claim_pay(claim=claim, actor=finance, payment_reference="X")
    services.claim_pay(claim=claim, actor=make_user("finance"), payment_reference="X")


def test_lines_are_frozen_once_submitted(engineer, manager, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))
    line = claim.lines.get()
    line.amount = Decimal("3000")
    with pytest.raises(ValidationError, match="can no longer change"):
        line.full_clean()


def test_line_validation_future_date_and_ticket_customer(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    line = ExpenseLineFactory.build(claim=claim, date=timezone.localdate() + dt.timedelta(days=2))
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert "date" in exc.value.message_dict

    ticket = TicketFactory()
    line = ExpenseLineFactory.build(claim=claim, ticket=ticket)
    line.full_clean()
    assert line.customer_id == ticket.customer_id  # filled from the ticket
    line = ExpenseLineFactory.build(claim=claim, ticket=ticket, customer=CustomerFactory())
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert "customer" in exc.value.message_dict


def test_amounts_must_be_positive(engineer):
    line = ExpenseLineFactory.build(claim=ExpenseClaimFactory(claimant=engineer),
                                    amount=Decimal("0"))
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert "amount" in exc.value.message_dict


@pytest.mark.parametrize("name,content,ok", [
    ("r.pdf", b"%PDF-1.7 ...", True),
    ("r.PNG", PNG, True),
    ("r.jpeg", JPG, True),
    ("r.jpg", JPG, True),
    ("r.exe", b"MZ\x90\x00", False),
    ("r.pdf", b"MZ\x90\x00 pretending", False),  # renamed executable
    ("r.png", JPG, False),
    ("r.txt", b"hello", False),
    ("r.pdf", b"", False),
])
def test_receipt_type_is_checked_by_extension_and_content(name, content, ok):
    upload = receipt(name, content)
    if ok:
        ReceiptValidator()(upload)
    else:
        with pytest.raises(ValidationError):
            ReceiptValidator()(upload)


def test_receipt_size_is_limited(settings):
    settings.BILLING_RECEIPT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="limit"):
        ReceiptValidator()(receipt("big.pdf", b"%PDF-" + b"0" * 2000))


def test_receipts_are_stored_under_a_random_name(engineer):
    line = ExpenseLineFactory(claim__claimant=engineer, receipt=receipt("张三身份证.pdf"))
    assert line.receipt.name.startswith("receipts/") and "张三" not in line.receipt.name
    assert line.receipt.url.startswith("/admin/billing/expenseline/receipt/")


def test_total_is_recomputed_when_lines_change(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    first = ExpenseLineFactory(claim=claim, amount=Decimal("100.10"))
    ExpenseLineFactory(claim=claim, amount=Decimal("0.20"))
    assert services.claim_recompute_total(claim) == Decimal("100.30")
    first.delete()
    services.claim_recompute_total(claim)
    assert ExpenseClaim.objects.get(pk=claim.pk).total == Decimal("0.20")


def test_state_cannot_be_assigned():
    claim = ExpenseClaimFactory()
    with pytest.raises(AttributeError):
        claim.state = S.PAID


def test_visible_to_staff_only_their_own(engineer, make_user, manager, finance):
    mine = ExpenseClaimFactory(claimant=engineer)
    theirs = ExpenseClaimFactory(claimant=make_user("clerk"))
    assert list(ExpenseClaim.objects.visible_to(engineer)) == [mine]
    assert set(ExpenseClaim.objects.visible_to(manager)) == {mine, theirs}
    assert set(ExpenseClaim.objects.visible_to(finance)) == {mine, theirs}


def test_failed_approval_rolls_back_state_journal_and_history(engineer, manager, finance):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))  # before the budget was approved
    approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("100")},
                    policies={C.TRAVEL: "stop"})
    history = claim.history.count()
    with pytest.raises(ValidationError):
        services.claim_approve(claim=claim, actor=manager)
    claim = ExpenseClaim.objects.get(pk=claim.pk)
    assert claim.state == S.SUBMITTED and claim.approved_by is None
    assert not claim.events.filter(action="approve").exists()
    assert claim.history.count() == history


def test_concurrent_edit_of_the_same_claim_is_refused(engineer, manager, make_user, budget):
    claim = submitted_claim(engineer, (C.TRAVEL, "300"))
    first = ExpenseClaim.objects.get(pk=claim.pk)
    second = ExpenseClaim.objects.get(pk=claim.pk)
    services.claim_approve(claim=first, actor=manager)
    with pytest.raises(ValidationError, match="Someone else"):
        services.claim_reject(claim=second, actor=make_user("manager"), reason="迟了")
    assert ExpenseClaim.objects.get(pk=claim.pk).state == S.APPROVED


def test_lines_of_deleted_draft_go_with_it(engineer):
    line = ExpenseLineFactory(claim__claimant=engineer)
    line.claim.delete()
    assert not ExpenseLine.objects.exists()
