"""Issues 15 and 18, search: the ticket list's search box covers the whole service
record (number, subject, customer, description, diagnosis, solution), Chinese substrings
of any length included; PostgreSQL serves the texts from the GIN index of their search
tokens, and the rows are exactly those of a substring search."""

import random

import pytest
import tablib
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy, Ticket
from backoffice.desk.resources import TicketResource
from backoffice.desk.selectors import search_tickets
from backoffice.platform.search import search_tokens, term_query
from tests.factories import CustomerFactory, ProductFactory, TicketFactory

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


def substring_matches(term):
    """The oracle: the plain substring test on every searched column."""
    texts = Q(customer__name__icontains=term) | Q(customer__code__iexact=term)
    for name in ("number", "subject", "description", "diagnosis", "solution"):
        texts |= Q(**{f"{name}__icontains": term})
    return set(Ticket.objects.filter(texts).values_list("pk", flat=True))


PIECES = ["报表", "结账", "登录", "打印", "发票", "上海", "蓝牙", "数据库", "Excel", "ERP",
          "v9.0", "，", "。", "：", "-", "(", ")", "%", "_", " ", "客户反馈", "字段错位", "a",
          "B", "12", "2026", "ß", "Ａ"]


@pytest.fixture
def generated(db):
    """Sixty tickets of random pieces: Chinese words, Latin words in either case,
    numbers, full-width and ASCII punctuation, LIKE's wildcards."""
    rng = random.Random(18)
    customers = [CustomerFactory(name=name) for name in ("上海蓝牙科技", "北京报表公司",
                                                           "Acme 上海")]

    def text(n):
        return "".join(rng.choice(PIECES) for _ in range(n))

    return [TicketFactory(customer=rng.choice(customers), subject=text(3),
                          description=text(8), diagnosis=text(rng.randint(0, 4)),
                          solution=text(rng.randint(0, 4)))
            for _ in range(60)]


TERMS = ["报", "表", "蓝", "，", "%", "_", "a", "A", "1", "报表", "蓝牙", "上海", "表结",
         "表，", "，登", "L", "EX", "xc", "12", "20", "库E", "9.", "牙%", "ss", "ß",
         "ａ", "数据库", "客户反馈", "字段错位", "报表结账", "录打印发", "Excel", "v9.0",
         "ERP，", "发票2026", "上海蓝牙", "没有这个", "SR", "-0"]


@pytest.mark.parametrize("term", TERMS)
def test_search_finds_exactly_the_substring_matches(generated, term):
    found = set(search_tickets(Ticket.objects.all(), term).values_list("pk", flat=True))
    assert found == substring_matches(term)


def test_generated_terms_find_something(generated):
    """The equality above is not vacuous: most terms match some tickets, not all."""
    sizes = [len(substring_matches(term)) for term in TERMS]
    assert sum(0 < n < len(generated) for n in sizes) >= len(TERMS) // 2


def test_a_ticket_number_fragment_is_found(generated):
    ticket = generated[7]
    fragment = ticket.number[-4:]  # e.g. "0008": digits of the number only
    found = set(search_tickets(Ticket.objects.all(), fragment).values_list("pk", flat=True))
    assert ticket.pk in found and found == substring_matches(fragment)


@pytest.mark.parametrize("term, key", [
    ("补", "solution"),  # one character
    ("补丁", "solution"),  # two characters
    ("字段错位", "description"),  # four characters
    ("Excel时", "description"),  # Latin and Chinese mixed, any case
    ("excel时", "description"),
    ("池耗", "diagnosis"),
])
def test_search_page_finds_short_and_mixed_terms(client, manager, tickets, term, key):
    client.force_login(manager)
    page = found(client, term)
    assert tickets[key].number in page
    assert not any(t.number in page for k, t in tickets.items() if k != key)


def test_tokens_follow_an_edit_on_the_ticket_page(client, manager, tickets):
    """Edited on its page, the ticket is found by its new words and no longer by its old."""
    client.force_login(manager)
    ticket = tickets["other"]
    ticket.refresh_from_db()
    ticket.description = "蓝牙耳机无法配对"
    ticket.save()
    assert ticket.number in found(client, "蓝牙")
    Ticket.objects.filter(pk=ticket.pk).first().save(update_fields=["subject"])  # untouched
    assert ticket.number in found(client, "耳机")
    ticket.refresh_from_db()
    ticket.description = "已解决"
    ticket.save(update_fields=["description"])
    assert ticket.number not in found(client, "蓝牙")
    assert ticket.number in found(client, "解决")


def test_tokens_of_bulk_writes_and_imports(client, manager, calendar):
    CustomerFactory(code="C0001")
    CustomerFactory(code="C0003")
    ProductFactory(code="ERP")
    ProductFactory(code="CRM")
    dataset = tablib.Dataset(headers=["number", "received_at", "channel", "category",
                                      "priority", "customer", "product", "subject",
                                      "description"])
    dataset.append(["", "2026-11-20 09:30:00", "phone", "bug", "high", "C0001", "ERP",
                    "打印凭证时格式错乱", "凭证打印预览正常但打印出来列错位"])
    dataset.append(["", "2026-11-20 10:15:00", "email", "data", "normal", "C0003", "CRM",
                    "联系人手机号批量丢失", "导入联系人后手机号为空"])
    result = TicketResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors(), [
        row.error_dict for row in result.invalid_rows]
    client.force_login(manager)
    imported = Ticket.objects.get(subject="联系人手机号批量丢失")
    assert imported.number in found(client, "手机")  # imported: bulk_create_with_history
    imported.subject = "发票抬头错误"
    Ticket.objects.bulk_update([imported], ["subject"])
    assert imported.number in found(client, "抬头")
    assert imported.number not in found(client, "手机号批")


def test_tokens_are_letters_only_and_pairs_never_span_two_texts():
    tokens = search_tokens("报表", "a-b")
    assert all(token.isalpha() and token.isascii() for token in tokens.split())
    # 报表 and a-b: 2 + 3 characters, 1 + 2 pairs, and no pair 表a across the two texts
    assert len(tokens.split()) == 8
    assert term_query("表a").split(" & ")[0] not in tokens.split()


@pytest.mark.postgres_only
def test_a_two_character_term_is_served_by_the_tokens_index(tickets):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'backoffice_ticket'")
        indexes = {row[0] for row in cursor.fetchall()}
        assert "ticket_search_tokens" in indexes
        assert "ticket_subject_trgm" not in indexes  # replaced by the tokens' index
        sql, params = search_tickets(Ticket.objects.order_by(), "补丁").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")  # a 5-row table: force the choice
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_tokens" in plan
