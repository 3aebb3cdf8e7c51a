"""Nothing leaked: a record's history pages show it only to whom its list shows it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.billing.factories import ExpenseClaimFactory, ExpenseLineFactory

pytestmark = pytest.mark.django_db


def _pages(obj):
    """The history list and the page of its latest historical version."""
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
    version = obj.history.latest().history_id
    return [reverse(f"{name}_history", args=[obj.pk]),
            reverse(f"{name}_simple_history", args=[obj.pk, version])]


def test_item6_history_pages_obey_row_visibility(client, make_user, engineer, manager,
                                                 superuser):
    colleague = make_user("engineer", "colleague")
    theirs = ExpenseClaimFactory(claimant=colleague, title="同事的差旅费报销")
    their_line = ExpenseLineFactory(claim=theirs, description="同事的高铁票",
                                    amount=Decimal("987.65"))
    mine = ExpenseClaimFactory(claimant=engineer, title="我的差旅费报销")
    my_line = ExpenseLineFactory(claim=mine, description="我的高铁票")

    client.force_login(engineer)
    changelist = client.get(reverse("admin:billing_expenseclaim_changelist"))
    assert [c.pk for c in changelist.context["cl"].result_list] == [mine.pk]
    for url in _pages(theirs) + _pages(their_line):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        body = response.content.decode()
        assert "同事的" not in body and "987.65" not in body, url
    for url in _pages(mine) + _pages(my_line):  # their own: as before
        assert client.get(url).status_code == 200, url

    for user in (manager, superuser):  # whoever sees everyone's claims sees their history
        client.force_login(user)
        for url in _pages(theirs) + _pages(their_line):
            response = client.get(url)
            assert response.status_code == 200, (user, url)
        assert "同事的差旅费报销" in client.get(_pages(theirs)[0]).content.decode()
