"""The scheduler (backoffice.platform.schedule, manage.py run_scheduler): the schedule comes
from every domain's tasks module, a job only enqueues (never twice while one waits), one
scheduler runs at a time, and the real process schedules on its own."""

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus

from backoffice.desk import tasks as desk_tasks
from backoffice.desk.models import Ticket
from backoffice.desk.workflows import TicketStatus
from backoffice.knowledge.models import Article
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform import domains, schedule
from backoffice.platform.models import Notification
from tests.factories import TicketFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EXPECTED = {
    "check_deadlines": ("backoffice.desk", "*/5 * * * *"),
    "fetch_mail": ("backoffice.desk", "* * * * *"),
    "check_calendar_data": ("backoffice.desk", "30 6 * * *"),
    "notify_stale_articles": ("backoffice.knowledge", "30 2 * * *"),
    "plan_maintenance_visits": ("backoffice.care", "0 6 * * *"),
    "book_followups": ("backoffice.care", "15 6 * * *"),
    "prune_task_results": ("backoffice.platform", "40 3 * * *"),
}


def run(*args):
    out = StringIO()
    call_command("run_scheduler", *args, stdout=out)
    return out.getvalue()


# -- the schedule ----------------------------------------------------------------------------
def test_the_schedule_gathers_every_domains_jobs():
    assert {job.name: (job.domain, job.when) for job in schedule.schedules()} == EXPECTED


def test_list_prints_every_job_with_its_cron_and_next_run():
    out = run("--list")
    assert "Asia/Shanghai" in out or settings.TIME_ZONE in out
    for name, (_domain, cron) in EXPECTED.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(cron)}\s+next \d{{4}}-\d\d-\d\d \d\d:\d\d",
                         out, re.M), out


def test_domains_are_found_by_name(settings):
    settings.BACKOFFICE_DOMAINS = [d for d in settings.BACKOFFICE_DOMAINS
                                   if d != "backoffice.care"]
    assert {job.domain for job in schedule.schedules()} == {
        "backoffice.platform", "backoffice.desk", "backoffice.knowledge"}


def test_a_task_scheduled_twice_is_refused(monkeypatch):
    twice = SimpleNamespace(SCHEDULE=[("0 1 * * *", desk_tasks.check_deadlines)])
    monkeypatch.setattr(domains, "modules", lambda name: [("a", twice), ("b", twice)])
    with pytest.raises(ImproperlyConfigured, match="scheduled twice: check_deadlines"):
        schedule.schedules()


def test_overrides_change_or_switch_off_a_schedule(settings):
    settings.SCHEDULER_OVERRIDES = {"fetch_mail": "*/10 * * * * *", "check_deadlines": "off"}
    jobs = {job.name: job for job in schedule.schedules()}
    assert "check_deadlines" not in jobs
    assert jobs["fetch_mail"].describe() == "*/10 * * * * *"
    assert "switched off" in run("--list")
    settings.SCHEDULER_OVERRIDES = {"fetch_mial": "off"}
    with pytest.raises(ImproperlyConfigured, match="names no scheduled task: fetch_mial"):
        schedule.schedules()
    settings.SCHEDULER_OVERRIDES = {"fetch_mail": "every minute"}
    with pytest.raises(ImproperlyConfigured, match="Schedule of fetch_mail"):
        schedule.schedules()


def test_crontab_lines_in_the_sites_time_zone():
    tz = schedule.site_timezone()
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=tz)
    # crontab weekdays: 1-5 is Monday to Friday (APScheduler 3 alone would read Tuesday-Saturday)
    fire = schedule.cron_trigger("0 9 * * 1-5").get_next_fire_time(None, saturday)
    assert fire == dt.datetime(2026, 11, 30, 9, 0, tzinfo=tz)
    fire = schedule.cron_trigger("0 9 * * 0").get_next_fire_time(None, saturday)
    assert fire == dt.datetime(2026, 11, 29, 9, 0, tzinfo=tz)
    fire = schedule.cron_trigger("*/5 * * * * *").get_next_fire_time(None, saturday)
    assert fire == saturday
    fire = schedule.cron_trigger({"hour": 2, "minute": 30}).get_next_fire_time(None, saturday)
    assert fire == dt.datetime(2026, 11, 29, 2, 30, tzinfo=tz)


# -- enqueueing -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_once_enqueues_the_task_and_the_worker_runs_it(engineer, manager):
    t = TicketFactory(state=TicketStatus.IN_PROGRESS, assignee=engineer)
    Ticket.objects.filter(pk=t.pk).update(resolution_due=timezone.now() - dt.timedelta(minutes=5))
    out = run("--once", "check_deadlines")  # the tests' immediate backend is the worker
    assert "check_deadlines ran: SUCCESSFUL" in out
    assert set(Notification.objects.filter(event="ticket_breached")
               .values_list("recipient", flat=True)) == {engineer.pk, manager.pk}


