"""Issue 15, search: the ticket list's search box covers the whole service record
(number, subject, customer, description, diagnosis, solution), Chinese substrings
included, and PostgreSQL serves the texts from trigram indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db
LIST = "admin:backoffice_ticket_changelist"


@pytest.fixture
def tickets():
    return {
        "description": TicketFactory(subject="打印问题", description="导出Excel时字段错位"),
        "diagnosis": TicketFactory(subject="速度慢", diagnosis="日志显示数据库连接池耗尽"),
        "solution": TicketFactory(subject="无法登录", solution="安装最新补丁后恢复"),
        "customer": TicketFactory(subject="其他", customer=CustomerFactory(name="华东电力公司")),
        "other": TicketFactory(subject="无关", description="无关"),
    }


def found(client, term):
    page = client.get(reverse(LIST), {"q": term}).content.decode()
    return page


@pytest.mark.parametrize("term, key", [
    ("字段错位", "description"),  # a phrase only in the description
    ("连接池", "diagnosis"),  # three characters only in the diagnosis
    ("补丁", "solution"),  # two characters only in the solution
    ("华东电力", "customer"),
])
def test_search_finds_what_is_only_in_one_part(client, manager, tickets, term, key):
    client.force_login(manager)
    page = found(client, term)
    assert tickets[key].number in page
    others = [t for k, t in tickets.items() if k != key]
    assert not any(t.number in page for t in others)


def test_search_by_number_and_quoted_phrase(client, manager, tickets):
    client.force_login(manager)
    target = tickets["solution"]
    page = found(client, target.number.lower())
    assert target.number in page and tickets["other"].number not in page
    page = found(client, '"最新补丁 后恢复"')  # quoted: one term, nothing has it
    assert target.number not in page
    page = found(client, "最新 补丁")  # two words, both in the solution
    assert target.number in page


def test_demo_policies_say_the_seeds_promises(calendar):
    policies = {(p.priority, p.for_vip): p for p in SLAPolicy.objects.all()}
    critical = policies[(wf.Priority.CRITICAL, False)]
    normal = policies[(wf.Priority.NORMAL, False)]
    # seed 004: critical answered within 2 hours, normal within 24, hours of the clock
    assert (critical.response_minutes, critical.round_the_clock) == (120, True)
    assert (normal.response_minutes, normal.round_the_clock) == (24 * 60, True)
    assert "2小时内响应" in critical.name and "全天候" in critical.name
    assert "24小时内响应" in normal.name and "日历时间" in normal.name
    low = policies[(wf.Priority.LOW, False)]
    assert low.round_the_clock is False and "工作" in low.name
    # no priority promises slower than a lower one
    order = [wf.Priority.CRITICAL, wf.Priority.HIGH, wf.Priority.NORMAL]
    minutes = [policies[(p, False)].response_minutes for p in order]
    assert minutes == sorted(minutes)


@pytest.mark.postgres_only
def test_the_texts_are_trigram_indexed_and_the_plan_uses_them(tickets):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                       "WHERE tablename = 'backoffice_ticket' AND indexdef LIKE '%%gin_trgm_ops%%'")
        indexes = dict(cursor.fetchall())
        for name in ("ticket_subject_trgm", "ticket_description_trgm", "ticket_diagnosis_trgm",
                     "ticket_solution_trgm"):
            assert name in indexes
        cursor.execute("SET LOCAL enable_seqscan = off")  # a 5-row table: force the choice
        cursor.execute("EXPLAIN SELECT id FROM backoffice_ticket "
                       "WHERE UPPER(description::text) LIKE UPPER('%%字段错位%%')")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_description_trgm" in plan
