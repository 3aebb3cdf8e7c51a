"""Long imports and exports as background tasks (django-tasks, database backend).

The request stores the upload and enqueues :func:`run_import`; a worker
(``manage.py db_worker``, any number of them, on any machine that reaches the database)
runs it: the whole file is imported in one transaction, all or nothing, exactly as in
the interactive preview. Live progress goes through Django's cache (file-based by
default, so every process on the machine sees it; Redis when ``REDIS_URL`` is set) -
not through the database, whose import transaction is still open while it runs.
"""

import logging

from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

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


def resource_for(model_label, admin_site=None):
    """The first import/export resource the model's admin declares."""
    from django.contrib import admin

    model = apps.get_model(model_label)
    model_admin = (admin_site or admin.site)._registry[model]
    return model_admin.get_resource_classes(request=None)[0]


def file_formats():
    from backoffice.platform import formats

    return {"csv": formats.CSV, "xlsx": formats.XLSX}


@task()
def run_import(job_id: int, language: str = "zh-hans"):
    job = DataJob.objects.get(pk=job_id)
    with override(language):
        _run_import(job)


def _run_import(job):
    user = job.owner
    job.status, job.started_at = JobStatus.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        data = job.source.open("rb").read()
        dataset = file_formats()[job.file_format]().create_dataset(data)
        total = dataset.height
        job.total_rows = total
        job.save(update_fields=["total_rows"])
        report(job.pk, 0, total, "running")
        resource = resource_for(job.model_label)()
        resource.progress_callback = lambda done: report(job.pk, done, total, "running")
        result = resource.import_data(dataset, dry_run=False, user=user,
                                      file_name=job.original_name)
    except Exception as exc:  # a refused file or a crash: say so, keep nothing
        log.exception("import job %s failed", job.pk)
        job.status, job.message = JobStatus.FAILED, str(exc)
    else:
        totals = result.totals
        job.created_rows = totals.get("new", 0)
        job.updated_rows = totals.get("update", 0)
        job.skipped_rows = totals.get("skip", 0)
        job.errors = _errors_of(result)
        job.error_count = len(result.invalid_rows) + len(result.row_errors()) + len(
            result.base_errors)
        if result.has_errors() or result.has_validation_errors():
            job.status = JobStatus.REJECTED
            job.created_rows = job.updated_rows = job.skipped_rows = 0
            job.message = _("%(count)d row(s) have errors: nothing was imported.") % {
                "count": job.error_count}
        else:
            job.status = JobStatus.DONE
            job.message = _("Imported: %(new)d new, %(update)d updated, %(skip)d unchanged.") % {
                "new": job.created_rows, "update": job.updated_rows, "skip": job.skipped_rows}
    job.finished_at = timezone.now()
    job.save()
    cache.delete(progress_key(job.pk))


def _errors_of(result):
    errors = []
    for row in result.invalid_rows:
        for field, messages in row.field_specific_errors.items():
            errors.append({"row": row.number, "column": field, "message": " ".join(messages)})
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
        job.status, job.started_at = JobStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        try:
            resource = resource_for(job.model_label)()
            queryset = resource.get_queryset()
            total = queryset.count()
            job.total_rows = total
            report(job.pk, 0, total, "running")
            dataset = resource.export(queryset)
            from import_export.formats import base_formats

            fmt = {"csv": base_formats.CSV, "xlsx": base_formats.XLSX}[job.file_format]()
            content = fmt.export_data(dataset)
            if isinstance(content, str):
                content = content.encode("utf-8-sig")
            name = f"{job.model_label.replace('.', '-')}-{timezone.localdate():%Y%m%d}.{job.file_format}"
            job.result_file.save(name, ContentFile(content), save=False)
            job.status = JobStatus.DONE
            job.message = _("Exported %(count)d rows.") % {"count": total}
        except Exception as exc:
            log.exception("export job %s failed", job.pk)
            job.status, job.message = JobStatus.FAILED, str(exc)
        job.finished_at = timezone.now()
        job.save()


def start_import(*, user, model_label, upload, file_format, language):
    job = DataJob.objects.create(kind=DataJob.Kind.IMPORT, owner=user, model_label=model_label,
                                 file_format=file_format, original_name=upload.name)
    job.source.save(upload.name, upload, save=True)
    run_import.enqueue(job.pk, language)
    return DataJob.objects.get(pk=job.pk)


def start_export(*, user, model_label, file_format, language):
    job = DataJob.objects.create(kind=DataJob.Kind.EXPORT, owner=user, model_label=model_label,
                                 file_format=file_format)
    run_export.enqueue(job.pk, language)
    return DataJob.objects.get(pk=job.pk)


