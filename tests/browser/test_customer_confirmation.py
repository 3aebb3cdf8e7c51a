"""The customer closes the loop in a real browser: the clerk sends the confirmation link,
the customer (a second browser, no session) signs and rates 2 with 「还是报错」, the ticket
shows the warning and the signature, staff reopen it; a second round with "solved" and 5
stars closes it, and the first link no longer works."""

import re

import pytest
from playwright.sync_api import expect

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, CustomerFactory
from tests.knowledge.factories import resolved_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def send_link(page, live_server, ticket):
    """The clerk's "Send confirmation link" dialog; returns the link the page offers."""
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    page.locator("a[href$='/confirmation-link/']").first.click()
    dialog = page.locator("#dialog form")
    expect(dialog).to_be_visible()
    with page.expect_navigation(url=re.compile(rf".*/ticket/{ticket.pk}/change/$")):
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and "/confirmation-link/" in r.url) as posted:
            dialog.locator("button[type=submit]").click()
    assert posted.value.ok
    text = page.locator("#confirmation-text")
    expect(text).to_be_visible()
    return re.search(r"https?://\S+/confirm/\S+/", text.input_value()).group(0)


def sign(customer, url, *, outcome, rating, comment, name="王建国"):
    customer.goto(url)
    form = customer.locator("#confirmation-form")
    expect(form).to_be_visible()
    form.locator(f"input[name=outcome][value={outcome}]").check()
    form.locator(f"input[name=rating][value='{rating}']").check()
    form.locator("textarea[name=comment]").fill(comment)
    form.locator("input[name=signer_name]").fill(name)
    canvas = form.locator("canvas")
    canvas.scroll_into_view_if_needed()
    pad = canvas.bounding_box()
    customer.mouse.move(pad["x"] + 30, pad["y"] + pad["height"] / 2)
    customer.mouse.down()
    for step in range(1, 12):
        customer.mouse.move(pad["x"] + 30 + step * 25,
                            pad["y"] + pad["height"] / 2 + (-1) ** step * 25, steps=3)
    customer.mouse.up()
    with customer.expect_response(lambda r: r.request.method == "POST") as posted:
        form.locator("button[type=submit]").click()
    assert posted.value.ok
    expect(customer.locator("#confirmation-thanks")).to_be_visible()


def test_a_contradicting_confirmation_then_an_honest_one(page, login, live_server, browser,
                                                          settings, clerk, engineer, calendar):
    settings.SITE_URL = live_server.url
    customer_record = CustomerFactory(name="华东电力公司")
    ticket = resolved_ticket(clerk, engineer, customer=customer_record, contact=ContactFactory(
        customer=customer_record, name="王建国", email="wang@customer.example"))

    login("clerk")
    first_link = send_link(page, live_server, ticket)

    customer_context = browser.new_context(locale="zh-CN",
                                           viewport={"width": 390, "height": 844})
    customer = customer_context.new_page()
    customer.set_default_timeout(15_000)
    assert not customer_context.cookies()  # no session at all
    sign(customer, first_link, outcome="solved", rating=2, comment="还是报错")

    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.CONFIRMED and ticket.confirmation_doubt
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")
    expect(page.locator("#confirmation-doubt")).to_contain_text("还是报错")
    signature = page.locator("img.confirmation-signature").first
    expect(signature).to_be_visible()
    assert signature.get_attribute("src").startswith("data:image/png;base64,")
    assert page.locator("a[href*='/transition/close/']").count() == 0  # no silent close

    # staff reopen it to the engineer, with a reason
    page.locator("a[href*='/transition/reopen/']").first.click()
    dialog = page.locator("#dialog form")
    dialog.locator("textarea[name=note]").fill("客户仍报错，退回工程师")
    with page.expect_navigation(url=re.compile(rf".*/ticket/{ticket.pk}/change/$")):
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and "/transition/reopen/" in r.url):
            dialog.locator("button[type=submit]").click()
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.IN_PROGRESS

    # the engineer fixes it again; a second round closes it
    apply_transition(ticket, "resolve", actor=engineer)
    second_link = send_link(page, live_server, Ticket.objects.get(pk=ticket.pk))
    assert second_link != first_link
    sign(customer, second_link, outcome="solved", rating=5, comment="这次好了，谢谢")
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.CLOSED and ticket.satisfaction == 5
    assert ticket.satisfaction_source == wf.RatingSource.CUSTOMER_LINK

    # the first link no longer works
    response = customer.goto(first_link)
    assert response.status == 404
    expect(customer.locator("#confirmation-form")).to_have_count(0)
    customer_context.close()
