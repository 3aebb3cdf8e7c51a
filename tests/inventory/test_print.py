"""Printed requisition slips (领用单) and scrap requests (报废申请单): Chinese PDFs and
print pages through the admin, for whoever may see the document."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from backoffice.platform.workflow import apply_transition
from tests.factories import CustomerFactory, TicketFactory
from tests.inventory.factories import requisition, scrap_request

pytestmark = pytest.mark.django_db


def url(model, view, obj, **query):
    path = reverse(f"admin:inventory_{model}_{view}", args=[obj.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def ticket(db):
    return TicketFactory(customer=CustomerFactory(name="华东电力公司"), subject="变电站监控中断")


@pytest.fixture
def issued(engineer, warehouse, stocked, main, ticket):
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(stocked, 3)],
                      purpose="更换坏盘")
    apply_transition(req, "submit", actor=engineer)
    apply_transition(req, "issue", actor=warehouse)
    req.refresh_from_db()
    return req


@pytest.fixture
def approved_scrap(engineer, manager, stocked, main, scrap_area, ticket):
    scrap = scrap_request(requester=engineer, part=stocked, warehouse=main, quantity=2,
                          ticket=ticket, description="硬盘坏道无法修复")
    apply_transition(scrap, "submit", actor=engineer)
    apply_transition(scrap, "approve", actor=manager, note="同意报废")
    scrap.refresh_from_db()
    return scrap


# -- requisitions -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["engineer", "warehouse"])
def test_the_requisition_slip_pdf(client, request, role, issued):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url("requisition", "pdf", issued))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    text = pdf_text(response.content)
    assert issued.number in text and "华东电力公司" in text and issued.ticket.number in text
    assert "服务器硬盘" in text and "HDD-1T" in text and "更换坏盘" in text
    assert "发放配件" in text or "Issue parts" in text  # the journal


def test_the_requisition_print_page(client, warehouse, issued, django_assert_max_num_queries):
    client.force_login(warehouse)
    with django_assert_max_num_queries(20):
        response = client.get(url("requisition", "print", issued))
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-hans">' in html
    assert issued.number in html and "华东电力公司" in html and "服务器硬盘" in html
    assert "领用人" in html  # a box for the engineer's signature on receipt
    english = client.get(url("requisition", "print", issued, lang="en")).content.decode()
    assert "Parts requisition slip" in english and '<html lang="en">' in english


def test_the_requisition_button_and_the_workflow_buttons(client, engineer, issued):
    client.force_login(engineer)
    page = client.get(url("requisition", "change", issued)).content.decode()
    assert url("requisition", "print_document", issued) in page
    assert "transition/confirm_receipt" in page


def test_who_may_not_see_requisitions_gets_404(client, clerk, issued):
    client.force_login(clerk)  # the clerk has no view of requisitions
    for view in ("print", "pdf"):
        assert client.get(url("requisition", view, issued)).status_code == 404


# -- scrap requests ---------------------------------------------------------------------------
def test_the_scrap_request_pdf(client, manager, approved_scrap):
    client.force_login(manager)
    response = client.get(url("scraprequest", "pdf", approved_scrap))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{approved_scrap.number}.pdf"')
    text = pdf_text(response.content)
    assert approved_scrap.number in text and "华东电力公司" in text
    assert "服务器硬盘" in text and "硬盘坏道无法修复" in text and "同意报废" in text
    assert "200.00" in text  # 2 × 100.00 at standard cost
    html = client.get(url("scraprequest", "print", approved_scrap, lang="en")).content.decode()
    assert "Approve scrap · manager" in html  # the decision, as the journal has it


def test_a_draft_scrap_request_prints_with_empty_decision_boxes(client, engineer, stocked,
                                                                 main):
    scrap = scrap_request(requester=engineer, part=stocked, warehouse=main)
    client.force_login(engineer)
    html = client.get(url("scraprequest", "print", scrap)).content.decode()
    assert scrap.number in html and "审批人" in html
    assert html.count('<div class="sig-space"></div>') == 3


def test_who_may_not_see_scrap_requests_gets_404(client, clerk, approved_scrap):
    client.force_login(clerk)
    for view in ("print", "pdf"):
        assert client.get(url("scraprequest", view, approved_scrap)).status_code == 404
