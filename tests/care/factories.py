"""Factories of the customer-care tests."""

import datetime as dt

import factory

from backoffice.care.models import MaintenancePlan, UpdateNotice
from backoffice.care.workflows import MaintenanceCycle
from tests.factories import CustomerFactory, ProductVersionFactory, UserFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenancePlan

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"年度维护{n}")
    cycle = MaintenanceCycle.MONTHLY
    starts_on = dt.date(2026, 1, 31)
    lead_days = 7
    owner = factory.SubFactory(UserFactory)


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UpdateNotice

    new_version = factory.SubFactory(ProductVersionFactory, version="7.0",
                                     released_on=dt.date(2026, 6, 1))
    product = factory.SelfAttribute("new_version.product")
    title = "7.0 升级通知"
    release_notes = "性能提升；修复导出问题"
