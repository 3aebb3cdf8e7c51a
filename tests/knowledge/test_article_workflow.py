"""The article's state machine: only the after-sales manager publishes, never their own."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from backoffice.knowledge.models import Article
from backoffice.knowledge.workflows import ArticleStatus as S
from backoffice.platform.workflow import apply_transition, available_transitions
from tests.knowledge.factories import ArticleFactory, published

pytestmark = pytest.mark.django_db


def run(article, name, actor, **kw):
    apply_transition(article, name, actor=actor, **kw)
    article.refresh_from_db()
    return article


def test_written_reviewed_published(engineer, manager):
    article = ArticleFactory(author=engineer)
    assert article.state == S.DRAFT and article.number.startswith("KB")
    run(article, "submit", engineer)
    assert article.state == S.IN_REVIEW
    run(article, "publish", manager, note="内容准确")
    assert article.state == S.PUBLISHED
    assert article.reviewed_by == manager and article.reviewed_at is not None
    assert article.published_at == article.reviewed_at
    journal = list(article.events.order_by("created_at", "id")
                   .values_list("action", "source", "target", "actor__username"))
    assert journal == [("submit", "draft", "in_review", "engineer"),
                       ("publish", "in_review", "published", "manager")]
    assert article.history.first().history_user == manager


def test_only_the_manager_publishes(engineer, clerk, manager):
    article = run(ArticleFactory(author=engineer), "submit", engineer)
    for outsider in (engineer, clerk):
        assert "publish" not in available_transitions(article, outsider)
        with pytest.raises(PermissionDenied):
            apply_transition(article, "publish", actor=outsider)
    article.refresh_from_db()
    assert article.state == S.IN_REVIEW and article.events.count() == 1


def test_a_manager_never_publishes_their_own_article(manager, make_user):
    article = run(ArticleFactory(author=manager), "submit", manager)
    assert "publish" not in available_transitions(article, manager)
    with pytest.raises(PermissionDenied):
        apply_transition(article, "publish", actor=manager)
    run(article, "publish", make_user("manager", "manager2"))
    assert article.state == S.PUBLISHED


def test_clerk_cannot_write_articles(clerk):
    article = ArticleFactory(author=clerk)
    with pytest.raises(PermissionDenied):
        apply_transition(article, "submit", actor=clerk)


def test_an_incomplete_article_cannot_be_submitted(engineer):
    article = ArticleFactory(author=engineer, solution=" ")
    with pytest.raises(ValidationError, match="solution"):
        apply_transition(article, "submit", actor=engineer)
    assert Article.objects.get(pk=article.pk).state == S.DRAFT


def test_publish_from_draft_is_refused(engineer, manager):
    article = ArticleFactory(author=engineer)
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(article, "publish", actor=manager)


def test_reviewer_sends_it_back_to_the_author(engineer, manager):
    article = run(ArticleFactory(author=engineer), "submit", engineer)
    run(article, "send_back", manager, note="原因分析不够具体")
    assert article.state == S.DRAFT
    assert article.events.first().note == "原因分析不够具体"


def test_revise_retire_and_republish(engineer, manager):
    article = published(engineer, manager)
    first_published = article.published_at
    run(article, "revise", engineer, note="7.0 版本菜单位置变化")
    assert article.state == S.DRAFT
    run(article, "submit", engineer)
    run(article, "publish", manager)
    assert article.published_at == first_published  # first publication is kept
    assert article.reviewed_at > first_published
    with pytest.raises(PermissionDenied):
        apply_transition(article, "retire", actor=engineer, note="x")
    run(article, "retire", manager, note="产品停止维护")
    assert article.state == S.RETIRED and article.retired_at is not None
    run(article, "revise", engineer, note="恢复并更新")
    assert article.state == S.DRAFT


def test_state_field_is_protected(engineer):
    article = ArticleFactory(author=engineer)
    with pytest.raises(AttributeError):
        article.state = S.PUBLISHED


@pytest.mark.django_db
def test_stale_after_the_configured_time(engineer, manager, settings):
    settings.KNOWLEDGE_STALE_AFTER_DAYS = 30
    fresh = published(engineer, manager)
    old = published(engineer, manager)
    Article.objects.filter(pk=old.pk).update(reviewed_at=timezone.now() - dt.timedelta(days=31))
    old.refresh_from_db()
    assert old.is_stale and not fresh.is_stale
    assert list(Article.objects.stale()) == [old]
    settings.KNOWLEDGE_STALE_AFTER_DAYS = 60
    assert not Article.objects.stale().exists()
    settings.KNOWLEDGE_STALE_AFTER_DAYS = 30
    run(old, "confirm_current", manager, note="已在 7.0 验证")
    assert not old.is_stale and old.reviewed_by == manager
    assert not Article.objects.stale().exists()


def test_drafts_and_retired_articles_are_never_stale(engineer, manager, settings):
    settings.KNOWLEDGE_STALE_AFTER_DAYS = 1
    draft = ArticleFactory(author=engineer)
    assert not draft.is_stale
    assert not Article.objects.stale().exists()
