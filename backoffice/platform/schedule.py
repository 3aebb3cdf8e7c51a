"""The site's clock: which background task runs when, and the one process that enqueues them.

Every domain's ``tasks`` module may declare ``SCHEDULE = [(when, task), ...]``: *when* is a
crontab line (``"*/5 * * * *"``: minute, hour, day, month, weekday; six fields put the
seconds first) or the keyword arguments of APScheduler's ``CronTrigger``
(``{"hour": 2, "minute": 30}``), in the site's time zone (``settings.TIME_ZONE``); *task*
is a django-tasks task. The platform gathers them by name (``domains.modules("tasks")``),
so it imports no domain.

``manage.py run_scheduler`` runs an APScheduler ``BlockingScheduler`` whose jobs only
*enqueue*: the work runs in the worker (``manage.py db_worker``), so the scheduler is tiny,
and both can run on any machine that reaches the database. Two rules keep it sane:

- **one scheduler at a time** (:func:`scheduler_lock`): on PostgreSQL a session advisory
  lock on a connection of its own, held while the process lives (a killed scheduler's
  lock goes with its connection); elsewhere a key added to the cache with a time to live
  the scheduler keeps refreshing. A second scheduler waits to take over, or exits;
- **no pile-up** (:func:`enqueue`): a task still waiting in the database queue (a READY
  ``DBTaskResult`` of the same task) is not enqueued again, so a stopped worker finds one
  of each waiting, not a day's worth.

``settings.SCHEDULER_OVERRIDES`` (``{"fetch_mail": "*/10 * * * *", "check_deadlines":
"off"}``, from the environment) changes or switches off a schedule without a release.
"""

import hashlib
import logging
import os
import re
import socket
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connections
from django.db.utils import load_backend
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from backoffice.platform import domains

log = logging.getLogger(__name__)

FIELDS = ("minute", "hour", "day", "month", "day_of_week")
#: crontab counts weekdays from Sunday (0 and 7); APScheduler 3 from Monday: use names
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFF = "off"


# -- what runs when -------------------------------------------------------------------------
def site_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def cron_trigger(when, tz=None):
    """An APScheduler ``CronTrigger`` from a crontab line or CronTrigger keyword arguments."""
    from apscheduler.triggers.cron import CronTrigger

    tz = tz or site_timezone()
    if isinstance(when, dict):
        return CronTrigger(timezone=tz, **when)
    parts = str(when).split()
    if len(parts) not in (5, 6):
        raise ValueError(f"a crontab line has 5 fields (6 with seconds first), not {len(parts)}")
    fields = dict(zip(("second", *FIELDS) if len(parts) == 6 else FIELDS, parts, strict=True))
    fields["day_of_week"] = _weekday_names(fields["day_of_week"])
    return CronTrigger(timezone=tz, **fields)


def _weekday_names(field: str) -> str:
    """Crontab weekday numbers as names: APScheduler 3 reads 0 as Monday, crontab as Sunday
    (``1-5`` -> ``mon-fri``; ``0-6`` -> ``sun,mon-sat``, Sunday being last for APScheduler)."""
    def name(number: str) -> str:
        return WEEKDAYS[int(number)] if int(number) <= 7 else number

    out = []
    for token in field.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?(/\d+)?", token)
        if not match:
            out.append(token)  # "*", "*/2", names
            continue
        start, end, step = match.groups()
        if end is None:
            out.append(name(start) + (step or ""))
        elif int(start) == 0 and int(end) > 0 and not step:
            out += ["sun", f"mon-{name(end)}" if int(end) > 1 else "mon"]
        else:
            out.append(f"{name(start)}-{name(end)}{step or ''}")
    return ",".join(out)


@dataclass(frozen=True)
class Job:
    """One scheduled task: where it was declared, the task, and when it runs."""

    domain: str
    task: object
    when: object

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def path(self) -> str:
        return self.task.module_path

    @property
    def enabled(self) -> bool:
        return not (isinstance(self.when, str) and self.when.strip().lower() == OFF)

    def trigger(self, tz=None):
        return cron_trigger(self.when, tz)

    def describe(self) -> str:
        if isinstance(self.when, dict):
            return " ".join(f"{key}={value}" for key, value in self.when.items())
        return str(self.when)

    def next_run(self, now=None):
        if not self.enabled:
            return None
        now = now or timezone.now()
        return self.trigger().get_next_fire_time(None, now.astimezone(site_timezone()))


