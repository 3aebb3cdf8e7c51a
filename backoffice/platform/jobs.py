"""Long imports and exports as background tasks (django-tasks, database backend).

The request stores the upload and enqueues :func:`run_import`; a worker
(``manage.py db_worker``, any number of them, on any machine that reaches the database)
runs it: the whole file is imported in one transaction, all or nothing, exactly as in
the interactive preview, and the job's result is committed in that same transaction.
Live progress goes through Django's cache (file-based by default, so every process on
the machine sees it; Redis when ``REDIS_URL`` is set) - not through the database, whose
import transaction is still open while it runs.

A job does what the page that started it would have done: it imports or exports with
the resource the page chose (``DataJob.resource``), and an export holds exactly the rows
the list shows to the user who asked (the model admin's ``get_queryset`` for them).

A worker that dies (killed, out of memory, machine lost) leaves its job "running", and
no other worker ever picks the task up again. So the worker gives a sign of life while it
runs (:class:`Heartbeat`), and a running job without one for ``JOB_HEARTBEAT_TIMEOUT``
seconds is marked failed (:func:`fail_dead_jobs`, when the job list or a job page is shown
and when a worker starts a job). That is truthful: the rows and the job's "done" are one
transaction, so a job whose worker died wrote nothing.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.files.base import ContentFile
from django.db import DatabaseError, OperationalError, connections, router, transaction
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django_tasks import task
from import_export.resources import Resource

from backoffice.platform.models import DataJob, JobStatus

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500
MAX_STORED_ERRORS = 200


def progress_key(job_id):
    return f"datajob:{job_id}:progress"


def report(job_id, done, total, phase):
    cache.set(progress_key(job_id), {"done": done, "total": total, "phase": phase}, 3600)


def progress(job):
    """{"done", "total", "phase", "percent"} for the job page."""
    if job.finished:
        total = job.total_rows
        return {"done": total, "total": total, "phase": job.status, "percent": 100}
    data = cache.get(progress_key(job.pk)) or {"done": 0, "total": job.total_rows,
                                              "phase": job.status}
    total = data["total"] or 0
    data["percent"] = int(100 * data["done"] / total) if total else 0
    return data


# -- the worker's sign of life ---------------------------------------------------------------
def heartbeat_timeout() -> float:
    return float(settings.JOB_HEARTBEAT_TIMEOUT)


def heartbeat_key(job_id):
    return f"datajob:{job_id}:heartbeat"


class Heartbeat:
    """While the worker runs a job, a thread beside it stamps the job's last sign of life
    every quarter of ``JOB_HEARTBEAT_TIMEOUT``: in every phase, also while one slow step
    (parsing a big workbook, writing an export) reports no progress.

    The import's transaction is open for most of the job, and a stamp written inside it
    would be seen by no one before the commit. So the stamp never goes through the job's
    own connection: the worker stamps ``heartbeat_at`` when it starts the job (before any
    transaction), and the thread, which has a database connection of its own, writes
    ``heartbeat_at`` through it - on PostgreSQL. SQLite has one writer at a time and the
    import holds the write lock from BEGIN to COMMIT, so there a second connection could
    not write until the end; the thread writes the stamp to the cache instead, which every
    process on the machine shares (the SQLite file is on that machine too). The stamp goes
    to the cache on PostgreSQL as well; :func:`last_sign_of_life` takes the newest."""

    def __init__(self, job):
        self.job_id, self.started = job.pk, job.started_at.timestamp()
        self.every = max(0.1, heartbeat_timeout() / 4)
        alias = router.db_for_write(DataJob)
        self.to_database = connections[alias].vendor != "sqlite"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"datajob-{job.pk}-heartbeat")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _run(self):
        try:
            while not self._stop.wait(self.every):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only

    def beat(self):
        now = timezone.now()
        cache.set(heartbeat_key(self.job_id), {"started": self.started, "at": now.timestamp()},
                  int(max(3600, 10 * heartbeat_timeout())))
        if self.to_database:
            try:
                DataJob.objects.filter(pk=self.job_id).update(heartbeat_at=now)
            except DatabaseError:  # the cache still has it; the next beat tries again
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)


def last_sign_of_life(job):
    """When the job's worker was last seen alive (the database's stamp or the cache's)."""
    seen = [t for t in (job.heartbeat_at, job.started_at) if t is not None]
    beat = cache.get(heartbeat_key(job.pk))
    if beat and job.started_at is not None and beat.get("started") == job.started_at.timestamp():
        seen.append(datetime.fromtimestamp(beat["at"], tz=UTC))
    return max(seen, default=job.created_at)


