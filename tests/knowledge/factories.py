"""Factories and helpers of the knowledge-base tests."""

import factory

from backoffice.desk import workflows as wf
from backoffice.knowledge.models import Article
from backoffice.platform.workflow import apply_transition
from tests.factories import ProductFactory


class ArticleFactory(factory.django.DjangoModelFactory):
    """A draft article; pass ``state=...`` to start elsewhere (set before the first save)."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"知识文章{n}")
    problem = "客户反映系统报错"
    cause = "配置错误"
    solution = "修改配置后重启服务"
    category = wf.Category.BUG
    product = factory.SubFactory(ProductFactory)


def published(author, manager, **kwargs):
    """An article written by ``author`` and published by ``manager`` through the workflow."""
    article = ArticleFactory(author=author, **kwargs)
    apply_transition(article, "submit", actor=author)
    apply_transition(article, "publish", actor=manager)
    article.refresh_from_db()
    return article


def in_progress_ticket(clerk, engineer, **kwargs):
    """A ticket assigned to ``engineer`` and started."""
    from tests.factories import TicketFactory

    ticket = TicketFactory(**kwargs)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    ticket.refresh_from_db()
    return ticket


def resolved_ticket(clerk, engineer, **kwargs):
    ticket = in_progress_ticket(clerk, engineer, **kwargs)
    ticket.diagnosis = ticket.diagnosis or "日志显示数据库连接池耗尽"
    ticket.process = ticket.process or "远程调整连接池参数并观察一小时"
    ticket.solution = ticket.solution or "将连接池上限从 50 调整为 200"
    ticket.save()
    apply_transition(ticket, "resolve", actor=engineer)
    ticket.refresh_from_db()
    return ticket
