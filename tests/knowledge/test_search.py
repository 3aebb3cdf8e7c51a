"""Search that handles Chinese: substring matching, never word boundaries."""

import pytest
from django.db import connection
from django.urls import reverse

from backoffice.knowledge.models import Article
from backoffice.knowledge.selectors import article_filter, article_search
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kb(engineer):
    return {
        "pool": ArticleFactory(author=engineer, title="数据库连接池耗尽导致系统无响应",
                               problem="高峰期所有页面转圈，十分钟后恢复",
                               solution="将连接池上限从 50 调整为 200，并开启空闲连接回收"),
        "export": ArticleFactory(author=engineer, title="导出Excel时提示内存不足",
                                 problem="导出超过十万行时报错",
                                 solution="安装补丁包 SP3，分批导出", keywords="ORA-12541, 导出"),
        "approval": ArticleFactory(author=engineer, title="审批流程卡在第二节点",
                                   problem="部门经理审批后没有流转",
                                   solution="修正流程条件分支配置"),
    }


def titles(qs):
    return sorted(a.title for a in qs)


def test_a_word_inside_a_chinese_sentence_is_found(kb):
    assert titles(article_filter("连接池")) == [kb["pool"].title]
    assert titles(article_filter("无响应")) == [kb["pool"].title]


def test_every_term_must_match_spaces_or_chinese_punctuation(kb):
    assert titles(article_filter("连接池 高峰期")) == [kb["pool"].title]
    assert titles(article_filter("连接池，审批")) == []
    assert titles(article_filter("审批、节点")) == [kb["approval"].title]


def test_problem_solution_and_keywords_are_searched(kb):
    assert titles(article_filter("十万行")) == [kb["export"].title]  # problem
    assert titles(article_filter("空闲连接回收")) == [kb["pool"].title]  # solution
    assert titles(article_filter("ora-12541")) == [kb["export"].title]  # keywords, any case


def test_number_and_no_match(kb):
    assert titles(article_filter(kb["approval"].number.lower())) == [kb["approval"].title]
    assert not article_filter("打印机").exists()
    assert list(article_search("")) == []


def test_title_matches_rank_first(engineer, kb):
    other = ArticleFactory(author=engineer, title="系统优化建议",
                           problem="数据库连接池配置过小")
    found = list(article_search("连接池"))
    assert found[0] == kb["pool"] and other in found


def test_admin_search_box_uses_the_same_rules(client, engineer, kb):
    client.force_login(engineer)
    url = reverse("admin:backoffice_article_changelist")
    page = client.get(url, {"q": "连接池，高峰期"}).content.decode()
    assert kb["pool"].number in page
    assert kb["export"].number not in page and kb["approval"].number not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
def test_postgresql_serves_chinese_substring_search_from_trigram_indexes(kb):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'backoffice_article'"
                       " AND indexname LIKE '%%_trgm'")
        assert {r[0] for r in cursor.fetchall()} == {
            "article_title_trgm", "article_problem_trgm", "article_solution_trgm",
            "article_keywords_trgm"}
        sql, params = Article.objects.filter(title__icontains="连接池耗").values("id").query \
            .sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "article_title_trgm" in plan
