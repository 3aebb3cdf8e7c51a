"""The language switch sits in the header of every admin page: a form posting to Django's
set_language with the two languages; the page comes back in the chosen one."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def header_switch(html):
    match = re.search(r'<form id="header-language".*?</form>', html, re.S)
    assert match, "no language switch in the header"
    return match.group(0)


def test_the_header_offers_both_languages(client, clerk):
    client.force_login(clerk)
    html = client.get(reverse("admin:backoffice_ticket_changelist")).content.decode()
    header = re.search(r'<div id="header-inner".*?</form>', html, re.S).group(0)
    assert 'id="header-language"' in header  # in the header, not only the user menu
    switch = header_switch(html)
    assert f'action="{reverse("set_language")}"' in switch and 'method="post"' in switch
    assert "csrfmiddlewaretoken" in switch
    assert 'name="language" value="zh-hans"' in switch and "简体中文" in switch
    assert 'name="language" value="en"' in switch and "English" in switch
    assert re.search(r'value="en" lang="en"\s+aria-pressed="true"', switch)  # the current one
    assert re.search(r'value="zh-hans" lang="zh-hans"\s+aria-pressed="false"', switch)
    assert f'name="next" type="hidden" value="{reverse("admin:backoffice_ticket_changelist")}"' \
        in switch


def test_switching_to_chinese_and_back(client, clerk):
    client.force_login(clerk)
    page = reverse("admin:backoffice_ticket_changelist")
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": page})
    assert response.status_code == 302 and response.url == page
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    html = client.get(page).content.decode()
    assert '<html lang="zh-hans"' in html and "服务单" in html
    client.post(reverse("set_language"), {"language": "en", "next": page})
    assert '<html lang="en"' in client.get(page).content.decode()


def test_the_change_page_header_has_it_too(client, clerk, calendar):
    from tests.factories import TicketFactory

    ticket = TicketFactory()
    client.force_login(clerk)
    html = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])).content.decode()
    assert 'name="language" value="en"' in header_switch(html)
