"""Service-record review (服务记录审核): the manager's queue and the review page, and the
review's section on the ticket page (``TicketReviewMixin``).

The review page puts each part of the ticket's service record (read-only) beside the
verdict on it; the manager saves the verdicts and the comment, then completes the review
(the workflow button). Whoever else may see a review reads it.
"""

from django.contrib import admin
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from backoffice.desk import workflows as wf
from backoffice.desk.models import ServiceRecordReview
from backoffice.desk.selectors import engineers, review_months, reviews_visible_to
from backoffice.platform.admin.base import BackofficeAdmin

REVIEW_COLOURS = {wf.ReviewStatus.PENDING: "warning", wf.ReviewStatus.REVIEWED: "success"}
REASON_COLOURS = {wf.ReviewReason.SAMPLED: "info", wf.ReviewReason.COMPLAINT: "danger",
                  wf.ReviewReason.LOW_RATING: "warning"}
VERDICT_COLOURS = {wf.AspectVerdict.COMPLETE: "text-green-700",
                   wf.AspectVerdict.INCOMPLETE: "text-amber-600",
                   wf.AspectVerdict.WRONG: "text-red-600 font-semibold"}


class MonthFilter(admin.SimpleListFilter):
    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        return [(m.isoformat(), f"{m:%Y-%m}") for m in review_months()]

    def queryset(self, request, queryset):
        return queryset.filter(month=self.value()) if self.value() else queryset


class ReviewedEngineerFilter(RelatedDropdownFilter):
    def field_choices(self, field, request, model_admin):
        return [(u.pk, str(u)) for u in engineers()]


def _text(value):
    return linebreaksbr(value) if (value or "").strip() else format_html(
        '<span class="text-base-400">{}</span>', _("(empty)"))