@pytest.mark.django_db(transaction=True)  # the worker closes its connections
def test_once_with_the_database_queue_then_db_worker(settings, engineer):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    out = run("--once", "backoffice.desk.tasks.check_deadlines")
    assert "check_deadlines enqueued" in out
    # waiting already: no second one (a stopped worker finds one, not a pile)
    assert "already waiting in the queue: not enqueued again" in run("--once", "check_deadlines")
    assert schedule.enqueue(desk_tasks.check_deadlines) is None
    [result] = DBTaskResult.objects.filter(task_path="backoffice.desk.tasks.check_deadlines")
    assert result.status == TaskResultStatus.READY

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    result.refresh_from_db()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"breached": 0, "due_soon": 0, "rearmed": 0}
    assert schedule.enqueue(desk_tasks.check_deadlines) is not None  # done: due again


@pytest.mark.django_db
def test_the_jobs_run_as_the_commands_did(engineer):
    for name in ["plan_maintenance_visits", "book_followups"]:
        assert f"{name} ran: SUCCESSFUL" in run("--once", name)


@pytest.mark.django_db
def test_once_an_unknown_task_names_the_known_ones():
    with pytest.raises(CommandError, match="No scheduled task 'nope'; scheduled: .*fetch_mail"):
        run("--once", "nope")


@pytest.mark.django_db
def test_stale_articles_are_told_to_their_author_once_per_review(engineer, manager):
    old = timezone.now() - dt.timedelta(days=settings.KNOWLEDGE_STALE_AFTER_DAYS + 10)
    article = Article.objects.create(title="报表导出乱码", problem="导出乱码", solution="改编码",
                                     category="bug", state=ArticleStatus.PUBLISHED,
                                     author=engineer, reviewed_at=old)
    orphan = Article.objects.create(title="无主", problem="p", solution="s", category="bug",
                                    state=ArticleStatus.PUBLISHED, reviewed_at=old)
    Article.objects.create(title="新的", problem="p", solution="s", category="bug",
                           state=ArticleStatus.PUBLISHED, author=engineer,
                           reviewed_at=timezone.now())
    run("--once", "notify_stale_articles")
    run("--once", "notify_stale_articles")
    stale = Notification.objects.filter(event="article_stale")
    assert sorted(stale.values_list("recipient__username", "url")) == [
        ("engineer", f"/admin/backoffice/article/{article.pk}/change/"),
        ("manager", f"/admin/backoffice/article/{orphan.pk}/change/")]  # who publishes
    assert stale.get(recipient=engineer).title == f"{article.number} needs a review: 报表导出乱码"
    # reviewed, then stale again a year later: told again
    Article.objects.filter(pk=article.pk).update(reviewed_at=old + dt.timedelta(days=1))
    run("--once", "notify_stale_articles")
    assert stale.filter(recipient=engineer).count() == 2


@pytest.mark.django_db
def test_old_task_results_are_pruned(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    for _ in range(2):
        desk_tasks.check_deadlines.enqueue()
    old, new = DBTaskResult.objects.all()
    DBTaskResult.objects.filter(pk=old.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - dt.timedelta(days=30))
    assert schedule.prune_task_results.call() == {"deleted": 1}
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [new.pk]


# -- one scheduler at a time ---------------------------------------------------------------------
@pytest.mark.django_db
def test_the_lock_refuses_a_second_scheduler():
    first, second = schedule.scheduler_lock(), schedule.scheduler_lock()
    assert first.acquire()
    try:
        assert first.keep()
        assert not second.acquire()
        with pytest.raises(CommandError, match="Another scheduler is running .*Not started"):
            run("--no-wait")
    finally:
        first.release()
    assert not first.keep()
    assert second.acquire()  # free again: the next one takes it
    second.release()


def test_a_scheduler_that_loses_its_lock_stops():
    lost = threading.Event()
    lock = SimpleNamespace(refresh_seconds=0.1, keep=lambda: False, describe=lambda: "fake")
    scheduler = schedule.build_scheduler([], lock=lock, on_lost=lost.set)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert lost.is_set() and not thread.is_alive()


# -- the real process ------------------------------------------------------------------------------
def _database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_process_enqueues_on_its_own(tmp_path):
    """``manage.py run_scheduler`` with the mail fetch every second: the task shows up in
    the database queue without anyone asking; a second scheduler is refused meanwhile."""
    from django_tasks_db.models import DBTaskResult

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SCHEDULER_", "TASKS_", "DATABASE_URL"))}
    env.update(DATABASE_URL=_database_url(), VAR_DIR=str(tmp_path),
               SCHEDULER_OVERRIDES="fetch_mail=* * * * * *", PYTHONUNBUFFERED="1")
    command = [sys.executable, "manage.py", "run_scheduler"]
    log = open(tmp_path / "scheduler.log", "w+")  # noqa: SIM115 (read after the process ends)
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: DBTaskResult.objects.filter(
            task_path="backoffice.desk.tasks.fetch_mail",
            status=TaskResultStatus.READY).exists(), 90, "the scheduled fetch_mail")
        second = subprocess.run([*command, "--no-wait"], cwd=settings.BASE_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert "Another scheduler is running" in second.stderr
        # one waits in the queue; the next seconds add no more
        assert DBTaskResult.objects.filter(task_path__endswith=".fetch_mail").count() == 1
    finally:
        process.terminate()
        returncode = process.wait(timeout=30)
        log.seek(0)
        output = log.read()
        log.close()
    assert returncode == 0, output
    assert "Scheduler running" in output and "Scheduler stopped." in output