def schedules(*, include_disabled: bool = False) -> list[Job]:
    """Every scheduled task of the platform and of the domains (in settings order), with
    ``SCHEDULER_OVERRIDES`` applied. A task scheduled twice, an override naming no task,
    or a schedule that does not parse is a configuration error, raised here."""
    overrides = dict(getattr(settings, "SCHEDULER_OVERRIDES", {}) or {})
    declared = []
    for domain, module in [("backoffice.platform", sys.modules[__name__]),
                           *domains.modules("tasks")]:
        for when, scheduled in getattr(module, "SCHEDULE", ()):
            declared.append(Job(domain, scheduled, when))
    twice = [name for name, n in Counter(job.name for job in declared).items() if n > 1]
    if twice:
        raise ImproperlyConfigured(f"Tasks scheduled twice: {', '.join(sorted(twice))}")
    unknown = overrides.keys() - {job.name for job in declared}
    if unknown:
        raise ImproperlyConfigured(
            f"SCHEDULER_OVERRIDES names no scheduled task: {', '.join(sorted(unknown))} "
            f"(scheduled: {', '.join(job.name for job in declared)})")
    jobs = []
    for job in declared:
        job = replace(job, when=overrides.get(job.name, job.when))
        if job.enabled:
            try:
                job.trigger()
            except (TypeError, ValueError) as exc:
                raise ImproperlyConfigured(
                    f"Schedule of {job.name} ({job.describe()!r}): {exc}") from exc
        if job.enabled or include_disabled:
            jobs.append(job)
    return jobs


def find(name: str, jobs=None) -> Job:
    """A scheduled task by its name (``check_deadlines``) or its dotted path."""
    jobs = schedules(include_disabled=True) if jobs is None else jobs
    for job in jobs:
        if name in (job.name, job.path):
            return job
    raise LookupError(f"No scheduled task {name!r}; scheduled: "
                      f"{', '.join(job.name for job in jobs)}")


# -- enqueueing --------------------------------------------------------------------------------
def waiting(scheduled) -> bool:
    """Whether the task already waits in the database queue (not for other backends: the
    immediate backend of the tests runs it at once, nothing ever waits)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = scheduled.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY,
                                       task_path=scheduled.module_path,
                                       backend_name=backend.alias).exists()


def enqueue(scheduled):
    """Enqueue the task unless it is already waiting; the TaskResult, or None if skipped."""
    if waiting(scheduled):
        return None
    return scheduled.enqueue()


def run_job(job: Job):
    """What the scheduler does at a job's time (in one of its threads): enqueue, never raise."""
    close_old_connections()
    try:
        result = enqueue(job.task)
        if result is None:
            log.info("%s is still waiting in the queue: not enqueued again", job.name)
        else:
            log.info("enqueued %s (%s)", job.name, result.id)
    except Exception:
        log.exception("could not enqueue %s", job.name)
    finally:
        close_old_connections()


