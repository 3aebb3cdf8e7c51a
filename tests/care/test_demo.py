"""The demo data of the knowledge base and customer care loads, and loads only once."""

import pytest

from backoffice import demo
from backoffice.models import (
    Article,
    ArticleUse,
    FollowUp,
    MaintenancePlan,
    MaintenanceVisit,
    UpdateNotice,
    UpdateRecipient,
)

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count()
            for model in (Article, ArticleUse, FollowUp, MaintenancePlan, MaintenanceVisit,
                          UpdateNotice, UpdateRecipient)}


def test_demo_loads_once():
    demo.load(ticket_count=80)
    first = counts()
    assert first["Article"] > 3 and first["MaintenancePlan"] > 0
    assert first["MaintenanceVisit"] > 0 and first["UpdateNotice"] == 1
    assert first["UpdateRecipient"] > 0 and first["FollowUp"] > 0
    assert Article.objects.filter(state="published").exists()
    demo.load(ticket_count=80)
    assert counts() == first
