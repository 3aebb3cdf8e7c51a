"""Emergencies and problem records: a plan library and an outage's tickets."""

import pytest

from backoffice.desk import workflows as wf
from backoffice.incidents.models import ContingencyPlan
from backoffice.incidents.workflows import IncidentKind, Severity
from tests.factories import ContactFactory, CustomerFactory, ProductFactory, TicketFactory


@pytest.fixture
def plan(db):
    plan = ContingencyPlan.objects.create(name="系统宕机应急预案", kind=IncidentKind.OUTAGE,
                                          severity=Severity.P1)
    for i, title in enumerate(["确认故障范围", "首次通知客户", "恢复服务", "复盘"], start=1):
        plan.steps.create(position=i, title=title, owner_role="engineer", expected_minutes=30)
    plan.contacts.create(name="研发值班", role="技术支持", phone="138 0000 0002")
    ContingencyPlan.objects.create(name="信息安全事件应急预案", kind=IncidentKind.SECURITY)
    return plan


@pytest.fixture
def product(db):
    return ProductFactory(name="云帆ERP")


def outage_ticket(product, *, email=True, priority=wf.Priority.CRITICAL,
                  category=wf.Category.OUTAGE, **extra):
    customer = CustomerFactory()
    contact = ContactFactory(customer=customer, is_primary=True,
                             email=f"it@{customer.code.lower()}.example.com" if email else "")
    return TicketFactory(customer=customer, contact=contact, product=product,
                         priority=priority, category=category, subject="系统无法登录", **extra)
