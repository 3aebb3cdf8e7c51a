"""Several lists of one record in one query: each as its own query would give it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.platform.together import read_together
from billing.models import CostRate

pytestmark = pytest.mark.django_db


def test_each_list_as_its_own_query_gives_it(make_user):
    from django.contrib.auth.models import Group

    make_user("clerk", "张三", first_name="三", last_name="张")
    make_user("engineer", "li")
    CostRate.objects.create(role="engineer", hourly_rate=Decimal("100.50"),
                            valid_from=dt.date(2020, 1, 1))
    CostRate.objects.create(role="engineer", hourly_rate=Decimal("120.00"),
                            valid_from=dt.date(2025, 1, 1))
    lists = {
        "rates": CostRate.objects.values("pk", "role", "hourly_rate", "valid_from")
        .order_by("-valid_from"),
        "groups": Group.objects.filter(name__contains="Support").values("name", "pk"),
        "members": Group.objects.values("pk", "user__username", "user__date_joined")
        .filter(user__isnull=False).order_by("user__username", "pk"),
        "none": Group.objects.filter(pk=0).values("pk"),
    }
    expected = {name: list(queryset) for name, queryset in lists.items()}
    with CaptureQueriesContext(connection) as ctx:
        found = read_together(**lists)
    assert len(ctx.captured_queries) == 1
    assert found == expected
    assert found["rates"][0]["hourly_rate"] == Decimal("120.00")
    assert isinstance(found["members"][0]["user__date_joined"], dt.datetime)


def test_what_cannot_be_read_together_is_refused():
    from django.contrib.auth.models import Group
    from django.db.models import Count

    with pytest.raises(ValueError):
        read_together(a=Group.objects.values("pk"),
                      b=Group.objects.values("name").annotate(n=Count("user")))
    with pytest.raises(ValueError):
        read_together(a=Group.objects.values("pk"), b=Group.objects.values("pk")[:3])
    with pytest.raises(ValueError):
        read_together(a=Group.objects.values("pk").order_by("name"),
                      b=Group.objects.values("pk"))
