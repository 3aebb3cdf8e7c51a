"""Articles and tickets: written from a resolved ticket, suggested on a ticket, resolving it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article, ArticleUse
from backoffice.knowledge.selectors import suggested_articles
from backoffice.knowledge.services import article_create_from_ticket, ticket_resolve_with_article
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.workflow import apply_transition
from tests.factories import ProductFactory, ProductVersionFactory
from tests.knowledge.factories import (
    ArticleFactory,
    in_progress_ticket,
    published,
    resolved_ticket,
)

pytestmark = pytest.mark.django_db


# -- creating an article from a resolved ticket ---------------------------------------------
def test_article_is_prefilled_from_the_service_record(clerk, engineer):
    version = ProductVersionFactory()
    ticket = resolved_ticket(clerk, engineer, product=version.product, product_version=version,
                             description="高峰期系统无响应", category=wf.Category.ENVIRONMENT)
    article = article_create_from_ticket(ticket=ticket, actor=engineer, keywords="连接池")
    article.refresh_from_db()
    assert article.state == ArticleStatus.DRAFT and article.author == engineer
    assert article.title == ticket.subject
    assert article.problem == "高峰期系统无响应"
    assert article.cause == "日志显示数据库连接池耗尽"
    assert article.solution.startswith("将连接池上限从 50 调整为 200")
    assert "远程调整连接池参数" in article.solution
    assert article.product == version.product and list(article.versions.all()) == [version]
    assert article.category == wf.Category.ENVIRONMENT and article.keywords == "连接池"
    assert list(article.source_tickets.all()) == [ticket]
    assert article.history.count() == 1


def test_only_resolved_tickets_and_writers(clerk, engineer):
    open_ticket = in_progress_ticket(clerk, engineer)
    with pytest.raises(ValidationError, match="resolved"):
        article_create_from_ticket(ticket=open_ticket, actor=engineer)
    ticket = resolved_ticket(clerk, engineer)
    with pytest.raises(PermissionDenied):
        article_create_from_ticket(ticket=ticket, actor=clerk)
    assert not Article.objects.exists()


def test_no_second_article_while_one_is_being_written(clerk, engineer, make_user):
    ticket = resolved_ticket(clerk, engineer)
    first = article_create_from_ticket(ticket=ticket, actor=engineer)
    with pytest.raises(ValidationError, match=first.number):
        article_create_from_ticket(ticket=ticket, actor=make_user("engineer"))
    assert Article.objects.count() == 1


# -- suggestions ------------------------------------------------------------------------
def test_suggestions_rank_product_and_category(clerk, engineer, manager):
    product, other_product = ProductFactory(), ProductFactory()
    ticket = in_progress_ticket(clerk, engineer, product=product, category=wf.Category.BUG,
                                subject="导出时报错 ORA-12541")
    exact = published(engineer, manager, product=product, category=wf.Category.BUG)
    generic = published(engineer, manager, product=None, category=wf.Category.BUG)
    same_product = published(engineer, manager, product=product, category=wf.Category.DATA)
    published(engineer, manager, product=other_product, category=wf.Category.BUG)
    ArticleFactory(author=engineer, product=product, category=wf.Category.BUG)  # draft
    retired = published(engineer, manager, product=product, category=wf.Category.BUG)
    apply_transition(retired, "retire", actor=manager, note="旧版本")
    assert suggested_articles(ticket) == [exact, generic, same_product]
    keyword = published(engineer, manager, product=None, category=wf.Category.BUG,
                        keywords="ORA-12541")
    assert suggested_articles(ticket)[:2] == [keyword, exact]


def test_suggestions_prefer_the_ticket_version(clerk, engineer, manager):
    v6, v7 = ProductVersionFactory(version="6.0"), None
    v7 = ProductVersionFactory(product=v6.product, version="7.0")
    ticket = in_progress_ticket(clerk, engineer, product=v6.product, product_version=v6)
    for_v7 = published(engineer, manager, product=v6.product)
    for_v7.versions.add(v7)
    for_v6 = published(engineer, manager, product=v6.product)
    for_v6.versions.add(v6)
    any_version = published(engineer, manager, product=v6.product)
    assert suggested_articles(ticket) == [for_v6, any_version, for_v7]


# -- resolving a ticket with an article -------------------------------------------------
def test_ticket_resolved_by_linking_an_article(clerk, engineer, manager, make_user):
    article = published(engineer, manager)
    ticket = in_progress_ticket(clerk, engineer)
    ticket_resolve_with_article(ticket=ticket, article=article, actor=engineer)
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.RESOLVED
    assert article.solution in ticket.solution and article.number in ticket.solution
    assert ticket.events.first().action == "resolve"
    other = make_user("engineer")
    second = in_progress_ticket(clerk, other)
    second.solution = "先清理缓存"
    second.save()
    ticket_resolve_with_article(ticket=second, article=article, actor=other)
    second.refresh_from_db()
    assert second.solution.startswith("先清理缓存") and article.number in second.solution
    assert Article.objects.with_use_count().get(pk=article.pk).use_count == 2
    assert ArticleUse.objects.filter(article=article, used_by=other).count() == 1


def test_only_published_articles_resolve_tickets(clerk, engineer):
    draft = ArticleFactory(author=engineer)
    ticket = in_progress_ticket(clerk, engineer)
    with pytest.raises(ValidationError, match="published"):
        ticket_resolve_with_article(ticket=ticket, article=draft, actor=engineer)
    assert Ticket.objects.get(pk=ticket.pk).state == wf.TicketStatus.IN_PROGRESS


def test_a_refused_resolution_changes_nothing(clerk, engineer, manager, make_user):
    article = published(engineer, manager)
    ticket = in_progress_ticket(clerk, engineer)
    with pytest.raises(PermissionDenied):
        ticket_resolve_with_article(ticket=ticket, article=article, actor=make_user("engineer"))
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.state == wf.TicketStatus.IN_PROGRESS and stored.solution == ""
    assert ticket.solution == ""  # the caller's copy is restored too
    assert not ArticleUse.objects.exists()


# -- the ticket page --------------------------------------------------------------------
def test_ticket_page_shows_suggestions_and_the_buttons(client, clerk, engineer, manager):
    product = ProductFactory()
    article = published(engineer, manager, product=product, title="连接池耗尽的处理")
    ticket = in_progress_ticket(clerk, engineer, product=product)
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    client.force_login(engineer)
    page = client.get(url).content.decode()
    assert 'id="suggested-articles"' in page and article.number in page
    assert "resolve-with-article" in page and "create-article" not in page
    client.force_login(clerk)
    page = client.get(url).content.decode()
    assert "resolve-with-article" not in page


def test_resolve_with_article_dialog(client, clerk, engineer, manager):
    product = ProductFactory()
    article = published(engineer, manager, product=product)
    ticket = in_progress_ticket(clerk, engineer, product=product)
    url = reverse("admin:backoffice_ticket_resolve_with_article_action", args=[ticket.pk])
    client.force_login(engineer)
    dialog = client.get(url).content.decode()
    assert article.number in dialog  # offered as a suggestion
    response = client.post(url, {"_form_submitted": "on", "number": article.number.lower()})
    assert response.headers["HX-Redirect"].endswith(f"/ticket/{ticket.pk}/change/")
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.RESOLVED
    assert ArticleUse.objects.filter(ticket=ticket, article=article).exists()


def test_resolve_with_article_is_refused_to_others(client, clerk, engineer, manager):
    article = published(engineer, manager)
    ticket = in_progress_ticket(clerk, engineer)
    url = reverse("admin:backoffice_ticket_resolve_with_article_action", args=[ticket.pk])
    client.force_login(clerk)
    response = client.post(url, {"_form_submitted": "on", "number": article.number})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).state == wf.TicketStatus.IN_PROGRESS


def test_create_article_dialog_opens_the_new_draft(client, clerk, engineer):
    ticket = resolved_ticket(clerk, engineer)
    url = reverse("admin:backoffice_ticket_create_article_action", args=[ticket.pk])
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert "create-article" in page.content.decode()
    assert ticket.subject in client.get(url).content.decode()  # title prefilled
    response = client.post(url, {"_form_submitted": "on", "title": "连接池耗尽",
                                 "keywords": "连接池"})
    article = Article.objects.get()
    assert response.headers["HX-Redirect"] == reverse("admin:backoffice_article_change",
                                                      args=[article.pk])
    assert article.title == "连接池耗尽" and article.author == engineer
