"""On a ticket's page, the contact picker offers only the chosen customer's contacts."""

import pytest

from tests.factories import ContactFactory, CustomerFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _choose(page, field, term, text):
    """Open the select2 picker of ``field``, type ``term``, click the result ``text``."""
    page.locator(f"select[name={field}] + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_the_contact_picker_follows_the_chosen_customer(page, login, live_server, make_user,
                                                        calendar):
    make_user("clerk", "clerk")
    before, after = CustomerFactory(name="远航物流"), CustomerFactory(name="星河银行")
    ContactFactory(customer=before, name="张伟")
    ContactFactory(customer=after, name="王芳")
    ContactFactory(customer=after, name="赵磊")
    ticket = TicketFactory(customer=before, subject="打印机卡纸")
    login("clerk")
    page.goto(f"{live_server.url}/admin/backoffice/ticket/{ticket.pk}/change/")

    _choose(page, "customer", "星河", "星河银行")
    page.locator("select[name=contact] + .select2 .select2-selection").click()
    options = page.locator(".select2-container--open .select2-results__option")
    options.filter(has_text="王芳").first.wait_for()
    shown = options.all_inner_texts()
    assert sorted(shown) == ["王芳 (星河银行)", "赵磊 (星河银行)"], shown