@admin.register(ServiceRecordReview)
class ServiceRecordReviewAdmin(BackofficeAdmin):
    list_display = ["display_ticket", "engineer", "display_month", "display_reason",
                    "display_state", "display_score", "reviewer", "queued_at"]
    list_display_links = ["display_ticket"]
    list_select_related = ["ticket", "engineer", "reviewer"]
    list_filter = [("state", ChoicesDropdownFilter), ("engineer", ReviewedEngineerFilter),
                   MonthFilter, ("reason", ChoicesDropdownFilter)]
    list_filter_submit = True
    search_fields = ["=ticket__number", "ticket__subject"]
    #: waiting reviews first ("pending" sorts before "reviewed"), newest first
    ordering = ["state", "-queued_at", "-id"]
    radio_fields = {name: admin.HORIZONTAL for name in wf.REVIEW_ASPECTS}
    editable_when_pending = [*wf.REVIEW_ASPECTS, "comment"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related(
            "ticket__customer", "engineer", "resolved_by", "reviewer")
        return reviews_visible_to(request.user, qs)

    def has_add_permission(self, request):
        return False  # resolving and rating tickets queue the records

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != wf.ReviewStatus.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        rows = [(f"record_{name}", name) for name in wf.REVIEW_ASPECTS]
        return [
            (None, {"fields": [("ticket_link", "engineer", "resolved_by"),
                               ("state", "reason", "display_month", "queued_at")]}),
            (_("Service record and verdicts"), {
                "fields": rows,
                "description": _("Each part of the ticket's service record as the engineer "
                                 "wrote it, beside your verdict on it: complete, incomplete "
                                 "or wrong. Save, then complete the review.")}),
            (_("Review"), {"fields": ["comment", ("display_score", "reviewer", "reviewed_at")]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        shown = ["ticket_link", "display_month", "display_score",
                 *[f"record_{name}" for name in wf.REVIEW_ASPECTS]]
        editable = (set(self.editable_when_pending)
                    if obj is not None and obj.state == wf.ReviewStatus.PENDING
                    and wf.can_review_service_record(obj, request.user) else set())
        return [*shown, *[f.name for f in ServiceRecordReview._meta.fields
                          if f.name not in editable]]

    # -- columns ----------------------------------------------------------------------
    @display(description=_("ticket"), ordering="ticket__number")
    def display_ticket(self, obj):
        """The list's column (the row opens the review)."""
        return f"{obj.ticket.number} {obj.ticket.subject}"

    @display(description=_("ticket"))
    def ticket_link(self, obj):
        ticket = obj.ticket
        return format_html('<a class="text-primary-600" href="{}">{}</a> {}',
                           reverse("admin:backoffice_ticket_change", args=[ticket.pk]),
                           ticket.number, ticket.subject)

    @display(description=_("month"), ordering="month")
    def display_month(self, obj):
        return f"{obj.month:%Y-%m}" if obj.month else "-"

    @display(description=_("reason"), ordering="reason", label=REASON_COLOURS)
    def display_reason(self, obj):
        return obj.reason, obj.get_reason_display()

    @display(description=_("state"), ordering="state", label=REVIEW_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("score (%)"), ordering="score")
    def display_score(self, obj):
        if obj.score is None:
            return "-"
        return f"{obj.score:.0f} %"

    # -- the service record, beside the verdicts ------------------------------------------
    @display(description=_("problem (as recorded)"))
    def record_problem_stated(self, obj):
        t = obj.ticket
        return format_html("<strong>{}</strong> · {}<br>{}", t.subject,
                           t.get_category_display(), _text(t.description))

    @display(description=_("diagnosis (as recorded)"))
    def record_diagnosis(self, obj):
        return _text(obj.ticket.diagnosis)

    @display(description=_("process (as recorded)"))
    def record_process(self, obj):
        return _text(obj.ticket.process)

    @display(description=_("solution (as recorded)"))
    def record_solution(self, obj):
        return _text(obj.ticket.solution)

    @display(description=_("parts used (as recorded)"))
    def record_parts(self, obj):
        try:
            from inventory.selectors import parts_used_on_ticket
        except ImportError:  # the site without its spare-parts app
            return "-"
        rows = parts_used_on_ticket(obj.ticket)
        return format_html_join(", ", "{} {} × {} {}", (
            (r["code"], r["name"], r["quantity"], r["unit"]) for r in rows)) or _("none")

    @display(description=_("customer feedback (as recorded)"))
    def record_customer_feedback(self, obj):
        t = obj.ticket
        feedback = t.complaint_evaluation if t.category == wf.Category.COMPLAINT \
            else t.customer_feedback
        if t.confirmed_at:
            confirmed = _("Confirmed by %(who)s on %(day)s, rated %(rating)s of 5") % {
                "who": t.confirmed_by or "-",
                "day": f"{timezone.localtime(t.confirmed_at):%Y-%m-%d}",
                "rating": t.satisfaction or "-"}
        else:
            confirmed = _("Not confirmed by the customer yet")
        return format_html("{}<br><span class=\"text-base-500\">{}</span>", _text(feedback),
                           confirmed)


class TicketReviewMixin:
    """Mixed into the ticket admin: the "Service-record review" section, for whoever may
    see the ticket's review (the manager; the engineer once it is done)."""

    def review_fieldsets(self, request, obj=None) -> list:
        # only a resolved ticket has its record reviewed (no query on the pages of open ones)
        if obj is None or not obj.pk or obj.resolved_at is None \
                or not request.user.has_perm("backoffice.view_servicerecordreview"):
            return []
        review = reviews_visible_to(request.user).filter(ticket=obj).select_related(
            "reviewer").first()
        if review is None:
            return []
        obj._service_review = review
        return [(_("Service-record review"), {"fields": ["service_review_panel"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "service_review_panel"]

    @display(description=_("review"))
    def service_review_panel(self, obj):
        review = getattr(obj, "_service_review", None)
        if review is None:
            return "-"
        link = reverse("admin:backoffice_servicerecordreview_change", args=[review.pk])
        if review.state == wf.ReviewStatus.PENDING:
            return format_html('<a class="text-primary-600" href="{}" data-review="{}">{}</a> '
                               '({})', link, review.state, review.get_state_display(),
                               review.get_reason_display())
        verdicts = format_html_join(
            "", '<li><span class="text-base-500">{}</span>: <span class="{}">{}</span></li>',
            ((ServiceRecordReview._meta.get_field(name).verbose_name,
              VERDICT_COLOURS.get(getattr(review, name), ""),
              getattr(review, f"get_{name}_display")()) for name in wf.REVIEW_ASPECTS))
        return format_html(
            '<div data-review="{}"><a class="text-primary-600" href="{}"><strong>{}</strong></a>'
            ' · {} · {} {}<ul class="text-sm mt-1">{}</ul><p class="mt-1">{}</p></div>',
            review.state, link, _("Score %(score)s %%") % {"score": f"{review.score:.0f}"},
            review.get_reason_display(), review.reviewer or "-",
            f"{timezone.localtime(review.reviewed_at):%Y-%m-%d}" if review.reviewed_at else "",
            verdicts, _text(review.comment))
