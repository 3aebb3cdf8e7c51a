"""Background import and export jobs (run by the task queue's worker)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.models.base import TimeStampedModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected: invalid rows, nothing written")
    FAILED = "failed", _("Failed")


class DataJob(TimeStampedModel):
    """One spreadsheet import or export that runs outside the request.

    Its status is a technical progress marker written only by the worker, not a business
    workflow; live progress goes through the cache (see ``backoffice.jobs``).
    """

    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+",
                              verbose_name=_("started by"))
    model_label = models.CharField(_("data"), max_length=100)
    file_format = models.CharField(_("format"), max_length=8)
    source = models.FileField(_("uploaded file"), upload_to="jobs/in/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/out/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices,
                              default=JobStatus.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    skipped_rows = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("error details"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import/export job")
        verbose_name_plural = _("import/export jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.model_label} #{self.pk}"

    @property
    def finished(self):
        return self.status in {JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED}
