"""What every business model of the four apps builds on (abstract bases, numbering,
optimistic locking, journals) and the platform's own background-job record."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConcurrentEdit(Exception):
    """The row changed in the database since this copy was read."""


class StateGuardedQuerySet(models.QuerySet):
    """``update(state=...)`` would skip the workflow, its permission check, the journal and
    history (STACK.md pitfall 7): refused for every FSM field of the model."""

    def update(self, **kwargs):
        from django_fsm import FSMFieldMixin

        guarded = {f.name for f in self.model._meta.fields if isinstance(f, FSMFieldMixin)}
        guarded |= {f"{name}_id" for name in guarded}
        if guarded & kwargs.keys():
            raise TypeError(f"{self.model.__name__} state changes go through "
                            "backoffice.platform.workflow.apply_transition, not QuerySet.update().")
        return super().update(**kwargs)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """Optimistic locking: an UPDATE only lands if nobody saved the row since it was read.

    ``version`` rises by one on every save; the admin form carries the version the user
    saw, so a second browser tab saving an older copy is refused instead of silently
    overwriting the first one.
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._expected_version = self.version
            self.version = self.version + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        try:
            super().save(*args, **kwargs)
        except Exception:
            if getattr(self, "_expected_version", None) is not None:
                self.version = self._expected_version
            raise
        finally:
            self._expected_version = None

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        expected = getattr(self, "_expected_version", None)
        if expected is not None and base_qs.model is self._meta.concrete_model:
            base_qs = base_qs.filter(version=expected)
        updated = super()._do_update(base_qs, using, pk_val, values, update_fields,
                                     forced_update)
        if not updated and expected is not None:
            if type(self)._base_manager.using(using).filter(pk=pk_val).exists():
                raise ConcurrentEdit(
                    _("This record was changed by someone else after you opened it. "
                      "Reload the page to see their changes, then make yours again.")
                )
        return updated


class JournalEntry(models.Model):
    """One line of a document's workflow journal: who moved it, when, from where to where.

    Each state-machine model has a concrete ``<Model>Event`` subclass with a foreign key
    to it and ``related_name="events"``; ``backoffice.platform.workflow.apply_transition`` writes it.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=64)
    source = models.CharField(_("from state"), max_length=32)
    target = models.CharField(_("to state"), max_length=32)
    note = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action}: {self.source} → {self.target}"


class DocumentSequence(models.Model):
    """Counters behind human-readable document numbers (SR202611-00042, ...)."""

    key = models.CharField(max_length=32, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")

    def __str__(self):
        return f"{self.key}={self.last}"

    @classmethod
    def take(cls, key: str, count: int = 1) -> int:
        """Reserve ``count`` numbers under ``key``; returns the first one."""
        return cls.take_many({key: count})[key]

    @classmethod
    def take_many(cls, counts: dict[str, int]) -> dict[str, int]:
        """Reserve ``counts[key]`` numbers under each key in three queries, whatever the
        number of keys (a bulk load numbers a batch spread over many months); returns
        each key's first number. The update locks the rows: concurrent takers queue."""
        if not counts:
            return {}
        with transaction.atomic():
            cls.objects.bulk_create([cls(key=key) for key in counts], ignore_conflicts=True)
            cls.objects.filter(key__in=counts).update(last=F("last") + Case(
                *(When(key=key, then=Value(n)) for key, n in counts.items()),
                output_field=models.PositiveBigIntegerField()))
            last = dict(cls.objects.filter(key__in=counts).values_list("key", "last"))
        return {key: last[key] - n + 1 for key, n in counts.items()}


def next_numbers(prefix: str, count: int = 1, when=None) -> list[str]:
    """``count`` fresh numbers like ``SR202611-00042``, unique per prefix and month."""
    when = timezone.localtime(when or timezone.now())
    key = f"{prefix}{when:%Y%m}"
    first = DocumentSequence.take(key, count)
    return [f"{key}-{n:05d}" for n in range(first, first + count)]