def build_scheduler(jobs, *, lock=None, on_lost=None):
    """The APScheduler: one cron job per schedule in the site's time zone, plus (with a lock)
    the job that keeps the lock and stops everything when it is lost. A job missed by more
    than a minute (machine asleep, scheduler down) is skipped, not run late: every
    scheduled task catches up on its own next time."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    tz = site_timezone()
    scheduler = BlockingScheduler(
        timezone=tz, executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    for job in jobs:
        scheduler.add_job(run_job, job.trigger(tz), args=[job], id=job.name, name=job.name)
    if lock is not None:
        scheduler.add_job(_keep_lock, "interval", seconds=lock.refresh_seconds,
                          args=[scheduler, lock, on_lost], id="scheduler-lock",
                          name="keep the scheduler lock")
    return scheduler


def _keep_lock(scheduler, lock, on_lost):
    if lock.keep():
        return
    log.error("lost the scheduler lock %s: stopping", lock.describe())
    if on_lost is not None:
        on_lost()
    if scheduler.running:
        scheduler.shutdown(wait=False)


# -- one scheduler at a time -----------------------------------------------------------------
def _whoami() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


class AdvisoryLock:
    """PostgreSQL: a session-level advisory lock on a connection of its own (never one a
    job uses, so no transaction or pooling can drop it), held while the process lives."""

    def __init__(self, name: str, alias: str = "default"):
        self.name = name
        self.alias = alias
        # a signed 64-bit key from the name; the lock is per database
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        self.connection = None
        self.refresh_seconds = 30

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.name!r}"

    def _connect(self):
        base = connections[self.alias].settings_dict
        options = {**base.get("OPTIONS", {}),
                   "application_name": f"backoffice scheduler {_whoami()}"[:63]}
        connection = load_backend(base["ENGINE"]).DatabaseWrapper({**base, "OPTIONS": options},
                                                                   self.alias)
        connection.inc_thread_sharing()  # checked from the scheduler's threads
        return connection

    def acquire(self) -> bool:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
                got = cursor.fetchone()[0]
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self.connection = connection
        return True

    def _where(self):
        # pg_locks shows a bigint key as two 32-bit halves (classid, objid), objsubid 1
        return ("locktype = 'advisory' AND granted AND objsubid = 1 "
                "AND classid::bigint = %s AND objid::bigint = %s",
                [(self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF])

    def keep(self) -> bool:
        if self.connection is None:
            return False
        where, params = self._where()
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM pg_locks WHERE {where} "
                               "AND pid = pg_backend_pid()", params)
                return cursor.fetchone()[0] > 0
        except DatabaseError:
            return False

    def holder(self) -> str:
        where, params = self._where()
        with connections[self.alias].cursor() as cursor:
            cursor.execute("SELECT a.application_name, a.client_addr, a.backend_start "
                           "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                           f"WHERE {where.replace('locktype', 'l.locktype')}", params)
            row = cursor.fetchone()
        if row is None:
            return ""
        name, address, since = row
        return f"{name or 'a session'} from {address or 'this machine'} since {since:%Y-%m-%d %H:%M}"

    def release(self):
        if self.connection is None:
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        except DatabaseError:
            pass  # the connection is gone, and the lock with it
        finally:
            self.connection.close()
            self.connection = None


class CacheLock:
    """Other databases (SQLite: one machine): a cache key added only if absent, with a time
    to live the scheduler refreshes; a scheduler that died frees it when the TTL runs out.
    Only as shared as the cache: the file cache is one machine's, Redis is everyone's."""

    def __init__(self, name: str, ttl: int):
        self.name = name
        self.key = f"scheduler-lock:{name}"
        self.ttl = max(3, int(ttl))
        self.refresh_seconds = max(1, self.ttl // 3)
        self.token = f"{_whoami()} since {timezone.localtime():%Y-%m-%d %H:%M:%S}"

    def describe(self) -> str:
        return f"cache lock {self.name!r} (time to live {self.ttl} s)"

    def acquire(self) -> bool:
        return cache.add(self.key, self.token, self.ttl)

    def keep(self) -> bool:
        if cache.get(self.key) != self.token:
            return False
        cache.set(self.key, self.token, self.ttl)
        return True

    def holder(self) -> str:
        return cache.get(self.key) or ""

    def release(self):
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def scheduler_lock(alias: str = "default"):
    """The lock that lets one scheduler run: by the database's kind."""
    name = getattr(settings, "SCHEDULER_LOCK", "backoffice-scheduler")
    if connections[alias].vendor == "postgresql":
        return AdvisoryLock(name, alias)
    return CacheLock(name, getattr(settings, "SCHEDULER_LOCK_TTL", 60))


# -- the platform's own schedule -----------------------------------------------------------------
@task()
def prune_task_results() -> dict:
    """Finished task results older than TASK_RESULTS_KEEP_DAYS are deleted: the scheduler
    adds some 1,800 a day, and nothing reads old ones."""
    from django_tasks_db.models import DBTaskResult

    days = getattr(settings, "TASK_RESULTS_KEEP_DAYS", 14)
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff).delete()
    return {"deleted": deleted}


SCHEDULE = [
    ("40 3 * * *", prune_task_results),
]
