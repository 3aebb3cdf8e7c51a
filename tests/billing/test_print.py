"""The printed expense claim (报销单): only once approved, Chinese by default, with the
lines, the total in figures and in words, who approved when, and the journal."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing import services
from billing.selectors import amount_in_chinese
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import a_day, approved_budget, receipt
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


def url(view, claim, **query):
    path = reverse(f"admin:billing_expenseclaim_{view}", args=[claim.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def budget(manager, finance):
    return approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("50000"),
                                                     C.OFFICE: Decimal("5000")})


@pytest.fixture
def submitted(engineer, budget):
    customer = CustomerFactory(name="华东电力公司")
    ticket = TicketFactory(customer=customer)
    claim = services.claim_create(claimant=engineer, title="华东电力现场服务差旅", lines=[
        {"date": a_day(), "category": C.TRAVEL, "description": "高铁票 北京-上海",
         "amount": "1280.50", "receipt": receipt(), "ticket": ticket, "customer": customer},
        {"date": a_day(), "category": C.OFFICE, "description": "资料打印",
         "amount": "19.50", "receipt": receipt()},
    ])
    services.claim_submit(claim=claim, actor=engineer, note="请审批")
    claim.refresh_from_db()
    return claim


@pytest.fixture
def approved(submitted, manager):
    services.claim_approve(claim=submitted, actor=manager, note="同意报销")
    submitted.refresh_from_db()
    return submitted


def test_the_approved_claim_pdf(client, engineer, approved):
    client.force_login(engineer)  # the claimant
    response = client.get(url("pdf", approved))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{approved.number}.pdf"'
    text = pdf_text(response.content)
    assert approved.number in text and "华东电力公司" in text and "高铁票" in text
    assert "1,280.50" in text and "1,300.00" in text
    assert "壹仟叁佰元整" in text  # the total in words
    assert "manager" in text and "同意报销" in text  # who approved, and the comment


def test_the_approved_claim_print_page(client, manager, approved,
                                       django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        response = client.get(url("print", approved))
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-hans">' in html
    assert approved.number in html and "华东电力公司" in html and "壹仟叁佰元整" in html
    english = client.get(url("print", approved, lang="en")).content.decode()
    assert "Expense claim" in english and "壹仟叁佰元整" not in english


def test_a_paid_claim_prints_who_paid(client, finance, approved):
    services.claim_pay(claim=approved, actor=finance, payment_reference="BANK-0042",
                       paid_on=timezone.localdate())
    client.force_login(finance)
    text = pdf_text(client.get(url("pdf", approved)).content)
    assert "BANK-0042" in text and "finance" in text


def test_a_claim_not_yet_approved_cannot_be_printed(client, engineer, manager, submitted):
    for user in (engineer, manager):
        client.force_login(user)
        for view in ("print", "pdf", "print_document"):
            response = client.get(url(view, submitted))
            if view == "print_document":  # the button's link leads to the refusal
                response = client.get(response["Location"])
            assert response.status_code == 404, (user, view)
        page = client.get(url("change", submitted)).content.decode()
        assert url("print_document", submitted) not in page  # no button


def test_the_button_is_there_once_approved(client, finance, approved):
    client.force_login(finance)
    page = client.get(url("change", approved)).content.decode()
    assert url("print_document", approved) in page
    assert "transition/pay" in page  # the workflow's buttons stay


def test_another_employee_cannot_print_someone_elses_claim(client, make_user, approved):
    client.force_login(make_user("engineer"))  # sees only their own claims
    for view in ("print", "pdf"):
        assert client.get(url(view, approved)).status_code == 404


@pytest.mark.parametrize(("amount", "words"), [
    ("553.00", "伍佰伍拾叁元整"), ("1300", "壹仟叁佰元整"), ("1005.30", "壹仟零伍元叁角"),
    ("100000.05", "壹拾万元零伍分"), ("100500", "壹拾万零伍佰元整"),
    ("100005000", "壹亿零伍仟元整"), ("1010.01", "壹仟零壹拾元零壹分"), ("0.5", "伍角"),
    ("0", "零元整"), ("20000000", "贰仟万元整"),
])
def test_amounts_in_chinese_capitals(amount, words):
    assert amount_in_chinese(Decimal(amount)) == words
