"""The knowledge base's workflow: article states, who may move them, and conditions.

Engineers write articles; only the after-sales manager publishes them, and never their
own (four-eyes rule), so every published article was read by a second person.
Never imports models (STYLE.md).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.desk.workflows import _perm  # the desk's one permission rule
from backoffice.platform.workflow import condition


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")




def can_write(article, user):
    """Engineers (and managers) write, submit and revise articles."""
    return _perm(user, "write_article")


def can_review(article, user):
    """The after-sales manager sends back, retires and re-confirms articles."""
    return _perm(user, "publish_article")


def can_publish(article, user):
    """Four-eyes rule: a manager never publishes an article they wrote."""
    return can_review(article, user) and article.author_id != user.pk


@condition(_("the title, the problem and the solution must be filled in"))
def is_complete(article):
    return all((getattr(article, name) or "").strip() for name in ("title", "problem", "solution"))
