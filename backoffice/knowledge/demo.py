"""Demo data for the knowledge base: articles written from solved tickets, reviewed and
published by the manager, one retired and one stale, and tickets resolved with them.

Loaded after the desk's tickets (``manage.py load_demo``); skipped when articles exist.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article
from backoffice.knowledge.selectors import suggested_articles
from backoffice.knowledge.services import article_create_from_ticket, ticket_resolve_with_article
from backoffice.platform.demo import Timeline, at, say
from backoffice.platform.workflow import apply_transition

KEYWORDS = {
    wf.Category.BUG: "报错, 补丁, 升级",
    wf.Category.DATA: "数据修复, 重复, 校验",
    wf.Category.ENVIRONMENT: "服务器, 数据库, 网络, 证书",
    wf.Category.OPERATION: "操作, 培训, 菜单",
    wf.Category.CONSULTATION: "咨询, 配置",
}



@transaction.atomic
def load(users, stdout=None):
    if Article.objects.exists():
        say(stdout, "Knowledge articles already present: skipped.")
        return
    manager = users["manager"]
    solved = (Ticket.objects.filter(state=wf.TicketStatus.CLOSED)
              .exclude(category__in=[wf.Category.COMPLAINT, wf.Category.REQUIREMENT])
              .exclude(solution="").select_related("product").order_by("received_at"))
    seen, made = set(), []
    for ticket in solved:
        key = (ticket.subject, ticket.product_id)
        if key in seen:
            continue
        seen.add(key)
        author = ticket.assignee or users["engineer"]
        if author == manager:
            author = users["engineer"]
        # written the day after the ticket closed, submitted hours later, reviewed next day
        story = Timeline(ticket.closed_at + dt.timedelta(days=1))
        with at(story.moment):
            article = article_create_from_ticket(ticket=ticket, actor=author,
                                                 keywords=KEYWORDS.get(ticket.category, ""))
        made.append((article, author, story))
        if len(made) >= 14:
            break
    for i, (article, author, story) in enumerate(made):
        if i == len(made) - 1:
            continue  # one draft still being written
        with story.after(180, wall=True):
            apply_transition(article, "submit", actor=author)
        if i in (len(made) - 2, len(made) - 3):
            continue  # two waiting for the manager's review
        with story.after(24 * 60, wall=True):
            apply_transition(article, "publish", actor=manager, note="内容准确，同意发布")
    published = [(a, story) for a, _author, story in made if a.state == "published"]
    if len(published) >= 2:
        retired, story = published[-1]
        with story.after(7 * 24 * 60, wall=True):
            apply_transition(retired, "retire", actor=manager, note="该版本已停止维护")
        stale = published[0][0]
        stale.reviewed_at = timezone.now() - dt.timedelta(days=500)
        stale.save()
    uses = 0
    for ticket in Ticket.objects.filter(state=wf.TicketStatus.IN_PROGRESS).order_by("pk"):
        article = next(iter(suggested_articles(ticket, limit=1)), None)
        if article is None or ticket.assignee is None:
            continue
        # resolved with the article some hours after the ticket's last step
        last = max([e.created_at for e in ticket.events.all()] + [article.updated_at])
        with at(last + dt.timedelta(hours=3)):
            ticket_resolve_with_article(ticket=ticket, article=article, actor=ticket.assignee)
        uses += 1
        if uses >= 4:
            break
    say(stdout, f"  {len(made)} knowledge articles, {uses} tickets resolved with one")
