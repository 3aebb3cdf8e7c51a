"""One display name for people everywhere: the family name first without a space in
Chinese ("李工"), "First Last" in English, the username when there is no name."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from backoffice.desk import workflows as wf
from backoffice.desk.services import post_message
from backoffice.platform import people
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory


def test_full_name_in_each_language():
    assert people.full_name("工", "李", "zh-hans") == "李工"
    assert people.full_name("工", "李", "en") == "工 李"
    assert people.full_name("John", "Smith", "zh-hans") == "Smith John"
    assert people.full_name("John", "Smith", "en") == "John Smith"
    assert people.full_name("", "李", "zh-hans") == "李"
    assert people.full_name(" ", "", "en") == ""


def test_display_name_falls_back_to_the_username():
    user = get_user_model()(username="engineer")
    assert people.display_name(user, "zh-hans") == "engineer"
    assert people.display_name(None) == ""
    assert people.display_name_of("", "", "clerk") == "clerk"
    assert people.display_name_of("小客", "陈", "clerk", "zh-hans") == "陈小客"


def test_the_user_model_names_people_the_same_way():
    user = get_user_model()(username="engineer", first_name="工", last_name="李")
    with translation.override("zh-hans"):
        assert str(user) == "李工" and user.get_full_name() == "李工"
    with translation.override("en"):
        assert str(user) == "工 李" and user.get_full_name() == "工 李"
    assert get_user_model()(username="x").get_full_name() == ""


def test_the_person_template_filter():
    user = get_user_model()(username="engineer", first_name="工", last_name="李")
    template = Template("{% load backoffice_admin %}{{ user|person }}|{{ nobody|person }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"user": user, "nobody": None})) == "李工|"


@pytest.mark.django_db
def test_pages_show_the_one_name(client, clerk, make_user, calendar):
    engineer = make_user("engineer", "li", first_name="工", last_name="李")
    clerk.first_name, clerk.last_name = "小客", "陈"
    clerk.save()
    ticket = TicketFactory(subject="报表导出超时")
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    post_message(ticket, direction=wf.MessageDirection.INTERNAL, body="已联系客户",
                 author=clerk)
    client.force_login(clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])).content.decode()
    listing = client.get(reverse("admin:backoffice_ticket_changelist")).content.decode()
    history = client.get(reverse("admin:backoffice_ticket_history",
                                 args=[ticket.pk])).content.decode()
    # the journal, the conversation, the list's engineer column and history's "changed by"
    assert "陈小客" in page and "李工" in page
    assert "小客 陈" not in page and "工 李" not in page
    assert "李工" in listing and "工 李" not in listing
    assert "陈小客" in history


@pytest.mark.django_db
def test_the_english_page_puts_the_first_name_first(client, clerk, make_user, calendar):
    engineer = make_user("engineer", "li", first_name="工", last_name="李")
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    client.force_login(clerk)
    listing = client.get(reverse("admin:backoffice_ticket_changelist")).content.decode()
    assert "工 李" in listing and "李工" not in listing
