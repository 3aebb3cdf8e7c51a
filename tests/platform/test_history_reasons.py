"""The history page names a workflow step by its label, with the comment: "解决 · 已修复",
not the step's code ("resolve: 已修复"); other reasons and older rows read as before."""

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from backoffice.templatetags.backoffice_history import change_reason
from tests.factories import TicketFactory


def test_a_step_and_its_comment_read_as_label_and_comment():
    with translation.override("zh-hans"):
        assert change_reason("resolve: 已修复", Ticket._meta) == "解决 · 已修复"
        assert change_reason("start", Ticket._meta) == "开始处理"
        assert change_reason("start: note: with a colon", Ticket) == "开始处理 · note: with a colon"
    with translation.override("en"):
        assert change_reason("resolve: fixed", Ticket._meta) == "Resolve · fixed"


def test_other_reasons_stay_as_they_are_or_are_named_in_words():
    with translation.override("zh-hans"):
        assert change_reason("import", Ticket._meta) == "导入"  # bulk imports
        assert change_reason("Moved to the new CRM", Ticket._meta) == "Moved to the new CRM"
        assert change_reason("nosuchstep: x", Ticket._meta) == "nosuchstep: x"
        assert change_reason("", Ticket._meta) == ""
        assert change_reason(None, Ticket._meta) is None
    from backoffice.desk.models import Customer  # no state machine at all

    assert change_reason("resolve: x", Customer._meta) == "resolve: x"


@pytest.mark.django_db
def test_the_history_page_shows_the_labels(client, manager, engineer, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    ticket = TicketFactory(state="assigned", assignee=engineer)
    apply_transition(ticket, "start", actor=engineer, note="远程连接客户环境")
    older = ticket.history.earliest()  # a row written before, with a reason of its own
    older.history_change_reason = "迁移自旧系统"
    older.save()
    client.force_login(manager)
    with translation.override("zh-hans"):
        page = client.get(reverse("admin:backoffice_ticket_history", args=[ticket.pk]),
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = page[page.index('id="change-history"'):]
    assert "开始处理 · 远程连接客户环境" in table
    assert "start: 远程连接客户环境" not in table
    assert "迁移自旧系统" in table
    header = table[:table.index("</thead>")]
    assert "<th>" in header and "对象" in header and "提出异议" not in header
