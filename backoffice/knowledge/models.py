"""The knowledge base (知识库): articles written from solved tickets, reviewed, reused."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.desk.models import Product, ProductVersion, Ticket
from backoffice.desk.workflows import Category
from backoffice.knowledge import workflows as kw
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.models import JournalEntry, NumberedModel, TimeStampedModel, VersionedModel

ATTACHMENT_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "log", "csv",
                         "png", "jpg", "jpeg", "gif", "zip", "7z", "sql", "md"]
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def stale_after() -> dt.timedelta:
    """How long a published article stays trusted without a review (a setting)."""
    return dt.timedelta(days=getattr(settings, "KNOWLEDGE_STALE_AFTER_DAYS", 365))


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=ArticleStatus.PUBLISHED)

    def stale(self, now=None):
        """Published articles nobody has reviewed for longer than the setting allows."""
        cutoff = (now or timezone.now()) - stale_after()
        return self.published().filter(models.Q(reviewed_at__lt=cutoff)
                                       | models.Q(reviewed_at__isnull=True))

    def with_use_count(self):
        return self.annotate(use_count=models.Count("uses", distinct=True))


class Article(ConcurrentTransitionMixin, NumberedModel, VersionedModel):
    """A knowledge-base article: problem, cause, solution, for a product and category."""

    number_prefix = "KB"

    state = FSMField(_("state"), max_length=32, choices=ArticleStatus.choices,
                     default=ArticleStatus.DRAFT, protected=True, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"), help_text=_("What the customer sees."))
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    product = models.ForeignKey(Product, models.PROTECT, null=True, blank=True,
                                related_name="articles", verbose_name=_("product"),
                                help_text=_("Empty: applies to every product."))
    versions = models.ManyToManyField(ProductVersion, blank=True, related_name="articles",
                                      verbose_name=_("versions"),
                                      help_text=_("Empty: applies to every version."))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices,
                                db_index=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True,
                                help_text=_("Words a colleague would search for, separated "
                                            "by commas or spaces (error codes, menu names)."))
    source_tickets = models.ManyToManyField(Ticket, blank=True, related_name="source_articles",
                                            verbose_name=_("written from tickets"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True,
                                       db_index=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["version", "updated_at"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge base")
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("write_article", _("Can write and submit knowledge articles")),
            ("publish_article", _("Can review and publish knowledge articles")),
        ]
        indexes = [models.Index(fields=["state", "category", "product"],
                                name="article_suggest")]

    def __str__(self):
        return f"{self.number} {self.title}" if self.number else self.title

    @property
    def is_stale(self):
        if self.state != ArticleStatus.PUBLISHED:
            return False
        return self.reviewed_at is None or self.reviewed_at < timezone.now() - stale_after()

    # -- workflow ------------------------------------------------------------------------
    @transition(field=state, source=ArticleStatus.DRAFT, target=ArticleStatus.IN_REVIEW,
                permission=kw.can_write, conditions=[kw.is_complete],
                custom={"label": _("Submit for review"), "icon": "rate_review",
                        "variant": "primary"})
    def submit(self):
        pass

    @transition(field=state, source=ArticleStatus.IN_REVIEW, target=ArticleStatus.PUBLISHED,
                permission=kw.can_publish, conditions=[kw.is_complete],
                custom={"label": _("Publish"), "icon": "publish", "variant": "success"})
    def publish(self, actor):
        now = timezone.now()
        self.reviewed_by = actor
        self.reviewed_at = now
        self.published_at = self.published_at or now
        self.retired_at = None

    @transition(field=state, source=ArticleStatus.IN_REVIEW, target=ArticleStatus.DRAFT,
                permission=kw.can_review,
                custom={"label": _("Send back to the author"), "icon": "undo",
                        "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def send_back(self):
        pass

    @transition(field=state, source=ArticleStatus.PUBLISHED, target=ArticleStatus.PUBLISHED,
                permission=kw.can_review,
                custom={"label": _("Confirm still valid"), "icon": "fact_check"})
    def confirm_current(self, actor):
        self.reviewed_by = actor
        self.reviewed_at = timezone.now()

    @transition(field=state, source=[ArticleStatus.PUBLISHED, ArticleStatus.RETIRED],
                target=ArticleStatus.DRAFT, permission=kw.can_write,
                custom={"label": _("Revise (back to draft)"), "icon": "edit_note",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def revise(self):
        pass

    @transition(field=state, source=ArticleStatus.PUBLISHED, target=ArticleStatus.RETIRED,
                permission=kw.can_review,
                custom={"label": _("Retire"), "icon": "archive", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def retire(self):
        self.retired_at = timezone.now()


class ArticleEvent(JournalEntry):
    article = models.ForeignKey(Article, models.CASCADE, related_name="events",
                                verbose_name=_("knowledge article"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("article journal entry")
        verbose_name_plural = _("article journal")


def validate_attachment_size(upload):
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("Attachments may be at most %(mb)d MB.")
                              % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)})


class ArticleAttachment(TimeStampedModel):
    """A related document: a patch note, a screenshot, a script."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="attachments",
                                verbose_name=_("knowledge article"))
    file = models.FileField(_("file"), upload_to="knowledge/%Y/%m/",
                            validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS),
                                        validate_attachment_size])
    description = models.CharField(_("description"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["article", "id"]

    def __str__(self):
        return self.description or self.file.name.rsplit("/", 1)[-1]


class ArticleUse(TimeStampedModel):
    """A ticket resolved with an article: counts how useful each article is."""

    article = models.ForeignKey(Article, models.PROTECT, related_name="uses",
                                verbose_name=_("knowledge article"))
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="article_uses",
                               verbose_name=_("ticket"))
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("by"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket resolved with the article")
        verbose_name_plural = _("tickets resolved with the article")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["article", "ticket"],
                                               name="uniq_article_use")]

    def __str__(self):
        return f"{self.article.number} → {self.ticket.number}"