def fail_dead_jobs():
    """Mark failed every running job whose worker gave no sign of life for
    ``JOB_HEARTBEAT_TIMEOUT`` seconds, saying so on its page. Returns how many."""
    now = timezone.now()
    limit = now - timedelta(seconds=heartbeat_timeout())
    suspects = (DataJob.objects.filter(status=JobStatus.RUNNING)
                .annotate(seen=Coalesce("heartbeat_at", "started_at", "created_at"))
                .filter(seen__lt=limit))
    failed = 0
    for job in suspects:
        if last_sign_of_life(job) >= limit:
            continue
        if job.kind == DataJob.Kind.IMPORT:
            message = _("The worker stopped while running this job: it gave no sign of life "
                        "for more than %(seconds)d seconds. The import runs in one "
                        "transaction, so nothing was written; start it again.")
        else:
            message = _("The worker stopped while running this export: it gave no sign of "
                        "life for more than %(seconds)d seconds, so no file was produced; "
                        "start it again.")
        try:
            # only if it is still running and gave no sign of life since it was read
            failed += DataJob.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at,
            ).update(status=JobStatus.FAILED, finished_at=now, updated_at=now,
                     message=message % {"seconds": int(heartbeat_timeout())})
        except OperationalError:  # SQLite: another worker holds the write lock; next time
            log.warning("could not mark job %s failed", job.pk, exc_info=True)
    return failed


# -- what the page chose ---------------------------------------------------------------------
def _model_admin(model_label, admin_site=None):
    from django.contrib import admin

    return (admin_site or admin.site)._registry[apps.get_model(model_label)]


def resource_for(model_label, admin_site=None):
    """The first import/export resource the model's admin declares."""
    return _model_admin(model_label, admin_site).get_resource_classes(request=None)[0]


def resource_path(resource_class) -> str:
    """The dotted path a job records for the resource the page chose ("" for a class made
    on the fly, which cannot be imported by name: the job then makes the same again)."""
    path = f"{resource_class.__module__}.{resource_class.__qualname__}"
    try:
        return path if import_string(path) is resource_class else ""
    except ImportError:
        return ""


def resource_class(job):
    """The resource the page chose when it started the job."""
    if not job.resource:  # a job started before the page recorded its choice
        return resource_for(job.model_label)
    chosen = import_string(job.resource)
    if not (isinstance(chosen, type) and issubclass(chosen, Resource)):
        raise ImproperlyConfigured(f"{job.resource} is no import/export resource")
    return chosen


def request_for(user, model_admin):
    """A stand-in for the request of ``user`` opening the model's list, for the admin code
    that decides what the list shows (``get_queryset`` may read ``request.user``,
    ``request.GET``, ``request.method`` or the path)."""
    opts = model_admin.model._meta
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    request.GET = QueryDict(mutable=False)
    request.user = user
    request.LANGUAGE_CODE = get_language()
    return request


def export_queryset(job, resource):
    """The rows an export of this job holds: those the list shows to the user who asked
    (the model admin's ``get_queryset`` for them), read with the resource's own queryset
    (its joins and annotations)."""
    model_admin = _model_admin(job.model_label)
    request = request_for(job.owner, model_admin)
    if not model_admin.has_export_permission(request):
        raise PermissionDenied(_("You may no longer export these records."))
    visible = model_admin.get_queryset(request).values("pk")
    return resource.get_queryset().filter(pk__in=visible)


def file_formats():
    from backoffice.platform import formats

    return {"csv": formats.CSV, "xlsx": formats.XLSX}


# -- the jobs --------------------------------------------------------------------------------
class JobAbandoned(Exception):
    """The job was marked failed while this worker still ran it (taken for dead)."""


def _begin(job):
    fail_dead_jobs()
    now = timezone.now()
    job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, now, now
    job.save(update_fields=["status", "started_at", "heartbeat_at", "updated_at"])


def _finish(job, **values):
    """Write the job's outcome unless it was given up meanwhile; True if written."""
    now = timezone.now()
    values.update(finished_at=now, updated_at=now)
    if not DataJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(**values):
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


@task()
def run_import(job_id: int, language: str = "zh-hans"):
    job = DataJob.objects.get(pk=job_id)
    with override(language):
        _run_import(job)


