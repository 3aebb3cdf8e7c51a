"""Reads of the knowledge base: search and suggestions.

Chinese has no spaces between words, so search never relies on word boundaries: each
whitespace-separated term must occur as a substring (``icontains``) of the title, problem,
solution or keywords. On PostgreSQL, trigram GIN indexes (migration 0002) serve those
``UPPER(col) LIKE '%term%'`` scans for terms of three characters or more.
"""

import re

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from backoffice.knowledge.models import Article

SEARCH_FIELDS = ("title", "problem", "solution", "keywords")


def search_terms(query: str) -> list[str]:
    return [t for t in re.split(r"[\s,，;；、]+", query or "") if t]


def article_filter(query: str, queryset=None):
    """Articles containing every term of ``query`` (substring match, any case), or whose
    number is the query."""
    qs = Article.objects.all() if queryset is None else queryset
    terms = search_terms(query)
    if not terms:
        return qs
    for term in terms:
        match = Q(number__iexact=term)
        for field in SEARCH_FIELDS:
            match |= Q(**{f"{field}__icontains": term})
        qs = qs.filter(match)
    return qs


def article_search(query: str, *, queryset=None):
    """:func:`article_filter` ranked: title matches first, then the most recently reviewed."""
    terms = search_terms(query)
    if not terms:
        return (Article.objects.all() if queryset is None else queryset).none()
    return (article_filter(query, queryset)
            .annotate(in_title=Case(When(title__icontains=terms[0], then=Value(1)),
                                    default=Value(0), output_field=IntegerField()))
            .order_by("-in_title", "-reviewed_at", "-id"))


def _keywords(article) -> list[str]:
    return [k for k in search_terms(article.keywords) if len(k) >= 2]


def suggested_articles(ticket, limit: int = 5) -> list[Article]:
    """Published articles for the ticket's product and category, most likely first.

    Score: same product and category (30) > same category, article for any product (20)
    > same product (10); each keyword of the article found in the ticket's subject or
    description adds 12 (an error code says more than the product), a matching version 2,
    a non-matching version list costs 5; among equals, the most used, then the most
    recently reviewed win.
    """
    if not ticket.category and not ticket.product_id:
        return []
    match = Q(category=ticket.category, product__isnull=True)
    if ticket.product_id:
        match |= Q(product_id=ticket.product_id)
    base = Case(
        When(product_id=ticket.product_id, category=ticket.category, then=Value(30)),
        When(category=ticket.category, then=Value(20)),
        default=Value(10), output_field=IntegerField())
    candidates = Article.objects.published().filter(match).with_use_count().annotate(
        base_score=base)
    if ticket.product_version_id:  # whether the article names versions, and the ticket's
        versions = Article.versions.through.objects.filter(article_id=OuterRef("pk"))
        candidates = candidates.annotate(
            names_versions=Exists(versions),
            fits_version=Exists(versions.filter(productversion_id=ticket.product_version_id)))
    candidates = list(candidates.select_related("product")
                      .order_by("-base_score", "-use_count", "-reviewed_at")[:limit * 4])
    text = f"{ticket.subject}\n{ticket.description}".upper()
    for article in candidates:
        score = article.base_score + 12 * sum(k.upper() in text for k in _keywords(article))
        if ticket.product_version_id and article.names_versions:
            score += 2 if article.fits_version else -5
        article.score = score
    candidates.sort(key=lambda a: (-a.score, -a.use_count))
    return candidates[:limit]


def ticket_knowledge(ticket, *, articles=True, followups=True) -> dict:
    """The lists of the ticket's knowledge panel, in one query (``platform.together``):
    ``used``, the articles it was resolved with (newest use first); ``written``, those
    written from it; ``followups``, its follow-up calls. Each a list of dicts."""
    from backoffice.care.models import FollowUp
    from backoffice.knowledge.models import ArticleUse
    from backoffice.platform.people import display_name_of
    from backoffice.platform.together import choice_label, read_together

    lists = {}
    if articles:
        lists["used"] = (ArticleUse.objects.filter(ticket=ticket)
                         .values("id", "created_at", "article_id", "article__number",
                                 "article__title").order_by("-created_at", "-id"))
        lists["written"] = (Article.objects.filter(source_tickets=ticket)
                            .values("id", "number", "title", "state", "updated_at")
                            .order_by("-updated_at", "-id"))
    if followups:
        lists["followups"] = (FollowUp.objects.filter(ticket=ticket)
                              .values("id", "number", "state", "due_on", "rating", "remarks",
                                      "assignee__first_name", "assignee__last_name",
                                      "assignee__username").order_by("due_on", "id"))
    rows = read_together(**lists)
    panel = {}
    if articles:
        panel["used"] = [{"article_id": r["article_id"], "article": str(Article(
            number=r["article__number"], title=r["article__title"]))} for r in rows["used"]]
        panel["written"] = [{"pk": r["id"], "number": r["number"], "title": r["title"],
                             "state_label": choice_label(Article, "state", r["state"])}
                            for r in rows["written"]]
    if followups:
        panel["followups"] = [{
            "pk": r["id"], "number": r["number"], "due_on": r["due_on"], "rating": r["rating"],
            "remarks": r["remarks"], "state_label": choice_label(FollowUp, "state", r["state"]),
            "assignee": display_name_of(r["assignee__first_name"], r["assignee__last_name"],
                                        r["assignee__username"])}
            for r in rows["followups"]]
    return panel
