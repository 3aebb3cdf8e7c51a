"""The knowledge base's scheduled work: telling authors their article became stale.

"Stale" (``Article.is_stale``, the list's filter) is computed when shown; nobody was
told. Each night the authors of published articles that went unreviewed for
KNOWLEDGE_STALE_AFTER_DAYS hear of it, once per article and review: the notification's key
carries the last review, so a review re-arms it. An article without an active author goes
to those who publish (the after-sales manager).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from backoffice.knowledge.models import Article, stale_after
from backoffice.platform.notifications import event, notify, page_of, permission_holders

ARTICLE_STALE = event("article_stale", gettext_lazy("An article of mine needs a review"))


def notify_stale(now=None) -> int:
    """Notify the owners of stale articles not yet told; returns how many were notified."""
    days = stale_after().days
    publishers = None
    told = 0
    articles = (Article.objects.stale(now).select_related("author")
                .only("pk", "number", "title", "reviewed_at", "author__is_active")
                .order_by("pk"))
    for article in articles.iterator(chunk_size=500):
        owner = article.author if article.author and article.author.is_active else None
        if owner is None and publishers is None:
            publishers = list(permission_holders("backoffice.publish_article"))
        since = article.reviewed_at
        # callables: notify writes them in each recipient's language
        values = {"number": article.number, "title": article.title, "days": days,
                  "date": timezone.localtime(since).date().isoformat() if since else ""}

        def title(values=values):
            return _("%(number)s needs a review: %(title)s") % values

        def body(values=values):
            if not values["date"]:
                return _("Never reviewed.")
            return (_("Last reviewed on %(date)s; articles are reviewed every %(days)d days.")
                    % values)

        if notify([owner] if owner else publishers, ARTICLE_STALE.name, title, body=body,
                  url=page_of(article),
                  key=f"article:{article.pk}:stale:{int(since.timestamp()) if since else 0}"):
            told += 1
    return told


@task()
def notify_stale_articles() -> dict:
    return {"notified": notify_stale()}


SCHEDULE = [
    ("30 2 * * *", notify_stale_articles),
]
