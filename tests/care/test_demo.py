"""The demo data of the knowledge base and customer care loads, and loads only once."""

import pytest

from backoffice.care import demo as care_demo
from backoffice.care.models import (
    FollowUp,
    MaintenancePlan,
    MaintenanceVisit,
    UpdateNotice,
    UpdateRecipient,
)
from backoffice.desk import demo as desk_demo
from backoffice.knowledge import demo as knowledge_demo
from backoffice.knowledge.models import Article, ArticleUse
from backoffice.platform.demo import ensure_users

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count()
            for model in (Article, ArticleUse, FollowUp, MaintenancePlan, MaintenanceVisit,
                          UpdateNotice, UpdateRecipient)}


def load_desk_demos(ticket_count):
    """The desk, knowledge and care demos in load_demo's order."""
    users = ensure_users()
    desk_demo.load(users, ticket_count=ticket_count)
    knowledge_demo.load(users)
    care_demo.load(users)


def test_demo_loads_once():
    load_desk_demos(ticket_count=80)
    first = counts()
    assert first["Article"] > 3 and first["MaintenancePlan"] > 0
    assert first["MaintenanceVisit"] > 0 and first["UpdateNotice"] == 1
    assert first["UpdateRecipient"] > 0 and first["FollowUp"] > 0
    assert Article.objects.filter(state="published").exists()
    load_desk_demos(ticket_count=80)
    assert counts() == first
