"""factory-boy factories of the training app.

Documents start in their initial state; pass ``state=...`` to start elsewhere (it is
set before the first save, where the protected field still accepts it).
"""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories import ContactFactory, CustomerFactory, UserFactory
from training import workflows as wf
from training.models import (
    Appraisal,
    AppraisalPeriod,
    SessionAttendee,
    TrainingNeed,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)


class TrainingNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingNeed

    topic = factory.Sequence(lambda n: f"培训需求{n}")
    requester_kind = wf.RequesterKind.CUSTOMER
    customer = factory.SubFactory(CustomerFactory)
    source = wf.NeedSource.SURVEY


class TrainingPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingPlan

    year = 2026
    title = factory.Sequence(lambda n: f"2026年度培训计划{n}")
    goals = "提升客户自助解决率与工程师技能"


class TrainingPlanItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingPlanItem

    plan = factory.SubFactory(TrainingPlanFactory)
    title = factory.Sequence(lambda n: f"课程{n}")
    content = "系统操作与常见问题"
    planned_start = dt.date(2026, 3, 1)
    planned_end = dt.date(2026, 3, 31)
    trainer_kind = wf.TrainerKind.EXTERNAL
    external_trainer = "外聘讲师"
    budget_estimate = Decimal("1000.00")


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    plan_item = factory.SubFactory(TrainingPlanItemFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=3))
    place = "公司培训室"


class StaffAttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionAttendee

    session = factory.SubFactory(TrainingSessionFactory)
    staff = factory.SubFactory(UserFactory)


class ContactAttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionAttendee

    session = factory.SubFactory(TrainingSessionFactory)
    contact = factory.SubFactory(ContactFactory)


class AppraisalPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppraisalPeriod
        django_get_or_create = ("month",)

    month = dt.date(2026, 3, 1)


class AppraisalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appraisal

    period = factory.SubFactory(AppraisalPeriodFactory)
    employee = factory.SubFactory(UserFactory)
    computed_at = factory.LazyFunction(timezone.now)
    tickets_received = 10
    tickets_resolved = 9
    resolution_rate = Decimal("90.00")
    satisfaction_mean = Decimal("4.50")
