"""Template tags of the admin pages: ``person`` (how a user is named) and a date
hierarchy that stays fast on a million rows.

``{{ user|person }}`` names a user as everywhere else (platform.people): "李工" in
Chinese, "工 李" in English (first name, then last name), the username when they have no
name.

The date hierarchy:

Django's computes the first and last date of the *filtered* list, then a DISTINCT of
years or months over it: with a filter the planner may walk the whole table. This one
takes the year/month range of the whole table from MIN/MAX (two index probes) and only
asks the rows for the days of one chosen month.
"""

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from backoffice.platform import people

register = template.Library()


@register.filter
def person(user) -> str:
    """``{{ ticket.assignee|person }}``: the user's display name ("" for none)."""
    return people.display_name(user)


def fast_date_hierarchy(cl):
    field_name = cl.date_hierarchy
    year_lookup = cl.params.get(f"{field_name}__year")
    month_lookup = cl.params.get(f"{field_name}__month")
    if year_lookup and month_lookup:
        return date_hierarchy(cl)  # days of one month: a bounded query on the rows

    def link(filters):
        return cl.get_query_string(filters, [f"{field_name}__"])

    bounds = cl.model._default_manager.aggregate(first=models.Min(field_name),
                                                 last=models.Max(field_name))
    if not bounds["first"]:
        return {"show": False}
    first, last = (timezone.localtime(v) if isinstance(v, datetime.datetime)
                   and timezone.is_aware(v) else v for v in (bounds["first"], bounds["last"]))
    year_field, month_field = f"{field_name}__year", f"{field_name}__month"
    if year_lookup:
        year = int(year_lookup)
        start = first.month if year == first.year else 1
        end = last.month if year == last.year else 12
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [{"link": link({year_field: year, month_field: month}),
                         "title": capfirst(formats.date_format(datetime.date(year, month, 1),
                                                               "YEAR_MONTH_FORMAT"))}
                        for month in range(start, end + 1)],
        }
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({year_field: str(year)}), "title": str(year)}
                    for year in range(first.year, last.year + 1)],
    }


@register.tag(name="fast_date_hierarchy")
def fast_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(parser, token, func=fast_date_hierarchy,
                              template_name="date_hierarchy.html", takes_context=False)
