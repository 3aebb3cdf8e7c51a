"""Writes of the knowledge base that span articles and tickets.

Article state changes themselves go through ``apply_transition`` (the admin buttons do
that); these services are the cross-model operations around them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article, ArticleUse
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.workflow import apply_transition

#: a ticket in one of these states has a service record worth turning into an article
SOLVED_STATES = {wf.TicketStatus.RESOLVED, wf.TicketStatus.CONFIRMED, wf.TicketStatus.CLOSED}


def can_create_article(ticket, user) -> bool:
    return (ticket.state in SOLVED_STATES and user.is_active
            and user.has_perm("backoffice.add_article")
            and user.has_perm("backoffice.write_article"))


@transaction.atomic
def article_create_from_ticket(*, ticket: Ticket, actor, title: str = "", keywords: str = ""):
    """A draft article prefilled from the ticket's service record; the ticket is its source.

    Refused while another article from the same ticket is still being written, so two
    engineers do not write the same article twice.
    """
    if not can_create_article(ticket, actor):
        if ticket.state not in SOLVED_STATES:
            raise ValidationError(_("Only a resolved ticket can become an article."))
        raise PermissionDenied(_("You are not allowed to write knowledge articles."))
    pending = ticket.source_articles.filter(
        state__in=[ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW]).first()
    if pending is not None:
        raise ValidationError(_("Article %(number)s is already being written from this ticket.")
                              % {"number": pending.number})
    solution = ticket.solution.strip()
    if ticket.process.strip():
        solution = f"{solution}\n\n{_('Steps taken')}:\n{ticket.process.strip()}".strip()
    article = Article(
        title=(title or ticket.subject)[:200],
        problem=ticket.description.strip() or ticket.subject,
        cause=ticket.diagnosis.strip(),
        solution=solution,
        product_id=ticket.product_id,
        category=ticket.category,
        keywords=keywords,
        author=actor,
    )
    article._history_user = actor
    article._change_reason = f"from ticket {ticket.number}"
    article.save()
    article.source_tickets.add(ticket)
    if ticket.product_version_id:
        article.versions.add(ticket.product_version_id)
    return article


def can_resolve_with_article(ticket, user) -> bool:
    """The ticket could be resolved by ``user`` now, once it has a solution (the article
    brings it): the state allows "resolve" and the user holds its permission."""
    meta = ticket.resolve._django_fsm
    state = meta.field.get_state(ticket)
    return bool(meta.has_transition(state) and meta.has_transition_perm(ticket, state, user))


@transaction.atomic
def ticket_resolve_with_article(*, ticket: Ticket, article: Article, actor, note: str = ""):
    """Resolve ``ticket`` with a published article: its solution becomes the ticket's
    solution (appended to what the engineer wrote), and the article's use is counted."""
    if article.state != ArticleStatus.PUBLISHED:
        raise ValidationError(_("Only a published article can resolve a ticket."))
    reference = _("See knowledge base article %(number)s") % {"number": article.number}
    addition = f"{article.solution.strip()}\n（{reference}）"
    written = ticket.solution
    ticket.solution = f"{written.strip()}\n\n{addition}" if written.strip() else addition
    try:
        apply_transition(ticket, "resolve", actor=actor,
                         note=note or _("Resolved with %(number)s") % {"number": article.number})
    except Exception:
        ticket.solution = written  # the caller's copy stays what the database holds
        raise
    ArticleUse.objects.get_or_create(article=article, ticket=ticket,
                                     defaults={"used_by": actor})
    return ticket
