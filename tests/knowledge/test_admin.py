"""Knowledge-base pages: render, bounded queries, who may edit, import and export."""

import pytest
import tablib
from django.urls import reverse

from backoffice.knowledge.models import Article
from backoffice.knowledge.resources import ArticleResource
from tests.factories import ProductFactory
from tests.knowledge.factories import ArticleFactory, published, resolved_ticket

pytestmark = pytest.mark.django_db


def test_pages_render(client, engineer, manager):
    article = published(engineer, manager)
    client.force_login(manager)
    for url in (reverse("admin:backoffice_article_changelist"),
                reverse("admin:backoffice_article_add"),
                reverse("admin:backoffice_article_change", args=[article.pk]),
                reverse("admin:backoffice_article_changelist") + "?stale=1"):
        assert client.get(url).status_code == 200, url


def test_changelist_queries_do_not_grow_with_rows(client, engineer, manager,
                                                  django_assert_max_num_queries):
    client.force_login(manager)
    url = reverse("admin:backoffice_article_changelist")
    published(engineer, manager)
    with django_assert_max_num_queries(12):
        client.get(url)
    for _ in range(20):
        ArticleFactory(author=engineer, product=ProductFactory())
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_published_content_is_read_only_until_revised(client, engineer, manager):
    article = published(engineer, manager)
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_article_change", args=[article.pk]))
    assert 'name="solution"' not in page.content.decode()
    assert "transition/revise" in page.content.decode()
    assert "transition/publish" not in page.content.decode()


def test_author_is_who_created_it(client, engineer):
    client.force_login(engineer)
    product = ProductFactory()
    response = client.post(reverse("admin:backoffice_article_add"), {
        "title": "打印模板错位", "category": "operation", "product": product.pk,
        "problem": "打印发票时内容错位", "solution": "调整打印边距", "keywords": "打印",
        "attachments-TOTAL_FORMS": 0, "attachments-INITIAL_FORMS": 0,
        "uses-TOTAL_FORMS": 0, "uses-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert article.author == engineer and article.state == "draft"


def test_ticket_panel_lists_articles_written_and_used(client, clerk, engineer):
    ticket = resolved_ticket(clerk, engineer)
    from backoffice.knowledge.services import article_create_from_ticket

    article = article_create_from_ticket(ticket=ticket, actor=engineer)
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert article.number in page.content.decode()


# -- import / export --------------------------------------------------------------------
def _dataset(rows):
    data = tablib.Dataset(headers=["number", "title", "category", "product", "keywords",
                                   "problem", "cause", "solution"])
    for row in rows:
        data.append(row)
    return data


def test_import_creates_drafts_by_the_importing_user(engineer):
    product = ProductFactory(code="ERP")
    result = ArticleResource().import_data(_dataset([
        ("", "月结报表不一致", "bug", "ERP", "月结", "总账与明细账不符", "", "重新结账"),
        ("", "客户档案重复", "data", "", "", "同一客户三条档案", "", "合并档案"),
    ]), dry_run=False, user=engineer)
    assert not result.has_errors() and not result.has_validation_errors()
    articles = Article.objects.order_by("title")
    assert [a.state for a in articles] == ["draft", "draft"]
    assert {a.author for a in articles} == {engineer}
    assert Article.objects.get(title="月结报表不一致").product == product
    assert all(a.number.startswith("KB") for a in articles)
    assert all(a.history.count() == 1 for a in articles)


def test_one_bad_row_imports_nothing(engineer):
    result = ArticleResource().import_data(_dataset([
        ("", "好的一行", "bug", "", "", "问题", "", "方案"),
        ("", "坏的一行", "不存在的分类", "", "", "问题", "", "方案"),
    ]), dry_run=False, user=engineer, rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    assert [r.number for r in result.invalid_rows] == [3]  # spreadsheet rows
    assert "category" in result.invalid_rows[0].error_dict
    assert not Article.objects.exists()


def test_published_articles_are_not_changed_by_import(engineer, manager):
    article = published(engineer, manager)
    result = ArticleResource().import_data(_dataset([
        (article.number, "改过的标题", "bug", "", "", "问题", "", "方案")]),
        dry_run=False, user=engineer)
    assert result.has_validation_errors()
    article.refresh_from_db()
    assert article.title != "改过的标题"


def test_wrong_headers_are_reported(engineer):
    data = tablib.Dataset(headers=["标题", "内容"])
    data.append(("x", "y"))
    result = ArticleResource().import_data(data, dry_run=True, user=engineer)
    assert result.has_errors() or result.has_validation_errors()
    assert not Article.objects.exists()


def test_export_counts_uses_and_escapes_formulas(engineer, manager):
    published(engineer, manager, title="=HYPERLINK(\"http://evil\")")
    data = ArticleResource().export(Article.objects.with_use_count())
    row = dict(zip(data.headers, data[0], strict=True))
    assert row["Title"].startswith("'=")
    assert row["Tickets resolved"] == 0 and row["State"] == "Published"
