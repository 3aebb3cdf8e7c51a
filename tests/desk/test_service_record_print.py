"""The printed service record (服务单): print page and PDF of a ticket, in Chinese by
default, with the parts used, the working hours, the customer's signature (or a box to
sign on paper) and the journal; only for whoever may see the ticket."""

import base64
import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from backoffice.desk import services
from backoffice.desk.selectors import working_hours
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, CustomerFactory, ProductVersionFactory
from tests.inventory.factories import PartFactory, WarehouseFactory, requisition, stock
from tests.knowledge.factories import in_progress_ticket

pytestmark = pytest.mark.django_db


def url(view, ticket, **query):
    path = reverse(f"admin:backoffice_ticket_{view}", args=[ticket.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def signature_png() -> str:
    image = Image.new("RGB", (120, 40), "white")
    for x in range(10, 110):
        image.putpixel((x, 20 + (x % 7)), (0, 0, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def ticket(clerk, engineer, warehouse, calendar):
    """华东电力公司's ticket, worked by ``engineer``, with two disks taken from stock,
    resolved."""
    customer = CustomerFactory(name="华东电力公司", address="上海市浦东新区世纪大道1号")
    version = ProductVersionFactory(product__name="调度自动化系统", version="5.2")
    ticket = in_progress_ticket(
        clerk, engineer, customer=customer, product=version.product, product_version=version,
        contact=ContactFactory(customer=customer, name="王建国", phone="13800000001"),
        subject="调度主站服务器告警")
    main = WarehouseFactory(code="MAIN", name="总部配件仓")
    disk = PartFactory(code="HDD-1T", name="服务器硬盘", specification="1TB SATA", unit="块")
    stock(disk, main, 10, warehouse)
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(disk, 2)])
    apply_transition(req, "submit", actor=engineer)
    apply_transition(req, "issue", actor=warehouse)
    ticket.diagnosis = "RAID 阵列降级，一块硬盘坏道"
    ticket.process = "上门更换硬盘\n重建阵列后观察两小时"
    ticket.solution = "更换硬盘两块"
    ticket.save()
    apply_transition(ticket, "resolve", actor=engineer)
    ticket.refresh_from_db()
    return ticket


def test_the_pdf_is_the_chinese_service_record_of_the_ticket(client, manager, ticket):
    client.force_login(manager)
    response = client.get(url("pdf", ticket))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{ticket.number}.pdf"'
    text = pdf_text(response.content)
    assert "华东电力公司" in text and ticket.number in text
    assert "王建国" in text and "调度自动化系统" in text and "5.2" in text
    assert "调度主站服务器告警" in text and "RAID 阵列降级" in text and "重建阵列" in text
    assert "服务器硬盘" in text and "HDD-1T" in text  # the parts used
    assert "客户" in text  # the labels are Chinese (the catalogue's "customer")
    assert str(working_hours(ticket)) in text


def test_the_print_page_shows_the_same_with_its_toolbar(client, manager, ticket):
    client.force_login(manager)
    response = client.get(url("print", ticket))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "华东电力公司" in html and ticket.number in html and "服务器硬盘" in html
    assert "@page" in html and "size: A4" in html and "WenQuanYi Micro Hei" in html
    assert 'onclick="window.print()"' in html and url("pdf", ticket, lang="zh-hans") in html
    assert "@media print" in html and ".toolbar { display: none" in html
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_english_on_request(client, manager, ticket):
    client.force_login(manager)
    html = client.get(url("print", ticket, lang="en")).content.decode()
    assert '<html lang="en">' in html and ">Service record<" in html and "华东电力公司" in html
    assert f"{working_hours(ticket)} working hours" in html
    text = pdf_text(client.get(url("pdf", ticket, lang="en")).content)
    assert "Service record" in text and "华东电力公司" in text


def test_unsigned_record_has_an_empty_box_to_sign_on_paper(client, manager, ticket):
    client.force_login(manager)
    html = client.get(url("print", ticket)).content.decode()
    assert "客户签字" in html  # Chinese by default
    assert '<div class="sig-space"></div>' in html  # the customer's box: blank
    assert "data:image/png" not in html


def test_the_customers_signature_from_the_link_is_printed(client, manager, clerk, ticket):
    link = services.request_confirmation(ticket, actor=clerk, send_mail=False)
    signature = signature_png()
    services.answer_confirmation(link, outcome="solved", rating=5, signer_name="王建国",
                                 signature=signature)
    client.force_login(manager)
    html = client.get(url("print", ticket)).content.decode()
    assert f'<img src="{signature}"' in html
    response = client.get(url("pdf", ticket))
    page_images = [image for page in PdfReader(io.BytesIO(response.content)).pages
                   for image in page.images]
    assert page_images, "the signature is drawn in the PDF"
    text = pdf_text(response.content)
    assert "王建国" in text and "客户本人（确认链接）" in text


def test_a_phone_confirmation_is_printed_with_who_entered_it(client, manager, clerk, ticket):
    apply_transition(ticket, "confirm", actor=clerk, confirmed_by="李四", satisfaction=4)
    client.force_login(manager)
    html = client.get(url("print", ticket)).content.decode()
    assert "李四" in html and "电话确认（员工录入）" in html
    assert "data:image/png" not in html  # signed on paper


def test_the_journal_is_printed(client, manager, ticket):
    client.force_login(manager)
    html = client.get(url("print", ticket, lang="en")).content.decode()
    journal = html[html.index('<table class="journal">'):]
    steps = [step for step in ("Assign", "Start work", "Resolve") if f"<td>{step}</td>" in journal]
    assert steps == ["Assign", "Start work", "Resolve"]
    assert journal.index("<td>Assign</td>") < journal.index("<td>Resolve</td>")  # oldest first
    assert "<td>engineer</td>" in journal and "In progress → Resolved" in journal


def test_who_may_not_see_the_ticket_gets_404(client, make_user, ticket):
    client.force_login(make_user())  # staff, no role: no view permission
    for view in ("print", "pdf"):
        assert client.get(url(view, ticket)).status_code == 404
    assert client.get(reverse("admin:backoffice_ticket_print", args=[999999])).status_code == 404


def test_the_detail_button_opens_the_print_page_and_the_others_stay(client, clerk, ticket):
    client.force_login(clerk)
    page = client.get(url("change", ticket)).content.decode()
    assert url("print_document", ticket) in page and 'target="_blank"' in page
    assert "transition/confirm" in page  # the workflow's buttons are still there
    assert "confirmation-link" in page  # and "Send confirmation link"
    response = client.get(url("print_document", ticket))
    assert response.status_code == 302 and response["Location"] == url("print", ticket)


def test_print_queries_are_bounded(client, manager, ticket, django_assert_max_num_queries):
    client.force_login(manager)
    for _i in range(15):
        ticket.events.create(actor=manager, action="note", source="resolved",
                             target="resolved", note="跟进")
    with django_assert_max_num_queries(25):
        assert client.get(url("print", ticket)).status_code == 200


def test_working_hours_count_the_calendar_less_the_waiting(calendar):
    from tests.conftest import aware
    from tests.factories import TicketFactory

    # a low-priority ticket: its target runs on working hours (normal and above run
    # round the clock, as the seed's promises do)
    ticket = TicketFactory(received_at=aware(2026, 3, 2, 9, 0), priority="low")  # a Monday
    ticket.resolved_at = aware(2026, 3, 2, 15, 30)  # 3 h before lunch, 2 h after
    ticket.paused_seconds = 1800
    assert str(working_hours(ticket)) == "4.5"
    ticket.resolved_at = None
    assert working_hours(ticket) is None
