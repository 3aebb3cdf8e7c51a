"""The knowledge base's sidebar entries (model name, icon[, query string, title])."""

from django.utils.translation import gettext_lazy as _

SIDEBAR_ITEMS = [
    ("article", "menu_book", "?state__exact=published", _("Knowledge base")),
    ("article", "rate_review", "?state__exact=in_review", _("Articles in review")),
]
