"""Admin of the knowledge base, and its panel and buttons on the ticket page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import action, display

from backoffice.desk.models import Ticket
from backoffice.knowledge.forms import CreateArticleForm, ResolveWithArticleForm
from backoffice.knowledge.models import Article, ArticleAttachment, ArticleUse, stale_after
from backoffice.knowledge.resources import ArticleResource
from backoffice.knowledge.selectors import (
    article_filter,
    suggested_articles,
    ticket_knowledge,
)
from backoffice.knowledge.services import (
    article_create_from_ticket,
    can_create_article,
    can_resolve_with_article,
    ticket_resolve_with_article,
)
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
)

ARTICLE_COLOURS = {ArticleStatus.DRAFT: "default", ArticleStatus.IN_REVIEW: "warning",
                   ArticleStatus.PUBLISHED: "success", ArticleStatus.RETIRED: "danger"}
CONTENT_FIELDS = ["title", "problem", "cause", "solution", "product", "versions", "category",
                  "keywords", "source_tickets"]


class StaleFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("1", _("Stale: not reviewed for %(days)d days") % {"days": stale_after().days}),
                ("0", _("Reviewed recently"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.stale()
        if self.value() == "0":
            return queryset.published().exclude(pk__in=queryset.stale().values("pk"))
        return queryset


class ArticleAttachmentInline(TabularInline):
    model = ArticleAttachment
    extra = 0
    fields = ["file", "description"]


class ArticleUseInline(ReadOnlyInline):
    model = ArticleUse
    fields = ["ticket_link", "used_by", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("tickets resolved with this article")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket", "used_by")

    @display(description=_("ticket"))
    def ticket_link(self, use):
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("admin:backoffice_ticket_change", args=[use.ticket_id]),
                           use.ticket)


@admin.register(Article)
class ArticleAdmin(BackofficeAdmin):
    resource_classes = [ArticleResource]
    list_display = ["number", "title", "display_state", "category", "product", "display_uses",
                    "display_reviewed", "author"]
    list_display_links = ["number", "title"]
    list_select_related = ["product", "author"]
    list_filter = [StaleFilter, ("state", ChoicesDropdownFilter),
                   ("category", ChoicesDropdownFilter), ("product", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["=number", "title", "problem", "solution", "keywords"]
    search_help_text = _("Words of the title, problem, solution or keywords (Chinese needs no "
                         "spaces: 连接池 finds 数据库连接池耗尽); several words must all match.")
    autocomplete_fields = ["product", "versions", "source_tickets"]
    readonly_fields = ["number", "author", "reviewed_by", "reviewed_at", "published_at",
                       "retired_at", "display_uses"]
    inlines = [ArticleAttachmentInline, ArticleUseInline]
    ordering = ["-updated_at", "-id"]

    def get_fieldsets(self, request, obj=None):
        content = (None, {"fields": [("number", "state") if obj else "state", "title",
                                     ("category", "product"), "versions", "problem", "cause",
                                     "solution", "keywords", "source_tickets"]})
        if obj is None:
            content[1]["fields"] = content[1]["fields"][1:]
            return [content]
        return [content, (_("Review"), {"fields": [
            ("author", "reviewed_by"), ("reviewed_at", "published_at", "retired_at"),
            "display_uses"]})]

    def get_queryset(self, request):
        return super().get_queryset(request).with_use_count()

    def get_search_results(self, request, queryset, search_term):
        """Chinese-aware: terms split on spaces and Chinese punctuation, substring match."""
        return article_filter(search_term, queryset), False

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or obj.state == ArticleStatus.DRAFT:
            return readonly
        if obj.state == ArticleStatus.IN_REVIEW and request.user.has_perm(
                "backoffice.publish_article"):
            return readonly  # the reviewer may fix typos before publishing
        return readonly + [f for f in CONTENT_FIELDS if f not in readonly]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    @display(description=_("state"), ordering="state", label=ARTICLE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("tickets resolved"), ordering="use_count")
    def display_uses(self, obj):
        return getattr(obj, "use_count", None) if obj.pk else "-"

    @display(description=_("last reviewed"), ordering="reviewed_at")
    def display_reviewed(self, obj):
        if obj.reviewed_at is None:
            return "-"
        day = obj.reviewed_at.date().isoformat()
        if obj.is_stale:
            return format_html('<span class="text-red-600 font-semibold" title="{}">{} ⚠ {}</span>',
                               _("Not reviewed for a long time"), day, _("stale"))
        return day


# -- the knowledge panel and buttons on the ticket page ---------------------------------
@admin.register(ArticleUse)
class ArticleUseAdmin(ReadOnlyAdminMixin, ExportOnlyMixin, BackofficeAdmin):
    """The tickets resolved with an article: the list behind the report's "resolved with
    a knowledge article" (one row per use, as the figure counts them). Written only by
    the "resolve with this article" step."""

    list_display = ["created_at", "article", "ticket", "used_by"]
    list_display_links = None
    list_select_related = ["article", "ticket", "used_by"]
    list_filter = [("article", RelatedDropdownFilter)]
    date_hierarchy = "created_at"
    search_fields = ["=article__number", "=ticket__number"]
    ordering = ["-created_at", "-id"]


class TicketKnowledgeMixin:
    """Mixed into the ticket admin: suggested articles, "resolve with an article" and
    "write an article from this ticket" buttons, and the ticket's follow-up."""

    change_form_outer_after_template = "backoffice/ticket_knowledge.html"
    knowledge_actions = ["resolve_with_article_action", "create_article_action"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = [a for a in self.actions_detail if a not in self.knowledge_actions]
        self.actions_detail = [*others, *self.knowledge_actions]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and request.method == "GET":
            ticket = self.get_object(request, object_id)
            if ticket is not None:
                extra_context["knowledge_panel"] = ticket_panel(ticket, request.user)
        return super().changeform_view(request, object_id, form_url, extra_context)

    @action(description=_("Resolve with an article"), url_path="resolve-with-article",
            icon="menu_book", variant="success", permissions=["resolve_with_article"],
            dialog={"title": _("Resolve with a knowledge article"),
                    "description": _("The article's solution is added to the service record "
                                     "and the ticket is resolved."),
                    "form_class": ResolveWithArticleForm, "form_submit_text": _("Resolve")})
    def resolve_with_article_action(self, request, form, object_id):
        ticket = get_object_or_404(Ticket, pk=object_id)
        try:
            ticket_resolve_with_article(ticket=ticket, article=form.cleaned_data["article"],
                                        actor=request.user, note=form.cleaned_data["note"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("Resolved with %(number)s.")
                             % {"number": form.cleaned_data["article"].number})
        return HttpResponse(headers={"HX-Redirect": reverse("admin:backoffice_ticket_change",
                                                            args=[object_id])})

    def has_resolve_with_article_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        return (ticket is not None and request.user.has_perm("backoffice.view_article")
                and can_resolve_with_article(ticket, request.user))

    @action(description=_("Write an article from this ticket"), url_path="create-article",
            icon="post_add", permissions=["create_article"],
            dialog={"title": _("New knowledge article"),
                    "description": _("A draft prefilled from the service record: problem, "
                                     "diagnosis as cause, solution and steps taken."),
                    "form_class": CreateArticleForm, "form_submit_text": _("Create draft")})
    def create_article_action(self, request, form, object_id):
        ticket = get_object_or_404(Ticket, pk=object_id)
        try:
            article = article_create_from_ticket(ticket=ticket, actor=request.user,
                                                 title=form.cleaned_data["title"],
                                                 keywords=form.cleaned_data["keywords"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
            url = reverse("admin:backoffice_ticket_change", args=[object_id])
        else:
            messages.success(request, _("Draft %(number)s created: complete it and submit it "
                                        "for review.") % {"number": article.number})
            url = reverse("admin:backoffice_article_change", args=[article.pk])
        return HttpResponse(headers={"HX-Redirect": url})

    def has_create_article_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        return ticket is not None and can_create_article(ticket, request.user)


def ticket_panel(ticket, user) -> dict:
    """What the ticket page shows below the form: knowledge and follow-up (their lists
    in one query)."""
    articles = user.has_perm("backoffice.view_article")
    panel = {"ticket": ticket, **ticket_knowledge(
        ticket, articles=articles, followups=user.has_perm("backoffice.view_followup"))}
    if articles:
        if ticket.is_open:
            panel["suggested"] = suggested_articles(ticket)
        panel["search_url"] = (reverse("admin:backoffice_article_changelist")
                               + "?state__exact=published")
    return panel