class NumberedModel(models.Model):
    """A document with a human-readable number assigned on first save."""

    number_prefix = "DOC"
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = next_numbers(self.number_prefix)[0]
        super().save(*args, **kwargs)


class SearchTokensQuerySet(models.QuerySet):
    """Bulk writes (imports, generated data) store the search tokens as save() does."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_search_tokens()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        fields = list(fields)
        if set(fields) & set(self.model.searched_texts):
            objs = list(objs)
            for obj in objs:
                obj.refresh_search_tokens()
            fields.append("search_tokens")
        return super().bulk_update(objs, fields, *args, **kwargs)


class SearchableModel(models.Model):
    """A record its list finds by substring of ``searched_texts`` from an index, one- and
    two-character Chinese terms included: the texts' tokens are stored on every save and
    bulk write (backoffice.platform.search; PostgreSQL indexes them as a ``tsvector``,
    see the ``search_vector`` migrations). Its manager's queryset must derive from
    ``SearchTokensQuerySet``."""

    searched_texts: tuple[str, ...] = ()
    #: every character and character pair of the searched texts
    search_tokens = models.TextField(editable=False, blank=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.refresh_search_tokens()
        elif set(update_fields) & set(self.searched_texts):
            self.refresh_search_tokens()
            kwargs["update_fields"] = [*update_fields, "search_tokens"]
        super().save(*args, **kwargs)

    def refresh_search_tokens(self):
        from backoffice.platform.search import search_tokens

        self.search_tokens = search_tokens(*(getattr(self, name)
                                             for name in self.searched_texts))


# -- background import and export jobs (run by the task queue's worker) ---------------
class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected: invalid rows, nothing written")
    FAILED = "failed", _("Failed")


class DataJob(TimeStampedModel):
    """One spreadsheet import or export that runs outside the request.

    Its status is a technical progress marker written only by the worker, not a business
    workflow; live progress goes through the cache (see ``backoffice.platform.jobs``).
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
    #: the import/export definition the page chose (dotted path): the job uses exactly it
    resource = models.CharField(_("import definition"), max_length=200, blank=True)
    #: the worker's sign of life while it runs; a running job without one for a while is
    #: a dead worker's, and is marked failed (see ``backoffice.platform.jobs``)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("import/export job")
        verbose_name_plural = _("import/export jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.model_label} #{self.pk}"

    @property
    def finished(self):
        return self.status in {JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED}


class ImportSubmission(models.Model):
    """One confirmed import upload: the same preview confirmed twice (a double click, a
    second tab, a browser retry) is written once."""

    key = models.CharField(_("upload"), max_length=255, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+",
                              verbose_name=_("imported by"))
    model_label = models.CharField(_("data"), max_length=100)
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("import submission")
        verbose_name_plural = _("import submissions")
        default_permissions = ()

    def __str__(self):
        return f"{self.model_label} {self.key}"


# -- notifications (the bell, the inbox and the mails) --------------------------------
class Notification(models.Model):
    """Something a user should know or act on: a ticket assigned to them, an approval
    waiting, a deadline about to pass. Shown in the in-admin inbox; mailed when the
    recipient chose so (``NotificationSettings``)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                                  related_name="notifications", verbose_name=_("for"))
    event = models.CharField(_("event"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("details"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    #: one notification per recipient and key ("ticket:42:breached"): a repeated event
    #: does not pile up in the inbox
    key = models.CharField(_("key"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]
        constraints = [models.UniqueConstraint(
            fields=["recipient", "key"], condition=~models.Q(key=""),
            name="notification_once_per_key")]

    def __str__(self):
        return self.title


class NotificationSettings(models.Model):
    """A user's choices: the language of their mails and which events mail them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE,
                                related_name="notification_settings", verbose_name=_("user"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                blank=True, help_text=_("Empty: the site's language."))
    #: event names that also go by mail (every event shows in the inbox)
    mail_events = models.JSONField(_("events mailed"), default=list, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)