def _run_import(job):
    user = job.owner
    _begin(job)
    with Heartbeat(job):
        try:
            data = job.source.open("rb").read()
            dataset = file_formats()[job.file_format]().create_dataset(data)
            total = dataset.height
            job.total_rows = total
            job.save(update_fields=["total_rows"])
            report(job.pk, 0, total, "running")
            resource = resource_class(job)()
            resource.progress_callback = lambda done: report(job.pk, done, total, "running")
            # the rows and the job's outcome are committed together, or neither is
            with transaction.atomic(using=router.db_for_write(DataJob)):
                result = resource.import_data(dataset, dry_run=False, user=user,
                                              file_name=job.original_name)
                if not _finish(job, **_outcome(result)):
                    raise JobAbandoned
        except JobAbandoned:  # rolled back; the job says why it failed
            log.warning("import job %s was given up while it ran: rolled back", job.pk)
        except Exception as exc:  # a refused file or a crash: say so, keep nothing
            log.exception("import job %s failed", job.pk)
            _finish(job, status=JobStatus.FAILED, message=str(exc))
    cache.delete(progress_key(job.pk))


def _outcome(result):
    totals = result.totals
    error_count = len(result.invalid_rows) + len(result.row_errors()) + len(result.base_errors)
    outcome = {"created_rows": totals.get("new", 0), "updated_rows": totals.get("update", 0),
               "skipped_rows": totals.get("skip", 0), "errors": _errors_of(result),
               "error_count": error_count}
    if result.has_errors() or result.has_validation_errors():
        outcome.update(status=JobStatus.REJECTED, created_rows=0, updated_rows=0,
                       skipped_rows=0,
                       message=_("%(count)d row(s) have errors: nothing was imported.")
                       % {"count": error_count})
    else:
        outcome.update(status=JobStatus.DONE,
                       message=_("Imported: %(new)d new, %(update)d updated, %(skip)d "
                                 "unchanged.") % {"new": outcome["created_rows"],
                                                  "update": outcome["updated_rows"],
                                                  "skip": outcome["skipped_rows"]})
    return outcome


def _errors_of(result):
    """Every error, as the import page shows it: the spreadsheet's row number (the
    header is row 1) and the column's label, in the job's language."""
    labels = getattr(result, "column_labels", {})
    errors = []
    for row in result.invalid_rows:
        for field, messages in row.field_specific_errors.items():
            errors.append({"row": row.number, "column": labels.get(field, field),
                           "message": " ".join(messages)})
        for message in row.non_field_specific_errors:
            errors.append({"row": row.number, "column": "", "message": str(message)})
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append({"row": number, "column": "", "message": str(error.error)})
    for error in result.base_errors:
        errors.append({"row": None, "column": "", "message": str(error.error)})
    return errors[:MAX_STORED_ERRORS]


@task()
def run_export(job_id: int, language: str = "zh-hans"):
    job = DataJob.objects.get(pk=job_id)
    with override(language):
        _run_export(job)


def _run_export(job):
    _begin(job)
    with Heartbeat(job):
        try:
            resource = resource_class(job)()
            queryset = export_queryset(job, resource)
            total = queryset.count()
            report(job.pk, 0, total, "running")
            dataset = resource.export(queryset)
            from import_export.formats import base_formats

            fmt = {"csv": base_formats.CSV, "xlsx": base_formats.XLSX}[job.file_format]()
            content = fmt.export_data(dataset)
            if isinstance(content, str):
                content = content.encode("utf-8-sig")
            name = f"{job.model_label.replace('.', '-')}-{timezone.localdate():%Y%m%d}.{job.file_format}"
            job.result_file.save(name, ContentFile(content), save=False)
            if not _finish(job, status=JobStatus.DONE, total_rows=total,
                           result_file=job.result_file.name,
                           message=_("Exported %(count)d rows.") % {"count": total}):
                job.result_file.delete(save=False)  # given up meanwhile: no file
        except Exception as exc:
            log.exception("export job %s failed", job.pk)
            _finish(job, status=JobStatus.FAILED, message=str(exc))


def start_import(*, user, model_label, upload, file_format, language, resource_class=None):
    """``resource_class``: the resource the page chose (default: the admin's first)."""
    job = DataJob.objects.create(kind=DataJob.Kind.IMPORT, owner=user, model_label=model_label,
                                 file_format=file_format, original_name=upload.name,
                                 resource=resource_path(resource_class) if resource_class
                                 else "")
    job.source.save(upload.name, upload, save=True)
    run_import.enqueue(job.pk, language)
    return DataJob.objects.get(pk=job.pk)


def start_export(*, user, model_label, file_format, language, resource_class=None):
    """``resource_class``: the resource the page chose (default: the admin's first)."""
    job = DataJob.objects.create(kind=DataJob.Kind.EXPORT, owner=user, model_label=model_label,
                                 file_format=file_format,
                                 resource=resource_path(resource_class) if resource_class
                                 else "")
    run_export.enqueue(job.pk, language)
    return DataJob.objects.get(pk=job.pk)
