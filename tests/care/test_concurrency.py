"""The cron generators may overlap (a slow run and the next one): nothing is doubled."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.care.models import FollowUp, MaintenanceVisit
from backoffice.care.services import followups_generate, maintenance_generate_due_visits
from tests.care.factories import PlanFactory
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(func, n=4):
    barrier, errors = threading.Barrier(n), []

    def run():
        try:
            barrier.wait()
            func()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_parallel_visit_generation_plans_each_visit_once(engineer):
    for _ in range(3):
        PlanFactory(owner=engineer, starts_on=dt.date(2026, 1, 31), lead_days=0)
    errors = in_parallel(lambda: maintenance_generate_due_visits(today=dt.date(2026, 4, 30)))
    assert errors == []
    assert MaintenanceVisit.objects.count() == 3 * 4  # Jan, Feb, Mar, Apr for each plan


def test_parallel_follow_up_generation_books_each_call_once(clerk):
    for _ in range(5):
        TicketFactory(state="closed", closed_at=timezone.now(), recorded_by=clerk)
    errors = in_parallel(followups_generate)
    assert errors == []
    assert FollowUp.objects.count() == 5
